"""Parse and normalise a CDS Hooks request into a HookRequest.

Accepts what real EHRs send: ``draftOrders`` Bundles, ``selections``, the legacy
``medications`` (Bundle or bare array), ``patientId`` as ``123`` or ``Patient/123``,
medications as codeable concepts, contained or bundled Medications, or text only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plugin.errors import BadHookRequest
from plugin.fhir.medications import Drug, MedicationDef, MedicationUse, read_medication_use
from plugin.fhir.record import medication_index
from plugin.fhir.values import objects

MEDICATION_ORDER_TYPES = frozenset({"MedicationRequest", "MedicationOrder"})


@dataclass(frozen=True)
class DraftOrder:
    """One draft medication order of this ordering session, read once."""

    resource: dict[str, Any] = field(repr=False)  # echoed back (minus what we change) in suggestions
    view: MedicationUse
    selected: bool

    @property
    def reference(self) -> str | None:
        """ "MedicationRequest/id" when the draft has an id."""
        return self.view.reference if self.view.id else None

    @property
    def drug(self) -> Drug:
        return self.view.drug

    @property
    def unresolved_medication(self) -> str | None:
        """The raw ``Medication/<id>`` reference the request did not carry, when there is one."""
        return self.view.drug.unresolved


@dataclass(frozen=True)
class HookRequest:
    service_id: str
    hook: str
    hook_instance: str
    patient_id: str
    user_id: str | None
    fhir_server: str | None
    fhir_token: str | None = field(repr=False)
    prefetch: Mapping[str, Any]
    orders: tuple[DraftOrder, ...]
    context: Mapping[str, Any] = field(repr=False)

    @property
    def selected_orders(self) -> tuple[DraftOrder, ...]:
        return tuple(o for o in self.orders if o.selected)


def _require(body: Mapping[str, Any], key: str, kind: type, where: str = "request") -> Any:
    value = body.get(key)
    if value is None:
        raise BadHookRequest(f"{where} is missing required field '{key}'")
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise BadHookRequest(f"{where} field '{key}' must be a non-empty {kind.__name__}")
    return value


_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def normalise_patient_id(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise BadHookRequest("context.patientId must be a non-empty string")
    value = raw.strip().rstrip("/")
    if "/" in value:
        head, _, tail = value.rpartition("/")
        if not head.endswith("Patient") or not tail:
            raise BadHookRequest("context.patientId must be an id or a Patient/<id> reference")
        value = tail
    if not _FHIR_ID.fullmatch(value):
        raise BadHookRequest("context.patientId must be a FHIR id (letters, digits, '-', '.'; at most 64)")
    return value


def _resources_of(container: Any, name: str) -> list[dict[str, Any]]:
    """Entries of a Bundle, or the items of a bare array (legacy medication-prescribe)."""
    if container is None:
        return []
    if isinstance(container, list):
        items = container
    elif isinstance(container, dict) and container.get("resourceType") == "Bundle":
        entries = container.get("entry") or []
        if not isinstance(entries, list):
            raise BadHookRequest(f"context.{name}.entry must be an array")
        items = [e.get("resource") if isinstance(e, dict) else None for e in entries]
    elif isinstance(container, dict) and isinstance(container.get("resourceType"), str):
        items = [container]
    else:
        raise BadHookRequest(f"context.{name} must be a FHIR Bundle or an array of resources")
    resources = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("resourceType"), str):
            raise BadHookRequest(f"context.{name} holds an entry that is not a FHIR resource")
        resources.append(item)
    return resources


def _bundled_medications(container: Any, resources: list[dict[str, Any]]) -> dict[str, MedicationDef]:
    """Medications sent beside the drafts, by "Medication/id" and by their entry's fullUrl."""
    full_urls = {}
    if isinstance(container, dict):
        for e in objects(container.get("entry")):
            url, resource = e.get("fullUrl"), e.get("resource")
            if isinstance(url, str) and isinstance(resource, dict):
                full_urls[url.strip()] = resource
    return medication_index(resources, full_urls)


def _draft_path(key: str, container: Any, position: int) -> str:
    base = (
        f"context.{key}.entry[{position}].resource"
        if isinstance(container, dict)
        else f"context.{key}[{position}]"
    )
    return base + ".medication[x]"


def _draft_orders(hook: str, context: Mapping[str, Any]) -> tuple[DraftOrder, ...]:
    key = "medications" if hook == "medication-prescribe" else "draftOrders"
    container = context.get(key)
    resources = _resources_of(container, key)
    bundled = _bundled_medications(container, resources)
    selections = context.get("selections")
    if selections is not None and (
        not isinstance(selections, list) or not all(isinstance(s, str) for s in selections)
    ):
        raise BadHookRequest("context.selections must be an array of 'Type/id' strings")
    chosen = {s.strip() for s in selections or []}
    orders = []
    for position, r in enumerate(resources):
        if r["resourceType"] not in MEDICATION_ORDER_TYPES:
            continue
        view = read_medication_use(r, "draft", bundled)
        if not view.drug.readable:
            raise BadHookRequest(
                f"{_draft_path(key, container, position)}: the draft's drug cannot be read "
                "(medicationCodeableConcept with a coding or text, or a medicationReference)"
            )
        reference = view.reference if view.id else None
        # A draft whose id cannot be read cannot be matched to selections: decide on it (the safe side).
        selected = hook != "order-select" or not chosen or reference is None or reference in chosen
        orders.append(DraftOrder(r, view, selected))
    return tuple(orders)


def parse_hook_request(service_id: str, expected_hook: str, body: Any) -> HookRequest:
    """Validate the request shape the spec requires and normalise its context."""
    if not isinstance(body, dict):
        raise BadHookRequest("request body must be a JSON object")
    hook = _require(body, "hook", str)
    if hook != expected_hook:
        raise BadHookRequest(f"service '{service_id}' answers hook '{expected_hook}', not '{hook}'")
    hook_instance = _require(body, "hookInstance", str)
    context = _require(body, "context", dict)
    patient_id = normalise_patient_id(context.get("patientId"))
    fhir_server = body.get("fhirServer")
    auth = body.get("fhirAuthorization")
    if fhir_server is not None and (not isinstance(fhir_server, str) or not fhir_server.strip()):
        raise BadHookRequest("fhirServer must be a URL string")
    token: str | None = None
    if auth is not None:
        if not isinstance(auth, dict) or not isinstance(auth.get("access_token"), str):
            raise BadHookRequest("fhirAuthorization must be an object with an access_token string")
        if not fhir_server:
            raise BadHookRequest("fhirAuthorization requires fhirServer")
        token = auth["access_token"]
    prefetch = body.get("prefetch")
    prefetch = {} if prefetch is None else prefetch
    if not isinstance(prefetch, dict):
        raise BadHookRequest("prefetch must be a JSON object")
    user_id = context.get("userId")
    return HookRequest(
        service_id=service_id,
        hook=hook,
        hook_instance=hook_instance,
        patient_id=patient_id,
        user_id=user_id if isinstance(user_id, str) else None,
        fhir_server=fhir_server.rstrip("/") if isinstance(fhir_server, str) else None,
        fhir_token=token,
        prefetch=prefetch,
        orders=_draft_orders(hook, context),
        context=context,
    )
