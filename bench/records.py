"""Synthetic hook requests for the benchmark: an order-select for oral naltrexone on a clean record.

The record is what a real EHR sends for an adult with chronic conditions: non-opioid prescriptions,
fills and statements, an opioid prescription well outside every window, problems, labs (one negative
opioid urine screen), encounters and procedures.  Every resource is distinct (ids, dates, values) so
nothing a cache could key on repeats; the answer is the clean card with a "complete the order"
suggestion (a validated MedicationRequest), i.e. the full pipeline runs.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
NOW = date(2026, 11, 20)
PATIENT = "bench-patient-1"

_MEDICINES = (
    ("860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet"),
    ("314076", "lisinopril 10 MG Oral Tablet"),
    ("617312", "atorvastatin 10 MG Oral Tablet"),
    ("197361", "amlodipine 5 MG Oral Tablet"),
    ("310798", "hydrochlorothiazide 25 MG Oral Tablet"),
    ("312961", "simvastatin 20 MG Oral Tablet"),
    ("198211", "simvastatin 40 MG Oral Tablet"),
    ("311989", "nitrofurantoin 100 MG Oral Capsule"),
)
_OLD_OPIOID = ("1014615", "acetaminophen 300 MG / oxycodone hydrochloride 5 MG Oral Tablet")
_CONDITIONS = (
    ("44054006", "Diabetes mellitus type 2"),
    ("38341003", "Hypertensive disorder"),
    ("55822004", "Hyperlipidemia"),
    ("195967001", "Asthma"),
    ("35489007", "Depressive disorder"),
)
_LABS = (
    ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 95.0),
    ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 6.4),
    ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.9),
    ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 13.5),
)
# Share of each resource type in a record (sums to 100).
_MIX = (
    ("MedicationRequest", "medicationRequests", 28),
    ("MedicationDispense", "medicationDispenses", 14),
    ("MedicationStatement", "medicationStatements", 6),
    ("Condition", "conditions", 16),
    ("Observation", "observations", 26),
    ("Procedure", "procedures", 4),
    ("Encounter", "encounters", 6),
    ("MedicationAdministration", "medicationAdministrations", 0),  # outpatient: none, prefetched empty
)


def _day(n: int) -> str:
    return (NOW - timedelta(days=n)).isoformat()


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _subject() -> dict[str, str]:
    return {"reference": f"Patient/{PATIENT}"}


def _medication_request(i: int) -> dict[str, Any]:
    code, name = _OLD_OPIOID if i == 3 else _MEDICINES[i % len(_MEDICINES)]
    authored = 400 + 9 * i
    return {
        "resourceType": "MedicationRequest",
        "id": f"mr-{i}",
        "status": "completed",
        "intent": "order",
        "medicationCodeableConcept": _concept(RXNORM, code, name),
        "subject": _subject(),
        "authoredOn": _day(authored),
        "requester": {"reference": "Practitioner/bench-dr-1", "display": "Dr Bench"},
        "dosageInstruction": [
            {
                "text": "1 tablet by mouth daily",
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "route": _concept(SNOMED, "26643006", "Oral route"),
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet", "code": "{tbl}"}}],
            }
        ],
        "dispenseRequest": {
            "numberOfRepeatsAllowed": 2,
            "quantity": {"value": 30, "unit": "tablet"},
            "expectedSupplyDuration": {
                "value": 30,
                "unit": "days",
                "system": "http://unitsofmeasure.org",
                "code": "d",
            },
        },
    }


def _medication_dispense(i: int) -> dict[str, Any]:
    code, name = _MEDICINES[i % len(_MEDICINES)]
    return {
        "resourceType": "MedicationDispense",
        "id": f"md-{i}",
        "status": "completed",
        "medicationCodeableConcept": _concept(RXNORM, code, name),
        "subject": _subject(),
        "authorizingPrescription": [{"reference": f"MedicationRequest/mr-{i}"}],
        "quantity": {"value": 30, "unit": "tablet"},
        "daysSupply": {"value": 30, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"},
        "whenHandedOver": f"{_day(380 + 7 * i)}T15:00:00Z",
    }


def _medication_statement(i: int) -> dict[str, Any]:
    code, name = _MEDICINES[(i + 3) % len(_MEDICINES)]
    return {
        "resourceType": "MedicationStatement",
        "id": f"ms-{i}",
        "status": "completed",
        "medicationCodeableConcept": _concept(RXNORM, code, name),
        "subject": _subject(),
        "effectivePeriod": {"start": _day(900 + 5 * i), "end": _day(500 + 5 * i)},
        "dateAsserted": _day(500 + 5 * i),
    }


def _condition(i: int) -> dict[str, Any]:
    code, name = _CONDITIONS[i % len(_CONDITIONS)]
    return {
        "resourceType": "Condition",
        "id": f"cond-{i}",
        "clinicalStatus": _concept(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"
        ),
        "verificationStatus": _concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"
        ),
        "category": [
            _concept(
                "http://terminology.hl7.org/CodeSystem/condition-category",
                "problem-list-item",
                "Problem List Item",
            )
        ],
        "code": _concept(SNOMED, code, name),
        "subject": _subject(),
        "onsetDateTime": _day(1000 + 11 * i),
        "recordedDate": _day(990 + 11 * i),
    }


def _observation(i: int) -> dict[str, Any]:
    if i == 0:  # a negative opioid urine screen, long before the order
        return {
            "resourceType": "Observation",
            "id": "obs-uds",
            "status": "final",
            "category": [
                _concept(
                    "http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory"
                )
            ],
            "code": _concept(LOINC, "19295-5", "Opiates [Presence] in Urine by Screen method"),
            "subject": _subject(),
            "effectiveDateTime": f"{_day(60)}T08:00:00Z",
            "valueCodeableConcept": _concept(SNOMED, "260385009", "Negative"),
        }
    code, name, unit, value = _LABS[i % len(_LABS)]
    return {
        "resourceType": "Observation",
        "id": f"obs-{i}",
        "status": "final",
        "category": [
            _concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")
        ],
        "code": _concept(LOINC, code, name),
        "subject": _subject(),
        "effectiveDateTime": f"{_day(30 + 3 * i)}T08:00:00Z",
        "valueQuantity": {
            "value": value + (i % 7) / 10,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


def _procedure(i: int) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": f"proc-{i}",
        "status": "completed",
        "code": _concept(SNOMED, "73761001", "Colonoscopy"),
        "subject": _subject(),
        "performedDateTime": f"{_day(700 + 13 * i)}T10:00:00Z",
    }


def _encounter(i: int) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": f"enc-{i}",
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
            "display": "ambulatory",
        },
        "type": [_concept(SNOMED, "185349003", "Encounter for check up")],
        "subject": _subject(),
        "period": {"start": f"{_day(40 + 17 * i)}T09:00:00Z", "end": f"{_day(40 + 17 * i)}T09:30:00Z"},
    }


_MAKERS = {
    "MedicationRequest": _medication_request,
    "MedicationDispense": _medication_dispense,
    "MedicationStatement": _medication_statement,
    "Condition": _condition,
    "Observation": _observation,
    "Procedure": _procedure,
    "Encounter": _encounter,
}


def record(n: int) -> dict[str, list[dict[str, Any]]]:
    """``n`` resources (at least one per type), by prefetch key, in the service's type mix."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, key, share in _MIX:
        count = max(1, round(n * share / 100)) if share else 0
        out[key] = [_MAKERS[kind](i) for i in range(count)]
    return out


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }


def naltrexone_draft() -> dict[str, Any]:
    """A selected oral naltrexone draft without dosing: the service suggests a complete regimen."""
    return {
        "resourceType": "MedicationRequest",
        "id": "draft-naltrexone-1",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": _concept(
            RXNORM, "1483744", "naltrexone hydrochloride 50 MG Oral Tablet"
        ),
        "subject": _subject(),
        "authoredOn": NOW.isoformat(),
    }


def hook_request(n: int | None, fhir_server: str | None = None, token: str | None = None) -> dict[str, Any]:
    """An order-select request; ``n`` resources in prefetch, or no prefetch (None) and a fhirServer."""
    body: dict[str, Any] = {
        "hookInstance": str(uuid.uuid4()),
        "hook": "order-select",
        "context": {
            "userId": "Practitioner/bench-dr-1",
            "patientId": PATIENT,
            "selections": ["MedicationRequest/draft-naltrexone-1"],
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": naltrexone_draft()}],
            },
        },
    }
    if n is not None:
        body["prefetch"] = {key: searchset(resources) for key, resources in record(n).items()}
    if fhir_server:
        body["fhirServer"] = fhir_server
        body["fhirAuthorization"] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "naltrexone-cds",
        }
    return body
