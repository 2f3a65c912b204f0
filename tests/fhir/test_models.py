"""validated(): the shape cache answers exactly what validating each resource itself answers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from plugin.fhir.models import FhirValidationError, _validate, _validated_shape, validated


def suggestion(patient: str = "p-1", start: str = "2026-11-25", order_id: str = "draft-1") -> dict[str, Any]:
    """A naltrexone suggestion carrying the clinician's draft fields, as suggestions.py builds it."""
    return {
        "resourceType": "MedicationRequest",
        "id": order_id,
        "meta": {"tag": [{"system": "https://fhir.naltrexone-cds.org/CodeSystem/tags", "code": "s"}]},
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1483744"}],
            "text": "naltrexone hydrochloride 50 MG Oral Tablet",
        },
        "subject": {"reference": f"Patient/{patient}"},
        "requester": {"reference": "Practitioner/dr-7", "display": "Dr Seven"},
        "authoredOn": start,
        "note": [{"text": "seen on 2026-11-01"}],
        "dosageInstruction": [
            {
                "sequence": 1,
                "text": "50 mg by mouth once daily",
                "timing": {
                    "repeat": {
                        "frequency": 1,
                        "period": 1,
                        "periodUnit": "d",
                        "boundsPeriod": {"start": start},
                    }
                },
                "doseAndRate": [
                    {"doseQuantity": {"value": 50.0, "unit": "mg", "system": "http://unitsofmeasure.org"}}
                ],
            }
        ],
        "dispenseRequest": {
            "validityPeriod": {"start": start, "end": "2027-11-25"},
            "numberOfRepeatsAllowed": 12,
        },
    }


def outcome(resource: dict[str, Any], check: Any) -> Any:
    try:
        return check(copy.deepcopy(resource))
    except FhirValidationError as exc:
        return ("invalid", str(exc))


VARIANTS = [
    suggestion(),
    suggestion(patient="other-patient", start="2027-01-31", order_id="x.9"),
    suggestion(patient="Patient/with/slashes"),
    suggestion(patient="has space"),
    suggestion(patient=" leading"),
    suggestion(patient="\x0bvertical-tab"),
    suggestion(start="2026-02-30"),  # no such day: invalid either way
    suggestion(start="2026-11-25T10:00:00Z"),
    suggestion(order_id="bad id with spaces"),
    suggestion(order_id="order"),  # the id equals another field's value
    suggestion(order_id="x" * 65),
    suggestion(start="1801-01-01"),  # looks like a sentinel: validated directly
    suggestion(order_id="sentinel-0"),
    {**suggestion(), "status": "not-a-status"},
    {**suggestion(), "authoredOn": "2026-13-01"},
    {k: v for k, v in suggestion().items() if k != "id"},
    {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "code": {"text": "Opiates urine screen"},
        "subject": {"reference": "Patient/p-1"},
        "occurrenceDateTime": "2026-11-25",
    },
]


@pytest.mark.parametrize("resource", VARIANTS)
def test_same_answer_as_validating_the_resource_itself(resource: dict[str, Any]) -> None:
    assert outcome(resource, validated) == outcome(resource, _validate)


def test_per_call_values_reuse_one_validated_shape() -> None:
    validated(suggestion(patient="warm-up", start="2026-01-05", order_id="w"))
    hits = _validated_shape.cache_info().hits
    result = validated(suggestion(patient="p-2", start="2026-03-04", order_id="draft-2"))
    assert _validated_shape.cache_info().hits == hits + 1
    assert result == _validate(suggestion(patient="p-2", start="2026-03-04", order_id="draft-2"))
    assert result["subject"] == {"reference": "Patient/p-2"}
    assert result["dispenseRequest"]["validityPeriod"] == {"start": "2026-03-04", "end": "2027-11-25"}
    assert _validate(result) == result  # valid R4, stable round trip
