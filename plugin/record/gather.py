"""PatientRecord = prefetched + fetched from fhirServer + what could not be fetched or read."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from plugin.clinical.hook_request import HookRequest
from plugin.errors import PrefetchUnavailable
from plugin.fhir.record import ReadRecord, Unreadable, read_record
from plugin.http.services import OPTIONAL_PREFETCH, PREFETCH
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


def gather_record(request: HookRequest, settings: Settings) -> PatientRecord:
    """Prefetch first; absent, unreadable and incomplete keys and server-side Medications come from
    fhirServer; without one, absent required keys are 412 and the others are named as unverified.

    With everything prefetched, fhirServer is still used to resolve ``Medication/<id>`` references:
    an order whose drug is unknown could hide an opioid.
    """
    from plugin.record.fetch import fetch_missing, medication_ids_to_resolve

    prefetched = read_prefetch(request.prefetch, PREFETCH)
    can_fetch = bool(request.fhir_server and request.fhir_token)
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
    return PatientRecord({**prefetched.resources, **fetched.resources}, fetched.failures, (), urls, lost)
