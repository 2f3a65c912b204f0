"""Small builders for FHIR resources and hook requests used by the tests and scenario files.

Codes used here are test data (RxNorm/LOINC/SNOMED/ICD-10-CM, as in the value sets), not service logic.
"""

from __future__ import annotations

import uuid
from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
PATIENT = "pat-1"

NALTREXONE_ORAL = ("1483744", "naltrexone hydrochloride 50 MG Oral Tablet")
NALTREXONE_XR = ("637213", "naltrexone 380 MG Injection")
CONTRAVE = ("1551468", "12 HR bupropion hydrochloride 90 MG / naltrexone hydrochloride 8 MG ER Oral Tablet")
OXYCODONE = ("1049621", "oxycodone hydrochloride 5 MG Oral Tablet")
TRAMADOL = ("835603", "tramadol hydrochloride 50 MG Oral Tablet")
METHADONE = ("864706", "methadone hydrochloride 10 MG Oral Tablet")
SUBLOCADE = ("1996192", "1.5 ML buprenorphine 200 MG/ML Prefilled Syringe")
BUP_NX_FILM = ("1010604", "buprenorphine 8 MG / naloxone 2 MG Sublingual Film")
# An activity's code or type, coded only (no text): a detox, and a visit of another kind.
DETOX_CODE = {"coding": [{"system": SCT, "code": "61480009", "display": "Drug detoxification"}]}
CHECK_UP_CODE = {"coding": [{"system": SCT, "code": "185349003", "display": "Encounter for check up"}]}
PREFETCH_KEYS = (
    "medicationRequests",
    "medicationDispenses",
    "medicationStatements",
    "medicationAdministrations",
    "conditions",
    "observations",
    "procedures",
    "encounters",
    "serviceRequests",
    "appointments",
)
KEY_OF_TYPE = {
    "MedicationRequest": "medicationRequests",
    "MedicationDispense": "medicationDispenses",
    "MedicationStatement": "medicationStatements",
    "MedicationAdministration": "medicationAdministrations",
    "Condition": "conditions",
    "Observation": "observations",
    "Procedure": "procedures",
    "Encounter": "encounters",
    "ServiceRequest": "serviceRequests",
    "Appointment": "appointments",
    "Medication": "medicationRequests",
}


def concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def subject() -> dict[str, str]:
    return {"reference": f"Patient/{PATIENT}"}


def med_request(
    rid: str,
    drug: tuple[str, str],
    status: str = "completed",
    authored: str | None = None,
    supply_days: int | None = None,
    repeats: int | None = None,
) -> dict[str, Any]:
    mr: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "subject": subject(),
        "medicationCodeableConcept": concept(RXNORM, *drug),
    }
    if authored:
        mr["authoredOn"] = authored
    if supply_days is not None:
        mr["dispenseRequest"] = {
            "expectedSupplyDuration": {
                "value": supply_days,
                "unit": "days",
                "system": "http://unitsofmeasure.org",
                "code": "d",
            }
        }
        if repeats is not None:
            mr["dispenseRequest"]["numberOfRepeatsAllowed"] = repeats
    return mr


def dispense(
    rid: str, drug: tuple[str, str], handed: str, days: int, status: str = "completed"
) -> dict[str, Any]:
    return {
        "resourceType": "MedicationDispense",
        "id": rid,
        "status": status,
        "subject": subject(),
        "medicationCodeableConcept": concept(RXNORM, *drug),
        "whenHandedOver": handed,
        "daysSupply": {"value": days, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"},
    }


def administration(rid: str, drug: tuple[str, str], when: str, status: str = "completed") -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": status,
        "subject": subject(),
        "medicationCodeableConcept": concept(RXNORM, *drug),
        "effectiveDateTime": when,
    }


def statement(rid: str, drug: tuple[str, str], status: str, end: str | None = None) -> dict[str, Any]:
    ms: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": status,
        "subject": subject(),
        "medicationCodeableConcept": concept(RXNORM, *drug),
    }
    if end:
        ms["effectivePeriod"] = {"end": end}
    return ms


def condition(
    rid: str,
    system: str,
    code: str,
    display: str,
    recorded: str,
    clinical: str = "active",
    verification: str = "confirmed",
) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "subject": subject(),
        "code": concept(system, code, display),
        "clinicalStatus": concept(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", clinical, clinical
        ),
        "verificationStatus": concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", verification, verification
        ),
        "recordedDate": recorded,
    }


def observation(rid: str, code: str, display: str, when: str, **value: Any) -> dict[str, Any]:
    obs = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "subject": subject(),
        "code": concept(LOINC, code, display),
        "effectiveDateTime": when,
    }
    obs.update(value)
    return obs


def procedure(rid: str, code: str, display: str, end: str, status: str = "completed") -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": rid,
        "status": status,
        "subject": subject(),
        "code": concept(SCT, code, display),
        "performedPeriod": {"start": end, "end": end},
    }


def naltrexone_draft(
    rid: str = "nx-draft",
    drug: tuple[str, str] = NALTREXONE_ORAL,
    *,
    mg: float | None = None,
    period: int | None = None,
    unit: str = "d",
    course_days: int | None = None,
    route: tuple[str, str] | None = None,
    reason: tuple[str, str, str] | None = None,
    text_only: str | None = None,
) -> dict[str, Any]:
    mr: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": subject(),
    }
    mr["medicationCodeableConcept"] = {"text": text_only} if text_only else concept(RXNORM, *drug)
    if mg is not None or period is not None:
        dosage: dict[str, Any] = {}
        if mg is not None:
            dosage["doseAndRate"] = [
                {
                    "doseQuantity": {
                        "value": mg,
                        "unit": "mg",
                        "system": "http://unitsofmeasure.org",
                        "code": "mg",
                    }
                }
            ]
        if period is not None:
            dosage["timing"] = {"repeat": {"frequency": 1, "period": period, "periodUnit": unit}}
        if route:
            dosage["route"] = concept(SCT, *route)
        mr["dosageInstruction"] = [dosage]
    if course_days is not None:
        mr["dispenseRequest"] = {
            "validityPeriod": {"start": "2026-11-25", "end": _plus("2026-11-25", course_days)}
        }
    if reason:
        mr["reasonCode"] = [concept(*reason)]
    return mr


def _plus(day: str, days: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not resources:
        return None
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }


def prefetch_for(record: list[dict[str, Any]]) -> dict[str, Any]:
    by_key: dict[str, list[dict[str, Any]]] = {k: [] for k in PREFETCH_KEYS}
    for r in record:
        by_key[KEY_OF_TYPE[r["resourceType"]]].append(r)
    return {k: searchset(v) for k, v in by_key.items()}


def hook_request(
    drafts: list[dict[str, Any]],
    record: list[dict[str, Any]] | None = None,
    hook: str = "order-sign",
    selections: list[str] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {"userId": "Practitioner/dr-1", "patientId": PATIENT}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": d} for d in drafts]}
    if hook == "medication-prescribe":
        context["medications"] = bundle
    else:
        context["draftOrders"] = bundle
    if selections is not None:
        context["selections"] = selections
    return {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": context,
        "prefetch": prefetch_for(record or []),
    }
