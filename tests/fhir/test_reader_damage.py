"""What the reader calls damaged: a part sent with a wrong type is used for what is readable, and marked,
so that an entry whose essential part it was is named as unreadable (table-driven, the reason per row)."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.fhir.clinical import read_observation
from plugin.fhir.concepts import RXNORM, concept
from plugin.fhir.medications import read_medication_use
from plugin.fhir.record import read_record

SCT = "http://snomed.info/sct"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

# (CodeableConcept, codes read, damaged?, reason)
CONCEPT_ROWS: list[tuple[Any, tuple[str, ...], bool, str]] = [
    ({"coding": [{"system": ICD, "code": "F11.20"}]}, ("F11.20",), False, "textbook"),
    (
        {"coding": [{"system": RXNORM, "code": 7804}]},
        ("7804",),
        True,
        "a numeric code is read as its digits, but a string code replaced by a number reads as another code",
    ),
    ({"coding": [{"system": ICD, "code": 3}]}, ("3",), True, "F11.20 replaced by 3: damaged, not 'code 3'"),
    (
        {"coding": [{"system": ICD, "code": 1.7976931348623157e308}]},
        ("1.7976931348623157e+308",),
        True,
        "a huge number as code",
    ),
    ({"coding": [{"system": 3, "code": "F11.20"}]}, ("F11.20",), True, "a number as system"),
    ({"coding": [{"system": ICD, "code": "F11.20", "display": 3}]}, ("F11.20",), True, "a number as display"),
    ({"coding": [{"system": ICD, "code": True, "display": "Opioid dependence"}]}, ("",), True, "code true"),
    ({"system": ICD, "code": 5}, ("5",), True, "a lone Coding with a numeric code"),
]


@pytest.mark.parametrize(
    ("raw", "codes", "damaged", "reason"), CONCEPT_ROWS, ids=[r[3] for r in CONCEPT_ROWS]
)
def test_wrong_typed_codings_are_damaged(
    raw: Any, codes: tuple[str, ...], damaged: bool, reason: str
) -> None:
    found = concept(raw)
    assert found is not None
    assert tuple(c.code for c in found.codings) == codes, reason
    assert found.damaged is damaged, reason


def _condition(code: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": "c1", "code": {"coding": [{"system": ICD, "code": code}]}}


# (key, resource, named as unreadable?, reason)
RECORD_ROWS: list[tuple[str, dict[str, Any], bool, str]] = [
    ("conditions", _condition("F11.20"), False, "a readable diagnosis"),
    (
        "conditions",
        _condition(3),
        True,
        "the diagnosis code a number: the condition is named, not read as '3'",
    ),
    (
        "conditions",
        _condition(1.7976931348623157e308),
        True,
        "a huge number as diagnosis code",
    ),
]


@pytest.mark.parametrize(("key", "resource", "named", "reason"), RECORD_ROWS, ids=[r[3] for r in RECORD_ROWS])
def test_a_condition_with_a_wrong_typed_code_is_named(
    key: str, resource: dict[str, Any], named: bool, reason: str
) -> None:
    read = read_record({key: [resource]})
    assert (("Condition/c1", "code") in {(u.reference, u.part) for u in read.unreadable}) is named, reason


POS = {"coding": [{"system": V3, "code": "POS"}]}
# (interpretation as sent, or absent, damaged?, reason)
INTERPRETATION_ROWS: list[tuple[Any, bool, str]] = [
    ([POS], False, "textbook"),
    (POS, False, "a lone interpretation object"),
    ({}, True, "an empty object says nothing: damaged, not 'no interpretation'"),
    ([{}], True, "an array of an empty object"),
    ([POS, {}], True, "one readable, one empty"),
    (3, True, "a number"),
    (None, True, "null sent"),
    ([{"coding": [{"system": V3, "code": 3}]}], True, "a numeric interpretation code"),
    ({"text": "positive"}, False, "text only is readable"),
]


@pytest.mark.parametrize(
    ("raw", "damaged", "reason"), INTERPRETATION_ROWS, ids=[r[2] for r in INTERPRETATION_ROWS]
)
def test_interpretation_damage(raw: Any, damaged: bool, reason: str) -> None:
    obs = read_observation(
        {"resourceType": "Observation", "valueQuantity": {"value": 4}, "interpretation": raw}, "k"
    )
    assert obs.result.damaged is damaged, reason


def test_no_interpretation_is_not_damage() -> None:
    obs = read_observation({"resourceType": "Observation", "valueQuantity": {"value": 4}}, "k")
    assert not obs.result.damaged


OPIOID_WITHDRAWAL = {"coding": [{"system": ICD, "code": "F11.23"}]}
# (reasonCode as sent, damaged?, reason)
REASON_ROWS: list[tuple[Any, bool, str]] = [
    ([OPIOID_WITHDRAWAL], False, "textbook"),
    (OPIOID_WITHDRAWAL, False, "a lone reason object"),
    ({"text": "opioid withdrawal"}, False, "text only is readable"),
    (None, True, "null sent"),
    (3, True, "a number"),
    (1.7976931348623157e308, True, "a huge number"),
    ("F11.23", True, "a string is not a CodeableConcept"),
    ([], True, "an empty array says nothing"),
    ({}, True, "an empty object"),
    ([OPIOID_WITHDRAWAL, 3], True, "one readable, one a number"),
    ([{"coding": [{"system": ICD, "code": 3}]}], True, "a numeric reason code"),
]


@pytest.mark.parametrize(("raw", "damaged", "reason"), REASON_ROWS, ids=[r[2] for r in REASON_ROWS])
def test_reason_damage(raw: Any, damaged: bool, reason: str) -> None:
    use = read_medication_use({"resourceType": "MedicationRequest", "reasonCode": raw}, "k", {})
    assert use.reasons_damaged is damaged, reason


def test_no_reason_is_not_damage() -> None:
    assert not read_medication_use({"resourceType": "MedicationRequest"}, "k", {}).reasons_damaged
