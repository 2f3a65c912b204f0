"""Suggested resources: a naltrexone MedicationRequest in a documented regimen, validated as R4."""

from __future__ import annotations

import math
import os
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import orjson

from plugin.clinical.facts import SUGGESTION_TAG_CODE, SUGGESTION_TAG_SYSTEM
from plugin.clinical.facts.model import NaltrexoneOrder
from plugin.clinical.policy import Policy, Regimen, ScheduledDose
from plugin.clinical.terminology import Coded, Terminology
from plugin.fhir.models import (
    PLAIN_ID,
    FhirValidationError,
    Template,
    fill_template,
    model_order,
    validated,
    validated_fields,
    validated_template,
)

UCUM = "http://unitsofmeasure.org"
# The tag on everything we suggest: a later hook on that very order does not re-alert.
SUGGESTION_TAG = {
    "system": SUGGESTION_TAG_SYSTEM,
    "code": SUGGESTION_TAG_CODE,
    "display": "Suggested by naltrexone-cds",
}


def new_uuid() -> str:
    """A random (version 4) UUID as ``str(uuid.uuid4())`` writes it, from the same ``os.urandom``,
    without building a ``uuid.UUID`` on the way (cards and suggestions need several per call)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


# RFC 4122 variant: the top two bits of the clock sequence are 10 (the other two stay random).
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def suggestion(label: str, actions: list[dict[str, Any]], recommended: bool = False) -> dict[str, Any]:
    """A CDS Hooks suggestion with its own uuid (feedback reports accepted suggestions by it)."""
    return {"label": label, "uuid": new_uuid(), "isRecommended": recommended, "actions": actions}


def concept(code: Coded) -> dict[str, Any]:
    """A CodeableConcept of one of our value-set codes."""
    return {
        "coding": [{"system": code.system, "code": code.code, "display": code.display}],
        "text": code.display,
    }


_DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
# Fields of the clinician's draft kept when we rewrite its dosing (everything else is ours).
_KEPT_FIELDS = (
    "subject",
    "requester",
    "encounter",
    "reasonCode",
    "reasonReference",
    "note",
    "category",
    "authoredOn",
)


def _timing(dose: ScheduledDose) -> dict[str, Any]:
    if dose.days_of_week:
        return {"repeat": {"dayOfWeek": list(dose.days_of_week)}}
    if dose.period_days % 7 == 0 and dose.period_days >= 7:
        return {"repeat": {"frequency": dose.frequency, "period": dose.period_days // 7, "periodUnit": "wk"}}
    return {"repeat": {"frequency": dose.frequency, "period": dose.period_days, "periodUnit": "d"}}


def _dose_text(dose: ScheduledDose, route: str) -> str:
    if dose.days_of_week:
        days = ", ".join(_DAY_NAMES.get(d, d) for d in dose.days_of_week)
        return f"{dose.mg:g} mg {route} on {days}"
    if dose.period_days == 1:
        return f"{dose.mg:g} mg {route} once daily"
    return f"{dose.mg:g} mg {route} every {dose.period_days} days"


def _dosage(regimen: Regimen, route: dict[str, Any], start: date) -> list[dict[str, Any]]:
    out = []
    for index, dose in enumerate(regimen.doses, start=1):
        timing = _timing(dose)
        timing["repeat"]["boundsPeriod"] = {"start": start.isoformat()}
        entry: dict[str, Any] = {
            "sequence": index,
            "text": _dose_text(dose, "IM" if regimen.form == "xr-injectable" else "by mouth"),
            "timing": timing,
            "route": {"coding": [route], "text": route["display"]},
            "doseAndRate": [{"doseQuantity": {"value": dose.mg, "unit": "mg", "system": UCUM, "code": "mg"}}],
        }
        if regimen.form == "xr-injectable":
            entry["site"] = {"text": "Gluteal muscle, alternating buttocks"}
            entry["additionalInstruction"] = [
                {"text": "Given by a healthcare professional with the kit needles"}
            ]
        out.append(entry)
    return out


def _dispense(regimen: Regimen, start: date, policy: Policy) -> dict[str, Any]:
    course = policy.course_usual_days
    if regimen.form == "xr-injectable":
        fill_days, quantity = policy.xr_interval_days, {"value": 1, "unit": "injection kit"}
    else:
        # Every oral regimen averages one 50 mg tablet a day (350 mg/week; docs/clinical-rules.md).
        weekly_mg = sum(
            d.mg * (len(d.days_of_week) if d.days_of_week else 7 * d.frequency / d.period_days)
            for d in regimen.doses
        )
        tablets = math.ceil(weekly_mg / policy.oral_tablet_mg / 7 * policy.oral_fill_days)
        fill_days, quantity = (
            policy.oral_fill_days,
            {"value": tablets, "unit": "tablet", "system": UCUM, "code": "{tbl}"},
        )
    return {
        "validityPeriod": {"start": start.isoformat(), "end": (start + timedelta(days=course)).isoformat()},
        "numberOfRepeatsAllowed": max(0, math.ceil(course / fill_days) - 1),
        "quantity": quantity,
        "expectedSupplyDuration": {"value": fill_days, "unit": "days", "system": UCUM, "code": "d"},
    }


_SENTINEL_PATIENT, _SENTINEL_ORDER = "sentinel-patient", "sentinel-order"
_SENTINEL_START = date(1801, 1, 1)


@lru_cache(maxsize=16)
def _sentinels(course_days: int, with_id: bool) -> tuple[str, ...]:
    """Where a call's values go: the start and end days, the patient reference (and the order id)."""
    end = _SENTINEL_START + timedelta(days=course_days)
    ours = (_SENTINEL_START.isoformat(), end.isoformat(), f"Patient/{_SENTINEL_PATIENT}")
    return (*ours, _SENTINEL_ORDER) if with_id else ours


