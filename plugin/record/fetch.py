"""Fetch what the EHR did not prefetch: the same searches, in parallel, under one deadline.

Real EHRs often send no prefetch or only part of it, so every absent key is searched on
``fhirServer`` with the hook's bearer token.  All searches start at once; when the medication
searches are in, the server-side Medications that orders point to are fetched in one batch
(``Medication?_id=a,b``), so the whole gathering costs about the slowest search plus one round trip,
not the sum.  Whatever is not answered by the deadline becomes a FetchFailure: the caller turns it
into a "could not verify" card, because a check that could not run must never look like a check
that found nothing.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from plugin.clinical.hook_request import HookRequest
from plugin.errors import PrefetchUnavailable
from plugin.http.services import PREFETCH
from plugin.record import origins
from plugin.record.allowlist import is_under, parse_base, require_allowed
from plugin.record.fhir_client import DEFAULT_PAGE_SIZE, Deadline, FhirClient, ReadBudget
from plugin.record.fhir_errors import FhirError
from plugin.record.gather import FetchFailure
from plugin.settings import Settings

log = logging.getLogger("naltrexone_cds.fhir")

MEDICATIONS_KEY = "medications"
MEDICATION_USERS = frozenset(
    {"MedicationRequest", "MedicationDispense", "MedicationStatement", "MedicationAdministration"}
)
MEDICATION_BATCH = 50  # ids per Medication?_id= search; keeps the URL well under common limits
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
TOKEN = re.compile(r"\{\{\s*context\.(\w+)\s*\}\}")


@dataclass(frozen=True)
class FetchResult:
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: tuple[FetchFailure, ...] = ()


class _QueryError(Exception):
    """A prefetch template that cannot be turned into a search for this request."""


def build_search(template: str, request: HookRequest) -> tuple[str, list[tuple[str, str]]]:
    """(resource type, params) of a prefetch template with its context tokens filled in."""
    resource_type, _, query = template.partition("?")

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = request.patient_id if name == "patientId" else request.context.get(name)
        if not isinstance(value, str) or not value:
            raise _QueryError(f"context.{name} is not available")
        return value

    params = [(name, TOKEN.sub(fill, value)) for name, value in parse_qsl(query, keep_blank_values=True)]
    if "{{" in "".join(v for _, v in params) or not resource_type.isalpha():
        raise _QueryError("template has tokens this service cannot fill")
    return resource_type, params


def medication_id(reference: Any, base_url: str) -> str | None:
    """The id of a server-side ``Medication/<id>`` reference; None for contained or foreign ones."""
    if not isinstance(reference, str) or not reference or reference.startswith("#"):
        return None
    path = reference
    if "://" in reference:
        base = parse_base(base_url)
        target = parse_base(reference.split("?")[0])
        if base is None or target is None or not is_under(target, base):
            return None  # another server's Medication: our token is not for it
        path = target.path[len(base.path) :].lstrip("/")
    parts = path.strip("/").split("/")
    if len(parts) in (2, 4) and parts[0] == "Medication" and FHIR_ID.fullmatch(parts[1]):
        return parts[1]
    return None


def medication_ids_to_resolve(
    request: HookRequest, resource_lists: Iterable[list[dict[str, Any]]], base_url: str
) -> set[str]:
    """Server-side Medication ids referenced by orders and medication history but not at hand."""
    wanted: set[str] = set()
    present: set[str] = set()
    for resources in resource_lists:
        for r in resources:
            if r.get("resourceType") == "Medication" and isinstance(r.get("id"), str):
                present.add(r["id"])
            elif r.get("resourceType") in MEDICATION_USERS:
                ref = r.get("medicationReference")
                found = medication_id(ref.get("reference") if isinstance(ref, dict) else None, base_url)
                if found:
                    wanted.add(found)
    for order in request.orders:
        found = medication_id(order.unresolved_medication, base_url)
        if found:
            wanted.add(found)
    return wanted - present


def fetch_missing(
    request: HookRequest,
    keys: tuple[str, ...],
    settings: Settings,
    *,
    prefetched: Mapping[str, list[dict[str, Any]]] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> FetchResult:
    """Search ``keys`` on fhirServer and resolve Medications, all within ``settings.fhir_timeout``.

    Raises FhirServerNotAllowed (403) before any connection when fhirServer is not allowed.
    """
    if not request.fhir_server:
        raise PrefetchUnavailable("no fhirServer to fetch missing prefetch from", missing=list(keys))
    require_allowed(request.fhir_server, settings.fhir_allowlist, dev_mode=settings.dev_mode)
    started = time.monotonic()
    deadline = Deadline(settings.fhir_timeout)
    budget = ReadBudget(settings.fhir_max_bytes, settings.fhir_max_entries)
    client = FhirClient(request.fhir_server, request.fhir_token, deadline, page_size=page_size, budget=budget)
    gathering = _Gathering(request, client, prefetched or {})
    try:
        result = gathering.run(keys, deadline)
    finally:
        # Stalled queries are abandoned, not awaited: cutting their connections ends them now, so
        # neither a connection nor a thread outlives the call.
        for future in gathering.pending:
            future.cancel()
        deadline.expire()
    log.info(
        "fhir gather keys=%d failures=%d ms=%.0f",
        len(keys),
        len(result.failures),
        (time.monotonic() - started) * 1000,
    )
    return result


class _Gathering:
    """State of one hook call's fetch: what is pending, found, failed and already asked for."""

    def __init__(
        self, request: HookRequest, client: FhirClient, prefetched: Mapping[str, list[dict[str, Any]]]
    ) -> None:
        self.request = request
        self.client = client
        self.prefetched = prefetched
        self.pending: dict[Future[list[dict[str, Any]]], str] = {}
        self.resources: dict[str, list[dict[str, Any]]] = {}
        self.failures: dict[str, str] = {}
        self.asked_medications: set[str] = set()
        self.medication_searches: set[str] = set()  # searches whose orders may name Medications
        self.origin = origins.origin_of(client.base_url)

    def run(self, keys: tuple[str, ...], deadline: Deadline) -> FetchResult:
        for key in keys:
            try:
                resource_type, params = build_search(PREFETCH[key], self.request)
            except (KeyError, _QueryError):
                self.failures[key] = "could not build the FHIR query"
                continue
            self.pending[self._submit(resource_type, params, key)] = key
            if resource_type in MEDICATION_USERS:
                self.medication_searches.add(key)
        if not self.medication_searches:
            self._ask_medications()
        while self.pending:
            done, _ = wait(self.pending, timeout=max(deadline.remaining(), 0.0), return_when=FIRST_COMPLETED)
            if not done:
                break
            for future in done:
                self._land(self.pending.pop(future), future)
        for key in self.pending.values():
            self.failures.setdefault(key, "FHIR server timed out")
        if self.medication_searches and self._unresolved():
            # the deadline came before the orders were in, so their Medications were never asked for
            self.failures.setdefault(MEDICATIONS_KEY, "FHIR server timed out")
        for key in self.failures:
            self.resources.pop(key, None)
        failures = tuple(FetchFailure(key, reason) for key, reason in self.failures.items())
        return FetchResult(self.resources, failures)

    def _land(self, key: str, future: Future[list[dict[str, Any]]]) -> None:
        try:
            self.resources.setdefault(key, []).extend(future.result())
        except FhirError as exc:
            self.failures.setdefault(key, exc.reason)
        except Exception as exc:  # a bug must still end in "could not verify", never in silence
            log.error("fhir query key=%s failed unexpectedly: %s", key, type(exc).__name__)
            self.failures.setdefault(key, "unexpected error while reading FHIR data")
        if key in self.medication_searches:
            self.medication_searches.discard(key)
            if not self.medication_searches:
                self._ask_medications()

    def _unresolved(self) -> set[str]:
        at_hand = [*self.prefetched.values(), *self.resources.values()]
        return medication_ids_to_resolve(self.request, at_hand, self.client.base_url)

    def _ask_medications(self) -> None:
        """One batched search for every Medication still unknown, once the order searches are in.

        Waiting for all of them costs little - the other searches are still running - and turns
        several small Medication queries into one.
        """
        ids = self._unresolved() - self.asked_medications
        if not ids:
            return
        self.asked_medications |= ids
        ordered = sorted(ids)
        for i in range(0, len(ordered), MEDICATION_BATCH):
            params = [("_id", ",".join(ordered[i : i + MEDICATION_BATCH]))]
            self.pending[self._submit("Medication", params, MEDICATIONS_KEY)] = MEDICATIONS_KEY

    def _submit(
        self, resource_type: str, params: list[tuple[str, str]], key: str
    ) -> Future[list[dict[str, Any]]]:
        """Run one search on a thread of this origin, in a copy of this context (log lines keep the
        request id)."""
        context = contextvars.copy_context()
        return origins.submit(self.origin, context.run, self.client.search, resource_type, params, label=key)
