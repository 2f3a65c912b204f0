"""What is named as unreadable rather than read as harmless (table-driven, the reason per row): opioid
entries without a status, undated failed challenges, pending or text-only urine tests, empty panels."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from plugin.clinical.facts.findings import CodedIndex, CodeSets, opioid_screens
from plugin.clinical.facts.observations import walk_observations
from plugin.clinical.facts.unreadable import damaged, undated_challenges
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import default_terminology
from plugin.fhir.clinical import read_observation
from plugin.fhir.medications import read_medication_use

TERM = default_terminology()
NOW = date(2026, 11, 25)
LOINC, SCT = "http://loinc.org", "http://snomed.info/sct"
METHADONE = {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "6813"}]}

# (status as sent (absent: "-"), named "status"?, reason)
STATUS_ROWS: list[tuple[Any, bool, str]] = [
    ("active", False, "textbook"),
    ("-", True, "FHIR requires a status: without one, active or not is unknown"),
    (None, True, "null"),
    (3, True, "a number"),
    ("", True, "blank"),
    ("completed", False, "a readable status"),
]


@pytest.mark.parametrize(("status", "named", "reason"), STATUS_ROWS, ids=[r[2] for r in STATUS_ROWS])
def test_an_opioid_entry_without_a_status_is_named(status: Any, named: bool, reason: str) -> None:
    resource: dict[str, Any] = {"resourceType": "MedicationStatement", "medicationCodeableConcept": METHADONE}
    if status != "-":
        resource["status"] = status
    parts = [u.part for u in damaged(read_medication_use(resource, "k", {}))]
    assert ("status" in parts) is named, reason


CHALLENGE_CODE = {"coding": [{"system": SCT, "code": "1264554000"}]}
# (effectiveDateTime as sent (absent: "-"), named "date"?, reason)
CHALLENGE_ROWS: list[tuple[Any, bool, str]] = [
    ("2026-11-24", False, "dated: R5 judges it"),
    ("-", True, "no date at all: R5 cannot place it in its look-back"),
    (None, True, "null"),
    (True, True, "true"),
    ({}, True, "an object"),
]


@pytest.mark.parametrize(("when", "named", "reason"), CHALLENGE_ROWS, ids=[r[2] for r in CHALLENGE_ROWS])
def test_an_undated_failed_challenge_is_named(when: Any, named: bool, reason: str) -> None:
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": "c",
        "status": "final",
        "code": CHALLENGE_CODE,
    }
    if when != "-":
        obs["effectiveDateTime"] = when
    found = undated_challenges(CodedIndex([read_observation(obs, "k")], TERM))
    assert bool(found) is named, reason


def _obs(code: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "o", "status": "final", "code": code, **fields}


PANEL_LOCAL = {
    "coding": [{"system": "urn:oid:1.2.3", "code": "224068"}],
    "text": "DRUGS OF ABUSE SCREEN, URINE",
}
OPIATES = {"coding": [{"system": LOINC, "code": "19295-5"}]}
EDDP = "2-Ethylidene-1,5-Dimethyl-3,3-Diphenylpyrrolidine (EDDP) [Presence] in Urine by Screen method"
COMPONENT = {"code": OPIATES, "valueString": "positive"}
# (Observation, the part named or None, reason)
SUSPECT_ROWS: list[tuple[dict[str, Any], str | None, str]] = [
    (_obs(PANEL_LOCAL, component=[COMPONENT]), None, "a panel with its components is read"),
    (_obs(PANEL_LOCAL), "result", "a drug screen panel with neither results nor components"),
    (_obs(PANEL_LOCAL, component=None), "components", "components null"),
    (_obs(PANEL_LOCAL, component={}), "components", "components {}"),
    (_obs(PANEL_LOCAL, component=[]), "components", "components []"),
    (
        _obs({"coding": [{"system": LOINC, "code": "65750-2"}]}),
        "result",
        "a LOINC drugs-of-abuse panel, empty",
    ),
    (_obs({"text": "6-Monoacetylmorphine [Presence] in Urine by Screen method"}), "code", "6-MAM by text"),
    (
        _obs({"text": EDDP}),
        "code",
        "EDDP by text (a LOINC display word for word)",
    ),
    (
        _obs({"text": "Signs of opioid withdrawal on naloxone challenge test (finding)"}),
        "code",
        "a challenge by text",
    ),
    (_obs(PANEL_LOCAL, component=[{"valueString": "positive"}]), "component code", "a component, no code"),
    (_obs(PANEL_LOCAL, component=[{"code": 3, "valueString": "no"}]), "component code", "a component code 3"),
    (
        _obs(PANEL_LOCAL, component=[{"code": {"text": "OXYCODONE UR"}, "valueString": "negative"}]),
        "code",
        "a component whose text names an opioid under no known code",
    ),
    (_obs({"text": "OXYCODONE UR"}, component=[COMPONENT]), "code", "a panel whose own text names an opioid"),
    (_obs(OPIATES, component=[COMPONENT]), None, "a screen with a screen component is read"),
    (
        _obs({"coding": [{"system": LOINC, "code": "65750-2"}]}, status="cancelled"),
        None,
        "an empty panel that was cancelled",
    ),
    (_obs({"text": "OXYCODONE UR"}, valueString="neg"), "code", "a text-only opioid test"),
    (_obs(CHALLENGE_CODE, component=[]), "components", "a challenge with components []"),
    (_obs({"text": "Hemoglobin A1c"}, valueQuantity={"value": 6}), None, "an unrelated text-only result"),
    (_obs({"text": "Chest X-ray report"}), None, "an unrelated result without a value"),
]


@pytest.mark.parametrize(("obs", "part", "reason"), SUSPECT_ROWS, ids=[r[2] for r in SUSPECT_ROWS])
def test_suspect_observations(obs: dict[str, Any], part: str | None, reason: str) -> None:
    view = read_observation(obs, "k")
    found = [u.part for u in walk_observations([view], CodeSets(TERM)).suspect]
    assert found == ([part] if part else []), reason


# (status, effective date, named "result pending"?, reason)
PENDING_ROWS: list[tuple[str, str | None, bool, str]] = [
    ("preliminary", "2026-11-24", True, "a screen pending now may be the positive to come"),
    ("registered", None, True, "registered, undated"),
    ("registered", "2026-09-01", False, "pending for months: abandoned, outside the look-back"),
    ("final", "2026-11-24", False, "final without a value is named 'result' instead"),
]


@pytest.mark.parametrize(
    ("status", "when", "pending", "reason"), PENDING_ROWS, ids=[r[3] for r in PENDING_ROWS]
)
def test_a_pending_screen_is_named(status: str, when: str | None, pending: bool, reason: str) -> None:
    obs: dict[str, Any] = {"resourceType": "Observation", "id": "u", "status": status, "code": OPIATES}
    if when:
        obs["effectiveDateTime"] = when
    _, _, named, _ = opioid_screens([read_observation(obs, "k")], TERM, Policy(), NOW)
    assert (("result pending") in [part for _, part in named]) is pending, reason
