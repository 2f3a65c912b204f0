"""PatientRecord = prefetched + fetched from fhirServer + what could not be fetched."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from plugin.clinical.hook_request import HookRequest
from plugin.errors import PrefetchUnavailable
from plugin.http.services import OPTIONAL_PREFETCH, PREFETCH
from plugin.record.prefetch import read_prefetch
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

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        """The resources of one type, in record order (a fresh list: callers may keep or change it)."""
        return list(self._by_type.get(resource_type, ()))

    @cached_property
    def _by_type(self) -> dict[str, list[dict[str, Any]]]:
        # The facts ask for a dozen types; one pass over the record instead of one per question.
        index: dict[str, list[dict[str, Any]]] = {}
        for resources in self.by_key.values():
            for resource in resources:
                kind = resource.get("resourceType")
                if isinstance(kind, str):
                    index.setdefault(kind, []).append(resource)
        return index


def gather_record(request: HookRequest, settings: Settings) -> PatientRecord:
    """Prefetch first; absent keys and server-side Medications come from fhirServer, else 412.

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
    unresolved = can_fetch and medication_ids_to_resolve(
        request, prefetched.resources.values(), request.fhir_server or ""
    )
    if not can_fetch:
        # Optional keys (issue 8: planned surgery) absent: their rules report "not checked".
        return PatientRecord(prefetched.resources, not_checked=tuple(prefetched.missing))
    if not prefetched.missing and not unresolved:
        return PatientRecord(prefetched.resources)
    fetched = fetch_missing(request, prefetched.missing, settings, prefetched=prefetched.resources)
    return PatientRecord({**prefetched.resources, **fetched.resources}, fetched.failures)
