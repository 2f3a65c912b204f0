"""R6 facts: which records mean a detox is still in progress (table-driven, the reason in each row)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from plugin.clinical.facts.activities import walk_activities
from plugin.clinical.facts.detox import is_taper, unverified_withdrawal, withdrawal_medicine
from plugin.clinical.facts.findings import CodeSets
from plugin.clinical.terminology import default_terminology
from plugin.fhir.clinical import read_activity
from plugin.fhir.concepts import EMPTY
from plugin.fhir.medications import Drug, read_medication_use
from tests.builders import CHECK_UP_CODE, DETOX_CODE, SCT

TERM = default_terminology()
NOW = date(2026, 11, 25)
DETOX, OTHER = DETOX_CODE, CHECK_UP_CODE

# (resource, open detox?, reason)
ACTIVITY_ROWS: list[tuple[dict[str, Any], bool, str]] = [
    (
        {"resourceType": "Encounter", "id": "e", "status": "in-progress", "type": [DETOX]},
        True,
        "inpatient detox now",
    ),
    (
        {"resourceType": "Encounter", "id": "e", "status": "onleave", "type": DETOX},
        True,
        "on leave, type as one object",
    ),
    (
        {"resourceType": "Encounter", "id": "e", "status": "finished", "type": [DETOX]},
        False,
        "a finished detox is R6's completed detox",
    ),
    (
        {"resourceType": "Encounter", "id": "e", "status": "in-progress", "type": [OTHER]},
        False,
        "an open visit of another kind",
    ),
    (
        {"resourceType": "Procedure", "id": "p", "status": "in-progress", "code": DETOX},
        True,
        "detox procedure under way",
    ),
    ({"resourceType": "Procedure", "id": "p", "status": "completed", "code": DETOX}, False, "completed"),
    (
        {"resourceType": "EpisodeOfCare", "id": "c", "status": "active", "type": [DETOX]},
        True,
        "an active detox episode of care",
    ),
    (
        {"resourceType": "Procedure", "id": "p", "status": 7, "code": DETOX},
        False,
        "an unreadable status is not 'open'",
    ),
]


@pytest.mark.parametrize(("resource", "expected", "reason"), ACTIVITY_ROWS, ids=[r[2] for r in ACTIVITY_ROWS])
def test_open_detox(resource: dict[str, Any], expected: bool, reason: str) -> None:
    assert bool(walk_activities([read_activity(resource, "k")], CodeSets(TERM)).open) is expected, reason


F1123 = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F11.23"}]}
WITHDRAWAL_DX = F1123  # opioid withdrawal (a name, not a citation in brackets)
HTN = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10"}]}
# (resource, text of the drug, withdrawal management?, reason)
MEDICINE_ROWS: list[tuple[dict[str, Any], str, bool, str]] = [
    (
        {"resourceType": "MedicationRequest", "status": "active"},
        "lofexidine 0.18 MG Oral Tablet",
        True,
        "lofexidine",
    ),
    ({"resourceType": "MedicationRequest", "status": "active"}, "Lucemyra 0.18 mg", True, "brand name"),
    (
        {"resourceType": "MedicationRequest", "status": "completed"},
        "lofexidine 0.18 MG Oral Tablet",
        False,
        "finished",
    ),
    (
        {"resourceType": "MedicationRequest", "status": "active", "reasonCode": F1123},
        "clonidine 0.1 MG Oral Tablet",
        True,
        "clonidine for opioid withdrawal (reasonCode as one object)",
    ),
    (
        {"resourceType": "MedicationRequest", "status": "active", "reasonCode": [HTN]},
        "clonidine 0.1 MG Oral Tablet",
        False,
        "clonidine for blood pressure",
    ),
    (
        {"resourceType": "MedicationStatement", "status": "active"},
        "clonidine 0.1 mg",
        False,
        "clonidine, no reason",
    ),
]


RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# (medicationCodeableConcept, withdrawal management?, reason)
CODED_ROWS: list[tuple[dict[str, Any], bool, str]] = [
    ({"coding": [{"system": RXNORM, "code": "2046591"}]}, True, "Lucemyra's RxCUI alone, no text"),
    ({"coding": [{"system": "http://www.whocc.no/atc", "code": "N07BC04"}]}, True, "ATC lofexidine"),
    ({"coding": [{"system": RXNORM, "code": "884173"}]}, False, "clonidine's RxCUI: not by itself"),
]


@pytest.mark.parametrize(("medication", "expected", "reason"), CODED_ROWS, ids=[r[2] for r in CODED_ROWS])
def test_withdrawal_medicine_by_code(medication: dict[str, Any], expected: bool, reason: str) -> None:
    resource = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "medicationCodeableConcept": medication,
    }
    use = read_medication_use(resource, "k", {})
    assert (withdrawal_medicine(use, use.drug, TERM) is not None) is expected, reason


@pytest.mark.parametrize(
    ("resource", "text", "expected", "reason"), MEDICINE_ROWS, ids=[r[3] for r in MEDICINE_ROWS]
)
def test_withdrawal_medicine(resource: dict[str, Any], text: str, expected: bool, reason: str) -> None:
    use = read_medication_use(resource, "k", {})
    drug = Drug(EMPTY, display=text)
    assert (withdrawal_medicine(use, drug, TERM) is not None) is expected, reason


LOFEXIDINE, CLONIDINE = "lofexidine 0.18 MG Oral Tablet", "clonidine 0.1 MG Oral Tablet"
# (fields of the MedicationRequest, drug text, the part named as unreadable or None, reason)
UNVERIFIED_MEDICINE_ROWS: list[tuple[dict[str, Any], str, str | None, str]] = [
    ({"status": "active"}, LOFEXIDINE, None, "active lofexidine is read: detox in progress"),
    ({}, LOFEXIDINE, "status", "lofexidine without a status may be active"),
    ({"status": None}, LOFEXIDINE, "status", "status null"),
    ({"status": 3}, LOFEXIDINE, "status", "status a number"),
    ({"status": {}}, LOFEXIDINE, "status", "status an object"),
    ({"status": "completed"}, LOFEXIDINE, None, "finished lofexidine is read: not in progress"),
    ({"status": "active", "reasonCode": F1123}, CLONIDINE, None, "active clonidine for withdrawal is read"),
    ({"reasonCode": F1123}, CLONIDINE, "status", "clonidine for withdrawal without a status"),
    (
        {"status": 1.7976931348623157e308, "reasonCode": [WITHDRAWAL_DX]},
        CLONIDINE,
        "status",
        "status a huge number",
    ),
    (
        {"status": "active", "reasonCode": None},
        CLONIDINE,
        "reason",
        "clonidine's reason null: may be withdrawal",
    ),
    ({"status": "active", "reasonCode": 1.7976931348623157e308}, CLONIDINE, "reason", "reason a huge number"),
    ({"status": "active", "reasonCode": {}}, CLONIDINE, "reason", "reason an empty object"),
    ({"reasonCode": 3}, CLONIDINE, "reason", "no status and a damaged reason"),
    (
        {"status": "stopped", "reasonCode": 3},
        CLONIDINE,
        None,
        "stopped: not in progress, whatever the reason",
    ),
    ({"status": "active", "reasonCode": [HTN]}, CLONIDINE, None, "clonidine for blood pressure is read"),
    ({"status": "active"}, CLONIDINE, None, "clonidine without any reason is not withdrawal management"),
    ({}, CLONIDINE, None, "clonidine without status or reason: nothing says withdrawal"),
    ({}, "metformin 500 MG Oral Tablet", None, "not a withdrawal medicine"),
]
OUD_REASON_TEXT = {"text": "Opioid dependence with withdrawal"}
# (fields, opioid use disorder on record?, the part named or None, withdrawal management?, reason)
OUD_ROWS: list[tuple[dict[str, Any], bool, str | None, bool, str]] = [
    (
        {"status": "active"},
        True,
        "no reason given: clonidine may be for opioid withdrawal",
        False,
        "OUD, no reason",
    ),
    ({"status": "active"}, False, None, False, "no reason and no opioid use disorder: blood pressure"),
    ({"status": "active", "reasonCode": [HTN]}, True, None, False, "OUD, but clonidine for blood pressure"),
    ({"status": "active", "reasonCode": OUD_REASON_TEXT}, False, None, True, "the reason in words only"),
    (
        {"status": "active", "reasonCode": {"text": "hypertension"}},
        True,
        None,
        False,
        "a worded other reason",
    ),
    ({"status": "completed"}, True, None, False, "stopped clonidine without reason: not in progress"),
]


@pytest.mark.parametrize(
    ("fields", "oud", "part", "managed", "reason"), OUD_ROWS, ids=[r[4] for r in OUD_ROWS]
)
def test_clonidine_reason_words_and_absence(
    fields: dict[str, Any], oud: bool, part: str | None, managed: bool, reason: str
) -> None:
    use = read_medication_use({"resourceType": "MedicationRequest", **fields}, "k", {})
    drug = Drug(EMPTY, display=CLONIDINE)
    assert unverified_withdrawal(use, drug, TERM, oud) == part, reason
    assert (withdrawal_medicine(use, drug, TERM) is not None) is managed, reason


@pytest.mark.parametrize(
    ("fields", "text", "part", "reason"),
    UNVERIFIED_MEDICINE_ROWS,
    ids=[r[3] for r in UNVERIFIED_MEDICINE_ROWS],
)
def test_unverified_withdrawal_medicine(
    fields: dict[str, Any], text: str, part: str | None, reason: str
) -> None:
    use = read_medication_use({"resourceType": "MedicationRequest", **fields}, "k", {})
    drug = Drug(EMPTY, display=text)
    assert unverified_withdrawal(use, drug, TERM) == part, reason
    if part is not None:  # what cannot be verified is never also read as detox in progress
        assert withdrawal_medicine(use, drug, TERM) is None, reason


NUMERIC_DETOX = {"coding": [{"system": SCT, "code": 3}]}
# (resource, named as unreadable (part) or None, reason)
UNVERIFIED_ACTIVITY_ROWS: list[tuple[dict[str, Any], str | None, str]] = [
    ({"resourceType": "Procedure", "id": "p", "status": "in-progress", "code": DETOX}, None, "open: read"),
    ({"resourceType": "Procedure", "id": "p", "code": DETOX}, "status", "detox procedure without a status"),
    ({"resourceType": "Procedure", "id": "p", "status": None, "code": DETOX}, "status", "status null"),
    ({"resourceType": "Procedure", "id": "p", "status": 7, "code": DETOX}, "status", "status a number"),
    (
        {"resourceType": "Encounter", "id": "e", "status": [], "type": [DETOX]},
        "status",
        "encounter status []",
    ),
    ({"resourceType": "EpisodeOfCare", "id": "c", "type": [DETOX]}, "status", "episode without a status"),
    ({"resourceType": "Procedure", "id": "p", "status": "completed", "code": DETOX}, None, "completed: read"),
    ({"resourceType": "Procedure", "id": "p", "code": OTHER}, None, "no status, but not a detox"),
    (
        {"resourceType": "Procedure", "id": "p", "status": "in-progress", "code": NUMERIC_DETOX},
        "code",
        "an open procedure whose code is a number: may be the detox",
    ),
    (
        {
            "resourceType": "Encounter",
            "id": "e",
            "status": "in-progress",
            "type": [{"coding": [{"code": 3}]}],
        },
        "code",
        "an open encounter whose type code is a number",
    ),
]


@pytest.mark.parametrize(
    ("resource", "part", "reason"), UNVERIFIED_ACTIVITY_ROWS, ids=[r[2] for r in UNVERIFIED_ACTIVITY_ROWS]
)
def test_unverified_detox(resource: dict[str, Any], part: str | None, reason: str) -> None:
    walk = walk_activities([read_activity(resource, "k")], CodeSets(TERM))
    named = [p for _, p in walk.unverified] + [u.part for u in walk.suspect]
    assert named == ([part] if part else []), reason
    if part is not None:
        assert not walk.open, reason


def _step(seq: int, end: str, text: str = "") -> dict[str, Any]:
    return {"sequence": seq, "text": text, "timing": {"repeat": {"boundsPeriod": {"end": end}}}}


# (dosageInstruction, taper?, reason)
TAPER_ROWS: list[tuple[Any, bool, str]] = [
    ([{"text": "Taper: 8 mg daily x3 d, 4 mg x3 d, 2 mg x3 d"}], True, "the sig says taper"),
    ([{"text": "wean by 2 mg every 3 days"}], True, "wean"),
    ([_step(1, "2026-11-22"), _step(2, "2026-11-27")], True, "sequenced steps still running"),
    ([_step(1, "2026-11-10"), _step(2, "2026-11-20")], False, "sequenced steps all ended"),
    ([{"text": "16 mg sublingual daily"}], False, "maintenance dose"),
    ({"text": "taper off over 2 weeks"}, True, "dosageInstruction as one object"),
]


@pytest.mark.parametrize(("dosage", "expected", "reason"), TAPER_ROWS, ids=[r[2] for r in TAPER_ROWS])
def test_taper(dosage: Any, expected: bool, reason: str) -> None:
    use = read_medication_use({"resourceType": "MedicationRequest", "dosageInstruction": dosage}, "k", {})
    assert is_taper(use, NOW) is expected, reason
