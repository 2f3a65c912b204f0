"""PatientRecord = prefetched + fetched from fhirServer + what could not be fetched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugin.errors import PrefetchUnavailable
from plugin.hook_request import HookRequest
from plugin.record.prefetch import read_prefetch
from plugin.services import PREFETCH
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

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        return [r for rs in self.by_key.values() for r in rs if r.get("resourceType") == resource_type]


def gather_record(request: HookRequest, settings: Settings) -> PatientRecord:
    """Prefetch first; absent keys are fetched from fhirServer, or the call fails with 412."""
    prefetched = read_prefetch(request.prefetch, PREFETCH)
    if not prefetched.missing:
        return PatientRecord(prefetched.resources)
    if not request.fhir_server or not request.fhir_token:
        raise PrefetchUnavailable(
            "required prefetch not provided and no fhirServer/fhirAuthorization to fetch it",
            missing=list(prefetched.missing),
        )
    from plugin.record.fetch import fetch_missing

    fetched = fetch_missing(request, prefetched.missing, settings)
    return PatientRecord({**prefetched.resources, **fetched.resources}, fetched.failures)
