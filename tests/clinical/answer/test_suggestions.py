"""Suggested MedicationRequests: documented regimens, valid R4, covering the course."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest

from plugin.clinical.answer.suggestions import new_uuid, regimen_request
from plugin.clinical.dosing import matching_regimen, nearest_regimen, read_dosing
from plugin.clinical.facts import is_tagged
from plugin.clinical.policy import REGIMENS, Policy
from plugin.clinical.terminology import default_terminology
from tests import builders as b
from tests.clinical.rules.support import order

TERM = default_terminology()
POLICY = Policy()
START = date(2026, 12, 1)


@pytest.mark.parametrize("regimen", REGIMENS, ids=[r.id for r in REGIMENS])
def test_every_regimen_round_trips_as_valid_r4(regimen) -> None:  # type: ignore[no-untyped-def]
    form = regimen.form
    resource = regimen_request(order(form), regimen, "pat-1", START, POLICY, TERM)
    model = MedicationRequest.model_validate(resource)
    again = MedicationRequest.model_validate_json(model.model_dump_json())
    assert again.model_dump(mode="json", exclude_none=True) == resource
    assert resource["status"] == "draft" and resource["id"] == "nx" and is_tagged(resource)
    assert resource["subject"] == {"reference": "Patient/pat-1"}
    code = resource["medicationCodeableConcept"]["coding"][0]["code"]
    assert TERM.contains("naltrexone-oral" if form == "oral" else "naltrexone-xr-injectable", b.RXNORM, code)
    doses = [d["doseAndRate"][0]["doseQuantity"]["value"] for d in resource["dosageInstruction"]]
    assert doses == [d.mg for d in regimen.doses]
    dispense = resource["dispenseRequest"]
    covered = dispense["expectedSupplyDuration"]["value"] * (dispense["numberOfRepeatsAllowed"] + 1)
    assert covered >= POLICY.course_usual_days
    assert dispense["validityPeriod"] == {"start": "2026-12-01", "end": "2027-12-01"}


def test_the_suggestion_matches_its_own_regimen() -> None:
    """What we suggest must pass our own regimen check (otherwise we would re-alert)."""
    for regimen in REGIMENS:
        resource = regimen_request(order(regimen.form), regimen, "p", START, POLICY, TERM)
        suggested = order(regimen.form, resource=resource)
        assert matching_regimen(suggested, read_dosing(suggested, POLICY)) == regimen


NEAREST_ROWS = [
    (dict(mg=75, period=1), "oral-50mg-daily", "75 mg daily -> 50 mg daily"),
    (dict(mg=100, period=1), "oral-50mg-daily", "100 mg daily keeps the daily rhythm"),
    (dict(mg=200, period=2), "oral-100mg-every-other-day", "every other day keeps the rhythm"),
    (dict(mg=150, period=4), "oral-150mg-every-third-day", "150 mg at an odd interval -> every third day"),
    (dict(), "oral-50mg-daily", "no dose at all -> daily"),
]


@pytest.mark.parametrize(("dosing", "expected", "why"), NEAREST_ROWS, ids=[r[2] for r in NEAREST_ROWS])
def test_nearest_regimen(dosing: dict, expected: str, why: str) -> None:
    draft = order(resource=b.naltrexone_draft(**dosing))
    assert nearest_regimen(draft, read_dosing(draft, POLICY)).id == expected, why


def test_xr_draft_goes_to_the_xr_regimen() -> None:
    draft = order(
        "xr-injectable", resource=b.naltrexone_draft(drug=b.NALTREXONE_XR, mg=380, period=2, unit="wk")
    )
    dosing = read_dosing(draft, POLICY)
    assert matching_regimen(draft, dosing) is None
    assert nearest_regimen(draft, dosing).id == "xr-380mg-every-4-weeks"


def test_monthly_xr_counts_as_every_four_weeks() -> None:
    draft = order(
        "xr-injectable", resource=b.naltrexone_draft(drug=b.NALTREXONE_XR, mg=380, period=1, unit="mo")
    )
    assert matching_regimen(draft, read_dosing(draft, POLICY)) is not None


def test_tablet_units_are_converted() -> None:
    draft = b.naltrexone_draft(period=2)
    draft["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {"value": 2, "unit": "tablet"}}]
    nx = order(resource=draft)
    assert matching_regimen(nx, read_dosing(nx, POLICY)).id == "oral-100mg-every-other-day"  # type: ignore[union-attr]


def test_invalid_draft_fields_are_dropped_not_fatal() -> None:
    draft = b.naltrexone_draft()
    draft["note"] = "not a list of Annotation"
    resource = regimen_request(order(resource=draft), REGIMENS[0], "p", START, POLICY, TERM)
    assert "note" not in resource and resource["id"] == "nx"


def test_an_invalid_draft_id_turns_the_update_into_a_create() -> None:
    draft = b.naltrexone_draft(rid="é" * 100)
    nx = order(resource=draft)
    nx = type(nx)(draft, f"MedicationRequest/{'é' * 100}", "oral", True, False)
    resource = regimen_request(nx, REGIMENS[0], "p", START, POLICY, TERM)
    assert "id" not in resource and resource["status"] == "draft"


def test_new_uuid_is_a_random_rfc_4122_uuid_as_str_uuid4_writes_it() -> None:
    made = [new_uuid() for _ in range(2000)]
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == text
    # every variant digit occurs (the two random bits of the clock sequence are kept)
    assert {text[19] for text in made} == set("89ab")
