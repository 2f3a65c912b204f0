"""PatientRecord = prefetched + fetched from fhirServer + what could not be fetched or read."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from plugin.clinical.hook_request import HookRequest
from plugin.errors import PrefetchUnavailable
from plugin.fhir.record import ReadRecord, Unreadable, read_record
from plugin.http.services import OPTIONAL_PREFETCH, PREFETCH
from plugin.record.allowlist import is_allowed
from plugin.record.prefetch import INCOMPLETE, UNREADABLE_VALUE, read_prefetch
from plugin.settings import Settings


@dataclass(frozen=True)
class FetchFailure:
    """One query that could not be answered; ``reason`` is safe to show a clinician."""

    key: str
    reason: str


@dataclass(frozen=True)
class PatientRecord:
    by_key: dict[str, list[dict[str, Any]]]
    failures: tuple[FetchFailure, ...] = ()
    not_checked: tuple[str, ...] = ()  # optional prefetch keys neither sent nor fetchable
    full_urls: dict[str, dict[str, Any]] = field(default_factory=dict)  # Bundle fullUrl -> Medication
    unreadable: tuple[Unreadable, ...] = ()  # entries that were not resources

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        """The raw resources of one type, in record order (a fresh list: callers may keep or change it)."""
        return list(self._by_type.get(resource_type, ()))

    @cached_property
    def _by_type(self) -> dict[str, list[dict[str, Any]]]:
        index: dict[str, list[dict[str, Any]]] = {}
        for resources in self.by_key.values():
            for resource in resources:
                kind = resource.get("resourceType")
                if isinstance(kind, str):
                    index.setdefault(kind, []).append(resource)
        return index

    @cached_property
    def read(self) -> ReadRecord:
        """The record's views (plugin.fhir), read once."""
        return read_record(self.by_key, self.full_urls, self.unreadable)


def _may_fetch(request: HookRequest, settings: Settings) -> bool:
    """fhirServer with the EHR's token; or, when the client sent no token, an allow-listed server
    (open sandboxes answer without one)."""
    if not request.fhir_server:
        return False
    if request.fhir_token:
        return True
    return is_allowed(request.fhir_server, settings.fhir_allowlist, dev_mode=settings.dev_mode)


def gather_record(request: HookRequest, settings: Settings) -> PatientRecord:
    """Prefetch first; absent, unreadable and incomplete keys and server-side Medications come from
    fhirServer (without a token only from an allow-listed open server); what still cannot be had is
    412 for an absent required key, else named on the could-not-verify card.

    With everything prefetched, fhirServer is still used to resolve ``Medication/<id>`` references:
    an order whose drug is unknown could hide an opioid.
    """
    from plugin.record.fetch import fetch_missing, medication_ids_to_resolve

    prefetched = read_prefetch(request.prefetch, PREFETCH)
    can_fetch = _may_fetch(request, settings)
    required = [key for key in prefetched.missing if key not in OPTIONAL_PREFETCH]
    if required and not can_fetch:
        raise PrefetchUnavailable(
            "required prefetch not provided and no fhirServer/fhirAuthorization to fetch it",
            missing=required,
        )
    to_fetch = (*prefetched.missing, *prefetched.unreadable_keys, *prefetched.incomplete)
    unresolved = can_fetch and medication_ids_to_resolve(
        request, prefetched.resources.values(), request.fhir_server or ""
    )
    urls, lost = prefetched.full_urls, prefetched.unreadable
    if not can_fetch:
        # Optional keys (planned surgery) absent: their rules report "not checked".
        failures = [FetchFailure(key, UNREADABLE_VALUE) for key in prefetched.unreadable_keys]
        failures += [FetchFailure(key, INCOMPLETE) for key in prefetched.incomplete]
        return PatientRecord(prefetched.resources, tuple(failures), tuple(prefetched.missing), urls, lost)
    if not to_fetch and not unresolved:
        return PatientRecord(prefetched.resources, (), (), urls, lost)
    fetched = fetch_missing(request, to_fetch, settings, prefetched=prefetched.resources)
    if not request.fhir_token:
        # The open server did not answer what the EHR should have sent: the EHR's problem (412).
        unanswered = [f.key for f in fetched.failures if f.key in required]
        if unanswered:
            raise PrefetchUnavailable(
                "required prefetch not provided and the fhirServer did not answer without authorization",
                missing=unanswered,
            )
    # A search that stays incomplete keeps its first page (a positive there still counts) and is named.
    named = tuple(
        FetchFailure(f.key, f"{INCOMPLETE} ({f.reason})") if f.key in prefetched.incomplete else f
        for f in fetched.failures
    )
    return PatientRecord({**prefetched.resources, **fetched.resources}, named, (), urls, lost)
