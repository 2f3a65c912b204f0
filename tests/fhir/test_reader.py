"""The tolerant reader: every shape real servers send is read, every wrong type is unreadable, not fatal."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from plugin.fhir.clinical import read_condition, read_observation
from plugin.fhir.concepts import NDC, RXNORM, concept
from plugin.fhir.medications import read_drug, read_medication_use
from plugin.fhir.quantities import duration_days, quantity
from plugin.fhir.record import read_record
from plugin.fhir.references import parse_reference
from plugin.fhir.values import number
from tests import builders as b

REFERENCE_ROWS = [
    ("Medication/m1", ("Medication", "m1", False), "relative"),
    ("https://ehr.example/fhir/Medication/m1", ("Medication", "m1", False), "absolute"),
    ("https://ehr.example/fhir/Medication/m1/_history/3", ("Medication", "m1", False), "versioned"),
    ("#med", (None, "med", True), "contained"),
    ("urn:uuid:6f1c0b4e-2b3a-4c5d-9e8f-001122334455", (None, None, False), "Bundle urn:uuid (by fullUrl)"),
    ("  Medication/m1 ", ("Medication", "m1", False), "surrounding spaces"),
    ("not a reference", (None, None, False), "junk text: no type/id"),
]


@pytest.mark.parametrize(("raw", "expected", "why"), REFERENCE_ROWS, ids=[r[2] for r in REFERENCE_ROWS])
def test_references(raw: str, expected: tuple[Any, ...], why: str) -> None:
    ref = parse_reference(raw)
    assert ref is not None and (ref.type, ref.id, ref.contained) == expected, why


@pytest.mark.parametrize("raw", [None, 5, 1e300, True, [], {}, ""])
def test_non_references_are_none(raw: Any) -> None:
    assert parse_reference(raw) is None


CONCEPT_ROWS: list[tuple[Any, tuple[tuple[str, str], ...] | None, str, str]] = [
    (b.concept(RXNORM, "1049621", "oxycodone 5 MG"), ((RXNORM, "1049621"),), "oxycodone 5 MG", "textbook"),
    ({"coding": {"system": RXNORM, "code": "7804"}}, ((RXNORM, "7804"),), "", "lone coding object"),
    (
        {"system": RXNORM, "code": "7804", "display": "oxycodone"},
        ((RXNORM, "7804"),),
        "",
        "a Coding as concept",
    ),
    ({"coding": [{"system": RXNORM, "code": 7804}]}, ((RXNORM, "7804"),), "", "numeric code"),
    (
        {"coding": [{"system": "urn:oid:2.16.840.1.113883.6.88", "code": "7804"}]},
        ((RXNORM, "7804"),),
        "",
        "OID",
    ),
    (
        {"coding": [{"system": "http://hl7.org/fhir/ndc", "code": "0406-0552-01"}]},
        ((NDC, "0406-0552-01"),),
        "",
        "NDC",
    ),
    ({"coding": 1.5, "text": "Percocet"}, (), "Percocet", "coding a number: text still read"),
    ({"coding": [None, 3, {"code": {"x": 1}}], "text": 7}, (), "", "junk codings and text"),
    ("oxycodone", None, "", "a string is not a concept"),
    ([b.concept(RXNORM, "7804", "x")], None, "", "an array is not a concept"),
]


@pytest.mark.parametrize(("raw", "codes", "text", "why"), CONCEPT_ROWS, ids=[r[3] for r in CONCEPT_ROWS])
def test_concepts(raw: Any, codes: Any, text: str, why: str) -> None:
    found = concept(raw)
    if codes is None:
        assert found is None, why
        return
    assert found is not None
    assert tuple((c.system, c.code) for c in found.codings) == codes, why
    assert found.text == text, why


def test_drug_is_named_once() -> None:
    found = concept(b.concept(RXNORM, *b.OXYCODONE))
    assert found is not None and found.name == b.OXYCODONE[1] and found.words == b.OXYCODONE[1]


NUMBER_ROWS = [
    (30, 30.0),
    ("30", 30.0),
    (" 2.5 ", 2.5),
    (True, None),
    ("abc", None),
    (1e300, None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), NUMBER_ROWS)
def test_numbers_as_strings(raw: Any, expected: float | None) -> None:
    assert number(raw) == expected


QUANTITY_ROWS = [
    ({"value": 30, "unit": "days", "code": "d"}, 30.0, "UCUM d"),
    ({"value": "4", "code": "wk"}, 28.0, "numeric string, weeks"),
    ({"value": 90, "unit": "Days"}, 90.0, "unit word, capitalised"),
    ({"value": 3, "code": "mo"}, 90.0, "months"),
    ({"value": 30}, 30.0, "no unit at all: days (how daysSupply is written)"),
    ({"value": 30, "unit": "tablets"}, None, "not a time unit"),
    ({"value": {"x": 1}, "unit": "d"}, None, "value an object"),
    (12, None, "a number is not a Quantity"),
]


@pytest.mark.parametrize(("raw", "days", "why"), QUANTITY_ROWS, ids=[r[2] for r in QUANTITY_ROWS])
def test_durations(raw: Any, days: float | None, why: str) -> None:
    assert duration_days(raw) == days, why


def test_quantity_without_unit_keeps_value() -> None:
    found = quantity({"value": "120"})
    assert found is not None and found.value == 120.0 and found.unit == ""


def _use(resource: dict[str, Any], medications: list[dict[str, Any]] | None = None) -> Any:
    from plugin.fhir.record import medication_index

    return read_medication_use(resource, "medicationRequests", medication_index(medications or []))


WRONG_TYPES = [None, True, 1.5, 10**30, "x", [], {}, [1, "a", None]]


@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
@pytest.mark.parametrize(
    "field",
    ["dosageInstruction", "dispenseRequest", "authoredOn", "status", "reasonCode", "meta", "contained", "id"],
)
def test_wrong_types_in_a_medication_request_are_unreadable_not_fatal(field: str, value: Any) -> None:
    mr = b.med_request("a", b.OXYCODONE, authored="2026-11-01", supply_days=10)
    mr[field] = value
    use = _use(mr)
    # every field can be asked for; none raises
    assert use.drug.codings[0].code == b.OXYCODONE[0]
    for name in (
        "dosages",
        "authored",
        "validity",
        "supply_days",
        "reasons",
        "tagged",
        "routes",
        "status",
        "id",
    ):
        getattr(use, name)


def test_dosage_single_object_and_nested_wrong_types() -> None:
    mr = b.med_request("a", b.OXYCODONE)
    mr["dosageInstruction"] = {
        "route": {"coding": 1.5, "text": "oral"},
        "doseAndRate": 7,
        "timing": {"repeat": {"frequency": "4", "period": 1, "periodUnit": "d", "boundsPeriod": "x"}},
    }
    (dosage,) = _use(mr).dosages
    assert dosage.frequency == 4.0 and dosage.dose is None and dosage.route is not None
    assert dosage.route.text == "oral"


def test_administration_dosage_is_an_object() -> None:
    ma = b.administration("x", b.NALTREXONE_XR, "2026-11-01")
    ma["dosage"] = {
        "route": b.concept(b.SCT, "78421000", "Intramuscular route"),
        "dose": {"value": 380, "unit": "mg"},
    }
    (dosage,) = _use(ma).dosages
    assert dosage.dose is not None and dosage.dose.value == 380 and dosage.route is not None


MEDICATION = {"resourceType": "Medication", "id": "m1", "code": b.concept(RXNORM, *b.METHADONE)}
NO_CODE_MEDICATION = {
    "resourceType": "Medication",
    "id": "m2",
    "ingredient": [
        {"itemCodeableConcept": b.concept(RXNORM, "7804", "oxycodone")},
        {"itemCodeableConcept": b.concept(RXNORM, "161", "acetaminophen")},
    ],
}
DRUG_ROWS: list[tuple[dict[str, Any], list[dict[str, Any]], str | None, str]] = [
    ({"medicationReference": {"reference": "Medication/m1"}}, [MEDICATION], b.METHADONE[0], "relative"),
    (
        {"medicationReference": {"reference": "https://ehr.example/fhir/Medication/m1"}},
        [MEDICATION],
        b.METHADONE[0],
        "absolute URL",
    ),
    (
        {"medicationReference": {"reference": "#c"}, "contained": [{**MEDICATION, "id": "c"}]},
        [],
        b.METHADONE[0],
        "contained",
    ),
    ({"medicationReference": {"reference": "Medication/m2"}}, [NO_CODE_MEDICATION], "7804", "by ingredients"),
    ({"medicationReference": {"reference": "Medication/zz"}}, [], None, "unresolved: kept for fetching"),
]


@pytest.mark.parametrize(("fields", "medications", "code", "why"), DRUG_ROWS, ids=[r[3] for r in DRUG_ROWS])
def test_drug_resolution(
    fields: dict[str, Any], medications: list[dict[str, Any]], code: str | None, why: str
) -> None:
    from plugin.fhir.record import medication_index

    drug = read_drug({"resourceType": "MedicationRequest", **fields}, medication_index(medications))
    assert (drug.codings[0].code if drug.codings else None) == code, why


def test_urn_uuid_resolves_through_full_url() -> None:
    from plugin.fhir.record import medication_index

    url = "urn:uuid:6f1c0b4e-2b3a-4c5d-9e8f-001122334455"
    index = medication_index([], {url: MEDICATION})
    drug = read_drug({"resourceType": "MedicationRequest", "medicationReference": {"reference": url}}, index)
    assert drug.codings[0].code == b.METHADONE[0]


UNREADABLE_DRUGS = [
    {},
    {"medicationCodeableConcept": True},
    {"medicationCodeableConcept": {}},
    {"medicationCodeableConcept": {"coding": 3}},
    {"medicationReference": 5},
]


@pytest.mark.parametrize("fields", UNREADABLE_DRUGS, ids=repr)
def test_unreadable_drugs(fields: dict[str, Any]) -> None:
    assert not read_drug({"resourceType": "MedicationRequest", **fields}, {}).readable


def test_record_names_what_it_could_not_read() -> None:
    broken = b.med_request("broken", b.OXYCODONE)
    broken["medicationCodeableConcept"] = 1.5
    obs = b.observation("o1", "19295-5", "Opiates", "2026-11-20", valueString="positive")
    obs["code"] = "opiates"
    read = read_record({"medicationRequests": [broken], "observations": [obs]})
    assert [(u.reference, u.key, u.part) for u in read.unreadable] == [
        ("MedicationRequest/broken", "medicationRequests", "drug"),
        ("Observation/o1", "observations", "code"),
    ]
    assert read.counts == {"MedicationRequest": 1, "Observation": 1}


def test_views_are_read_only() -> None:
    use = _use(b.med_request("a", b.OXYCODONE))
    with pytest.raises(AttributeError):
        use.status = "active"  # type: ignore[misc]


def test_observation_and_condition_wrong_types() -> None:
    obs = read_observation(
        {
            "resourceType": "Observation",
            "component": 5,
            "interpretation": "POS",
            "effectiveDateTime": 20261120,
        },
        "observations",
    )
    assert obs.components == () and obs.result.interpretations == () and obs.when is None
    cond = read_condition(
        {
            "resourceType": "Condition",
            "clinicalStatus": "active",
            "verificationStatus": [1],
            "onsetDateTime": "2026-11",
        },
        "conditions",
    )
    assert (
        cond.clinical == {"active"} and cond.verification == frozenset() and cond.onset == date(2026, 11, 30)
    )
