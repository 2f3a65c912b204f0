"""Orders suggested beside the naltrexone decision: urine drug screen and hepatic panel
(ServiceRequest), naloxone rescue (MedicationRequest), removal of opioid drafts - all validated as R4.

The orders are ours from end to end - codes from our value sets, our wording - except the patient
reference.  So each is validated once, as a template for a sentinel patient, and a call only puts its
patient's reference in (a plain FHIR id is valid wherever the sentinel is; any other id is validated
with the whole order, as before).  The templates are keyed on what makes them - the order's value set
and reason, the terminology - never on anything a request sent.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import orjson

from plugin.clinical.answer.suggestions import SUGGESTION_TAG, UCUM, concept, suggestion
from plugin.clinical.facts.model import Facts
from plugin.clinical.rules.finding import Finding
from plugin.clinical.terminology import Terminology
from plugin.fhir.models import PLAIN_ID, Template, fill_template, validated, validated_template

_NALOXONE_USE = (
    "For suspected opioid overdose: one spray (4 mg) into one nostril; call emergency services; repeat "
    "with a new device in the other nostril every 2-3 minutes if needed."
)
# Which ServiceRequest each rule suggests (value set whose first entry is the order's code).
_LIVER_REASON = "Liver tests before starting naltrexone"
SERVICE_ORDERS = {
    "R7": (
        "urine-drug-screen-order",
        "Order a urine drug screen",
        "Confirm opioid-free status before naltrexone",
    ),
    "R8": ("hepatic-function-panel-order", "Order a hepatic function panel", _LIVER_REASON),
    "R9": ("hepatic-function-panel-order", "Repeat the liver tests (hepatic function panel)", _LIVER_REASON),
    "R10": (
        "hepatic-function-panel-order",
        "Order baseline liver tests (hepatic function panel)",
        _LIVER_REASON,
    ),
}


_SENTINEL = "sentinel-patient"
_SLOT = f"Patient/{_SENTINEL}"
_ORDERS = 32  # our orders x the value sets in use


def _validated_for(
    build: Callable[[str], dict[str, Any]], template: Callable[[], Template], patient_id: str
) -> dict[str, Any]:
    """``build(patient_id)`` validated: ``template()`` (``build`` for the sentinel, validated once)
    filled in when the id is a plain FHIR id."""
    if not PLAIN_ID.fullmatch(patient_id):
        return validated(build(patient_id))
    return fill_template(template(), {_SLOT: f"Patient/{patient_id}"})


@lru_cache(maxsize=_ORDERS)
def _service_template(valueset: str, reason: str, term: Terminology) -> Template:
    return validated_template(orjson.dumps(_service_request(valueset, _SENTINEL, reason, term)), (_SLOT,))


@lru_cache(maxsize=_ORDERS)
def _naloxone_template(term: Terminology) -> Template:
    return validated_template(orjson.dumps(_naloxone_request(_SENTINEL, term)), (_SLOT,))


def service_request(valueset: str, patient_id: str, reason: str, term: Terminology) -> dict[str, Any]:
    """A draft ServiceRequest for the first code of ``valueset``."""
    return _validated_for(
        lambda patient: _service_request(valueset, patient, reason, term),
        lambda: _service_template(valueset, reason, term),
        patient_id,
    )


def _service_request(valueset: str, patient_id: str, reason: str, term: Terminology) -> dict[str, Any]:
    code = term.first(valueset)
    return {
        "resourceType": "ServiceRequest",
        "meta": {"tag": [SUGGESTION_TAG]},
        "status": "draft",
        "intent": "proposal",
        "code": concept(code),
        "subject": {"reference": f"Patient/{patient_id}"},
        "reasonCode": [{"text": reason}],
    }


def naloxone_request(patient_id: str, term: Terminology) -> dict[str, Any]:
    """Naloxone 4 mg nasal spray, one pack of two devices (docs/clinical-rules.md; rule table R11)."""
    return _validated_for(
        lambda patient: _naloxone_request(patient, term), lambda: _naloxone_template(term), patient_id
    )


def _naloxone_request(patient_id: str, term: Terminology) -> dict[str, Any]:
    product = term.first("opioid-overdose-rescue")
    return {
        "resourceType": "MedicationRequest",
        "meta": {"tag": [SUGGESTION_TAG]},
        "status": "draft",
        "intent": "proposal",
        "medicationCodeableConcept": concept(product),
        "subject": {"reference": f"Patient/{patient_id}"},
        "dosageInstruction": [
            {
                "text": _NALOXONE_USE,
                "asNeededBoolean": True,
                "doseAndRate": [{"doseQuantity": {"value": 4, "unit": "mg", "system": UCUM, "code": "mg"}}],
            }
        ],
        "dispenseRequest": {"quantity": {"value": 2, "unit": "nasal spray device"}},
    }


def _delete(reference: str, description: str) -> dict[str, Any]:
    return {"type": "delete", "description": description, "resourceId": reference}


def follow_up(finding: Finding, facts: Facts, term: Terminology) -> list[dict[str, Any]]:
    """Suggestions for an finding."""
    out: list[dict[str, Any]] = []
    if finding.rule in SERVICE_ORDERS:
        valueset, label, reason = SERVICE_ORDERS[finding.rule]
        resource = service_request(valueset, facts.patient_id, reason, term)
        out.append(suggestion(label, [{"type": "create", "description": label, "resource": resource}]))
    if finding.rule == "R11":
        resource = naloxone_request(facts.patient_id, term)
        label = "Co-prescribe naloxone 4 mg nasal spray"
        out.append(suggestion(label, [{"type": "create", "description": label, "resource": resource}], True))
    if finding.rule == "R12":
        for ref in finding.data.get("drafts", ()):
            out.append(suggestion("Remove the opioid order", [_delete(ref, "Remove the opioid draft")], True))
    if (finding.rule in ("R8", "R9") and finding.indicator == "critical") or finding.rule == "R17":
        for order in facts.target_orders:
            if order.reference:
                action = _delete(order.reference, "Remove the naltrexone draft order")
                out.append(suggestion("Remove the naltrexone order", [action]))
    return out
