"""Facts from FHIR dicts: what a medicine is, when its last dose was, what a urine test says."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from plugin.clinical.facts.findings import conditions_in, opioid_screens
from plugin.clinical.facts.medications import classify_medicine, opioid_exposure
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import default_terminology
from plugin.fhir.clinical import read_condition, read_observation
from plugin.fhir.medications import read_drug, read_medication_use
from plugin.fhir.record import medication_index
from tests import builders as b

TERM = default_terminology()
POLICY = Policy()
RX = b.RXNORM

CLASSIFY_ROWS = [
    ([{"system": RX, "code": "1483744"}], "", ("naltrexone", "oral"), "oral tablet SCD"),
    ([{"system": RX, "code": "637213"}], "", ("naltrexone", "xr-injectable"), "Vivitrol SCD"),
    ([{"system": RX, "code": "1551468"}], "", ("naltrexone", "bupropion-combination"), "Contrave"),
    ([{"system": RX, "code": "7243"}], "", ("naltrexone", "oral"), "ingredient only: oral by default"),
    (
        [{"system": RX, "code": "7243"}],
        "Vivitrol 380 mg",
        ("naltrexone", "xr-injectable"),
        "ingredient + brand",
    ),
    (
        [{"system": "urn:oid:2.16.840.1.113883.6.88", "code": "1483744"}],
        "",
        ("naltrexone", "oral"),
        "RxNorm written as OID",
    ),
    ([], "naltrexone 50 mg tab", ("naltrexone", "oral"), "text only"),
    ([], "ReVia", ("naltrexone", "oral"), "brand name text"),
    ([], "morphine sulfate / naltrexone ER capsule", ("opioid", "short-acting"), "Embeda text is an opioid"),
    ([{"system": RX, "code": "863845"}], "", ("opioid", "long-acting"), "Embeda SCD is an ER opioid"),
    ([], "tramadol 50mg", ("opioid", "short-acting"), "tramadol counts"),
    ([], "Sublocade 300 mg", ("opioid", "xr-buprenorphine"), "XR buprenorphine by brand"),
    ([{"system": RX, "code": "1996192"}], "", ("opioid", "xr-buprenorphine"), "XR buprenorphine SCD"),
    ([{"system": RX, "code": "864706"}], "", ("opioid", "long-acting"), "methadone tablet"),
    ([], "naloxone 4 mg nasal spray", None, "naloxone is not an opioid agonist"),
    ([{"system": RX, "code": "308182"}], "amoxicillin", None, "unrelated drug"),
]


@pytest.mark.parametrize(
    ("codings", "text", "expected", "why"), CLASSIFY_ROWS, ids=[r[3] for r in CLASSIFY_ROWS]
)
def test_classify_medicine(codings: list, text: str, expected: tuple | None, why: str) -> None:
    assert classify_medicine(codings, text, TERM) == expected, why


def test_medication_reference_contained_and_bundled() -> None:
    contained = {
        "resourceType": "MedicationRequest",
        "medicationReference": {"reference": "#m"},
        "contained": [{"resourceType": "Medication", "id": "m", "code": b.concept(RX, *b.OXYCODONE)}],
    }
    drug = read_drug(contained, {})
    assert drug.codings[0].code == b.OXYCODONE[0] and "oxycodone" in drug.name
    referenced = {"resourceType": "MedicationRequest", "medicationReference": {"reference": "Medication/m9"}}
    index = medication_index(
        [{"resourceType": "Medication", "id": "m9", "code": b.concept(RX, *b.METHADONE)}]
    )
    assert read_drug(referenced, index).codings[0].code == b.METHADONE[0]
    unresolved = read_drug(referenced, {})
    assert unresolved.codings == () and unresolved.unresolved == "Medication/m9"
    assert unresolved.resolve(index).codings[0].code == b.METHADONE[0]


LAST_DOSE_ROWS = [
    (
        b.med_request("a", b.OXYCODONE, authored="2026-11-01", supply_days=10),
        date(2026, 11, 11),
        False,
        "authoredOn + expected supply",
    ),
    (
        b.med_request("a", b.OXYCODONE, authored="2026-11-01", supply_days=10, repeats=2),
        date(2026, 12, 1),
        False,
        "refills extend the supply",
    ),
    (
        b.med_request("a", b.OXYCODONE, authored="2026-11-01"),
        date(2026, 12, 1),
        False,
        "no duration: default 30-day supply",
    ),
    (b.med_request("a", b.OXYCODONE, status="active", authored="2025-01-01"), None, True, "active = ongoing"),
    (b.dispense("d", b.OXYCODONE, "2026-11-10", 5), date(2026, 11, 15), False, "handed over + days supply"),
    (
        b.statement("s", b.OXYCODONE, "completed", end="2026-10-03"),
        date(2026, 10, 3),
        False,
        "statement period end",
    ),
    (b.statement("s", b.OXYCODONE, "active"), None, True, "statement active = ongoing"),
    (b.administration("x", b.SUBLOCADE, "2026-09-01"), date(2026, 9, 1), False, "administration date"),
    (
        b.med_request("a", b.OXYCODONE, authored="2026-11", supply_days=1),
        date(2026, 12, 1),
        False,
        "partial date counts from the month's last day",
    ),
]


@pytest.mark.parametrize(
    ("resource", "last", "ongoing", "why"), LAST_DOSE_ROWS, ids=[r[3] for r in LAST_DOSE_ROWS]
)
def test_estimated_last_dose(resource: dict, last: date | None, ongoing: bool, why: str) -> None:
    exposure = opioid_exposure(read_medication_use(resource, "k", {}), "short-acting", POLICY)
    assert exposure is not None
    assert (exposure.last_dose, exposure.ongoing) == (last, ongoing), why


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "draft"])
def test_ignored_request_statuses(status: str) -> None:
    assert (
        opioid_exposure(
            read_medication_use(
                b.med_request("a", b.OXYCODONE, status=status, authored="2026-11-20"), "k", {}
            ),
            "short-acting",
            POLICY,
        )
        is None
    )


INTERP = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
SCREEN_ROWS: list[tuple[dict[str, Any], str, str]] = [
    ({"valueString": "Positive"}, "positive", "valueString pos"),
    ({"valueString": "NEGATIVE"}, "negative", "valueString neg"),
    ({"valueString": "Not detected"}, "negative", "not detected is negative"),
    ({"valueCodeableConcept": b.concept(b.SCT, "10828004", "Positive")}, "positive", "SNOMED positive"),
    (
        {"valueCodeableConcept": b.concept(b.SCT, "260415000", "Not detected")},
        "negative",
        "SNOMED not detected",
    ),
    ({"interpretation": [b.concept(INTERP, "POS", "Positive")]}, "positive", "interpretation POS"),
    ({"interpretation": [b.concept(INTERP, "NEG", "Negative")]}, "negative", "interpretation NEG"),
    ({"valueQuantity": {"value": 120, "unit": "ng/mL"}}, "negative", "below the policy opiates cutoff (300)"),
    ({"valueQuantity": {"value": 450, "unit": "ng/mL"}}, "positive", "at or above the policy cutoff"),
    (
        {"valueQuantity": {"value": 120, "unit": "ng/mL"}, "referenceRange": [{"high": {"value": 100}}]},
        "positive",
        "the lab's own cutoff (referenceRange.high) wins",
    ),
    ({"valueQuantity": {"value": 120, "unit": "mmol/L"}}, "none", "a unit the policy cutoff is not in"),
    ({"valueString": "Possible opiate presence"}, "none", "'possible' is not positive"),
]


@pytest.mark.parametrize(("value", "expected", "why"), SCREEN_ROWS, ids=[r[2] for r in SCREEN_ROWS])
def test_urine_screen_results(value: dict, expected: str, why: str) -> None:
    obs = b.observation("u", "19295-5", "Opiates [Presence] in Urine by Screen method", "2026-11-20", **value)
    positive, negative, _, _ = opioid_screens([read_observation(obs, "k")], TERM, POLICY, date(2026, 11, 25))
    got = "positive" if positive else "negative" if negative else "none"
    assert got == expected, why


def test_panel_components_are_read() -> None:
    panel = b.observation("p", "65750-2", "Drugs of abuse 5 panel", "2026-11-20")
    panel["component"] = [
        {"code": b.concept(b.LOINC, "19295-5", "Opiates"), "valueString": "positive"},
        {"code": b.concept(b.LOINC, "12309-1", "Naltrexone"), "valueString": "positive"},
    ]
    positive, _, _, _ = opioid_screens([read_observation(panel, "k")], TERM, POLICY, date(2026, 11, 25))
    assert [e.resource_id for e in positive] == ["p"]


CONDITION_ROWS = [
    ({}, True, "active confirmed"),
    ({"clinical": "remission"}, False, "in remission"),
    ({"clinical": "resolved"}, False, "resolved"),
    ({"verification": "refuted"}, False, "refuted"),
    ({"verification": "entered-in-error"}, False, "entered in error"),
]


@pytest.mark.parametrize(("statuses", "expected", "why"), CONDITION_ROWS, ids=[r[2] for r in CONDITION_ROWS])
def test_dependence_condition_status(statuses: dict, expected: bool, why: str) -> None:
    cond = b.condition("c", b.ICD10, "F11.20", "Opioid dependence", "2026-11-20", **statuses)
    assert bool(conditions_in([read_condition(cond, "k")], "opioid-dependence-current", TERM)) is expected, (
        why
    )


def test_remission_code_is_not_current_dependence() -> None:
    cond = b.condition("c", b.ICD10, "F11.21", "Opioid dependence, in remission", "2026-11-20")
    assert conditions_in([read_condition(cond, "k")], "opioid-dependence-current", TERM) == []


@pytest.mark.parametrize("system", [1, {"a": 1}, None, ["x"]])
def test_non_string_code_systems_are_ignored_not_fatal(system: object) -> None:
    assert classify_medicine([{"system": system, "code": "1483744"}], "", TERM) is None