def _our_request(
    regimen: Regimen, intent: str, patient_id: str, start: date, policy: Policy, term: Terminology
) -> dict[str, Any]:
    """The suggested MedicationRequest as we write it: nothing from the draft but its intent."""
    xr = regimen.form == "xr-injectable"
    product = term.first("naltrexone-xr-injectable" if xr else "naltrexone-oral")
    route = term.first("route-intramuscular" if xr else "route-oral")
    route_coding = {"system": route.system, "code": route.code, "display": route.display}
    return {
        "resourceType": "MedicationRequest",
        "meta": {"tag": [SUGGESTION_TAG]},
        "status": "draft",
        "intent": intent,
        "medicationCodeableConcept": concept(product),
        "subject": {"reference": f"Patient/{patient_id}"},
        "dosageInstruction": _dosage(regimen, route_coding, start),
        "dispenseRequest": _dispense(regimen, start, policy),
    }


# A template, and the order of its fields and the draft's kept ones (as the model writes them).
_TEMPLATES: dict[tuple[Any, ...], tuple[Template, tuple[str, ...]]] = {}
_TEMPLATE_LIMIT = 256  # regimens x intents x with/without id, per policy in use


def _template(
    regimen: Regimen, intent: str, with_id: bool, policy: Policy, term: Terminology
) -> tuple[Template, tuple[str, ...]]:
    """Our suggestion for a sentinel patient, order and start day, validated once.  Keyed on what makes
    it - the regimen, the intent, the policy's dispensing figures, the value sets - never on anything
    a request sent."""
    dispensing = (
        policy.course_usual_days,
        policy.xr_interval_days,
        policy.oral_fill_days,
        policy.oral_tablet_mg,
    )
    key = (regimen, intent, with_id, dispensing, term)
    found = _TEMPLATES.get(key)
    if found is None:
        template = _our_request(regimen, intent, _SENTINEL_PATIENT, _SENTINEL_START, policy, term)
        if with_id:
            template["id"] = _SENTINEL_ORDER
        made = validated_template(orjson.dumps(template), _sentinels(policy.course_usual_days, with_id))
        found = made, model_order("MedicationRequest", {*fill_template(made, {}), *_KEPT_FIELDS})
        if len(_TEMPLATES) >= _TEMPLATE_LIMIT:
            _TEMPLATES.clear()
        _TEMPLATES[key] = found
    return found


def _validated_directly(resource: dict[str, Any], kept: dict[str, Any]) -> dict[str, Any]:
    """The draft's fields (or its id) may not be valid R4: then suggest without them."""
    for candidate in ({**resource, **kept}, resource):
        try:
            return validated(candidate)
        except FhirValidationError:
            continue
    return validated({k: v for k, v in resource.items() if k != "id"})


def regimen_request(
    order: NaltrexoneOrder | None,
    regimen: Regimen,
    patient_id: str,
    start: date,
    policy: Policy,
    term: Terminology,
) -> dict[str, Any]:
    """A MedicationRequest in ``regimen`` starting ``start``; replaces ``order`` when it has an id.

    Our part comes from a template validated once (keyed on our own resource with sentinels for the
    patient, the order id and the dates); the draft's fields are validated on every call."""
    draft = order.resource if order else {}
    intent = str(draft["intent"]) if draft.get("intent") in ("proposal", "plan", "order") else "order"
    order_id = order.reference.partition("/")[2] if order is not None and order.reference else None
    kept = {k: draft[k] for k in _KEPT_FIELDS if k in draft}
    if not PLAIN_ID.fullmatch(patient_id) or (order_id is not None and not PLAIN_ID.fullmatch(order_id)):
        resource = _our_request(regimen, intent, patient_id, start, policy, term)
        return _validated_directly({**resource, "id": order_id} if order_id is not None else resource, kept)
    template, names = _template(regimen, intent, order_id is not None, policy, term)
    start_slot, end_slot, patient_slot, order_slot = _sentinels(policy.course_usual_days, True)
    values = {
        start_slot: start.isoformat(),
        end_slot: (start + timedelta(days=policy.course_usual_days)).isoformat(),
        patient_slot: f"Patient/{patient_id}",
    }
    if order_id is not None:
        values[order_slot] = order_id
    ours = fill_template(template, values)
    fields = validated_fields("MedicationRequest", kept) if kept else None
    if not fields:
        return ours
    merged = {**ours, **fields}
    return {name: merged[name] for name in names if name in merged}  # in the order the model writes them
