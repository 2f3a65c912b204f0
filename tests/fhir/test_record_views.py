"""``read_record`` makes each view in line (no call per field): what it makes is what the views'
own constructors make, field for field, with and without the request's memo."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.fhir.clinical import Activity, Condition, Observation
from plugin.fhir.concepts import RXNORM, one_request
from plugin.fhir.medications import MedicationUse
from plugin.fhir.record import medication_index, read_record
from tests import builders as b

SNOMED = "http://snomed.info/sct"
_COLONOSCOPY = ("73761001", "Colonoscopy", "2026-01-01")


def _record() -> dict[str, list[dict[str, Any]]]:
    by_reference = b.med_request("r2", b.OXYCODONE)
    del by_reference["medicationCodeableConcept"]
    by_reference["medicationReference"] = {"reference": "Medication/m1"}
    medication = {"resourceType": "Medication", "id": "m1", "code": b.concept(RXNORM, b.OXYCODONE[0], "x")}
    negative = b.concept(SNOMED, "260385009", "Negative")
    broken = b.observation("o2", "19295-5", "Opiates", "2026-11-20", valueString="positive")
    broken["code"] = "opiates"
    return {
        "medicationRequests": [
            b.med_request("r1", b.OXYCODONE),
            by_reference,
            b.med_request("r3", b.OXYCODONE),
        ],
        "medicationDispenses": [b.dispense("d1", b.OXYCODONE, "2026-11-01", 30)],
        "observations": [
            b.observation("o1", "19295-5", "Opiates", "2026-11-20", valueString="negative"),
            broken,
            b.observation("o3", "19295-5", "Opiates", "2026-11-20", valueCodeableConcept=negative),
        ],
        "conditions": [b.condition("c1", SNOMED, "5602001", "Opioid abuse", "2026-01-01")],
        "procedures": [b.procedure("p1", *_COLONOSCOPY), medication],
        "encounters": [{"resourceType": "Encounter", "id": "e1", "status": "finished"}],
    }


def _fields(view: Any) -> dict[str, Any]:
    """What a view holds once made (``id`` is read later, when an unreadable entry is named)."""
    return {k: v for k, v in vars(view).items() if k not in ("_raw", "id")} | {"raw": id(view._raw)}


@pytest.mark.parametrize("memo", [False, True], ids=["no memo", "one_request"])
def test_views_are_what_their_constructors_make(memo: bool) -> None:
    record = _record()
    with one_request() if memo else _nothing():
        read = read_record(record)
        index = medication_index(r for rs in record.values() for r in rs)
        for use in read.medication_uses:
            made = MedicationUse(use._raw, use.key, index, use.kind)
            assert _fields(use) == _fields(made) and type(use) is MedicationUse
        for view in (*read.observations, *read.conditions):
            coded = (Observation if view.kind == "Observation" else Condition)(view._raw, view.key, view.kind)
            read_here = {"code": coded.code}
            if view.kind == "Observation":  # its coded value is read here too
                read_here["value_concept"] = coded.value_concept
            assert _fields(view) == _fields(coded) | read_here
        for kind, activities in read.activities.items():
            assert [_fields(a) for a in activities] == [
                _fields(Activity(a._raw, a.key, kind)) for a in activities
            ]
    assert [u.reference for u in read.medication_uses] == [
        "MedicationRequest/r1",
        "MedicationRequest/r2",
        "MedicationRequest/r3",
        "MedicationDispense/d1",
    ]
    assert read.medication_uses[1].drug.concept.codings[0].code == b.OXYCODONE[0]
    assert [(u.reference, u.part) for u in read.unreadable] == [("Observation/o2", "code")]
    assert list(read.activities) == ["Procedure", "Encounter"] and "m1" not in str(read.activities)
    assert read.counts == {
        "Condition": 1,
        "Encounter": 1,
        "Medication": 1,
        "MedicationDispense": 1,
        "MedicationRequest": 3,
        "Observation": 3,
        "Procedure": 1,
    }


class _nothing:  # noqa: N801 - a context manager that does nothing
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None
