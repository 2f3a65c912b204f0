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

MEDICATION_ORDER_TYPES = frozenset({"MedicationRequest", "MedicationOrder"})


@dataclass(frozen=True)
class DraftOrder:
    """One draft medication order of this ordering session."""

    resource: dict[str, Any]
    reference: str | None  # "MedicationRequest/id" when the draft has an id
    codings: tuple[dict[str, Any], ...]
    text: str
    unresolved_medication: str | None  # "Medication/id" not found in the request
    selected: bool


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


def _concept_parts(concept: Any) -> tuple[tuple[dict[str, Any], ...], str]:
    if not isinstance(concept, dict):
        return (), ""
    codings = tuple(c for c in concept.get("coding") or [] if isinstance(c, dict))
    texts = [str(concept.get("text") or "")] + [str(c.get("display") or "") for c in codings]
    return codings, " ".join(t for t in texts if t)


def _medication_parts(
    order: dict[str, Any], bundled: Mapping[str, dict[str, Any]]
) -> tuple[tuple[dict[str, Any], ...], str, str | None]:
    """(codings, text, unresolved reference) of an order's medication."""
    if "medicationCodeableConcept" in order:
        codings, text = _concept_parts(order["medicationCodeableConcept"])
        return codings, text, None
    ref = order.get("medicationReference")
    if not isinstance(ref, dict):
        return (), "", None
    target = str(ref.get("reference") or "")
    display = str(ref.get("display") or "")
    medication: dict[str, Any] | None = None
    if target.startswith("#"):
        medication = next(
            (c for c in order.get("contained") or [] if isinstance(c, dict) and c.get("id") == target[1:]),
            None,
        )
    elif target:
        medication = bundled.get(target) or bundled.get("/".join(target.rstrip("/").split("/")[-2:]))
    if medication is None:
        unresolved = target if target and not target.startswith("#") else None
        return (), display, unresolved
    codings, text = _concept_parts(medication.get("code"))
    return codings, " ".join(t for t in (text, display) if t), None


def _index_bundle(resources: list[dict[str, Any]], container: Any) -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for r in resources:
        if r.get("id"):
            index[f"{r['resourceType']}/{r['id']}"] = r
    if isinstance(container, dict):
        for e in container.get("entry") or []:
            if (
                isinstance(e, dict)
                and isinstance(e.get("fullUrl"), str)
                and isinstance(e.get("resource"), dict)
            ):
                index[e["fullUrl"]] = e["resource"]
    return index


def _draft_orders(hook: str, context: Mapping[str, Any]) -> tuple[DraftOrder, ...]:
    key = "medications" if hook == "medication-prescribe" else "draftOrders"
    container = context.get(key)
    resources = _resources_of(container, key)
    bundled = _index_bundle(resources, container)
    selections = context.get("selections")
    if selections is not None and (
        not isinstance(selections, list) or not all(isinstance(s, str) for s in selections)
    ):
        raise BadHookRequest("context.selections must be an array of 'Type/id' strings")
    chosen = {s.strip() for s in selections or []}
    orders = []
    for r in resources:
        if r["resourceType"] not in MEDICATION_ORDER_TYPES:
            continue
        reference = f"{r['resourceType']}/{r['id']}" if r.get("id") else None
        codings, text, unresolved = _medication_parts(r, bundled)
        selected = hook != "order-select" or not chosen or reference in chosen
        orders.append(DraftOrder(r, reference, codings, text, unresolved, selected))
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
