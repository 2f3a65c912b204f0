"""Mutations the full property run once found silently clean, each kept as a row (the reason per row): the
hazard's only evidence mutated must still give a safety card, a could-not-verify card, or a 4xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plugin import create_app
from tests.fuzz.mutations import DROP, Mutation, apply, expected_hazards, load
from tests.fuzz.test_mutation_property import _service, _verdict
from tests.paths import SCENARIOS

MR0 = ("prefetch", "medicationRequests", "entry", 0, "resource")
PROC0 = ("prefetch", "procedures", "entry", 0, "resource")
COND0 = ("prefetch", "conditions", "entry", 0, "resource")
OBS0 = ("prefetch", "observations", "entry", 0, "resource")
CHALLENGE, PANEL, HEROIN = (
    "rw-failed-naloxone-challenge-yesterday",
    "rw-uds-panel-components-local-codes-first",
    "rw-uds-preliminary-positive-heroin",
)
# (scenario, path from the request's root, mutation kind, reason)
ROWS: list[tuple[str, tuple[str | int, ...], str, str]] = [
    ("rw-detox-lofexidine-active", (*MR0, "status"), DROP, "lofexidine without a status may be active"),
    ("rw-detox-lofexidine-active", (*MR0, "status"), "null", "lofexidine status null"),
    ("rw-detox-lofexidine-active", (*MR0, "status"), "number", "lofexidine status a number"),
    (
        "rw-detox-clonidine-for-withdrawal-reason-object",
        (*MR0, "reasonCode"),
        "null",
        "clonidine counts only by its reason: a reason that cannot be read cannot be judged clean",
    ),
    (
        "rw-detox-clonidine-for-withdrawal-reason-object",
        (*MR0, "reasonCode"),
        "huge",
        "clonidine's reason a huge number",
    ),
    (
        "rw-detox-clonidine-for-withdrawal-reason-object",
        (*MR0, "status"),
        DROP,
        "clonidine for withdrawal without a status",
    ),
    ("rw-detox-procedure-in-progress-old-diagnosis", (*PROC0, "status"), DROP, "open detox without status"),
    ("rw-detox-procedure-in-progress-old-diagnosis", (*PROC0, "status"), "null", "detox status null"),
    ("rw-detox-procedure-in-progress-old-diagnosis", (*PROC0, "status"), "number", "detox status a number"),
    (
        "rw-detox-procedure-in-progress-old-diagnosis",
        (*PROC0, "code", "coding", 0, "code"),
        "number",
        "the detox procedure's code a number: read as another code before",
    ),
    (
        "r6-dependence-no-detox",
        (*COND0, "code", "coding", 0, "code"),
        "number",
        "the dependence diagnosis' code a number: named, not read as code '3'",
    ),
    (
        "r5-failed-naloxone-challenge",
        (*COND0, "code", "coding", 0, "code"),
        "huge",
        "the failed challenge's code a huge number",
    ),
    (
        "r4-fentanyl-uds-interpretation",
        ("prefetch", "observations", "entry", 0, "resource", "interpretation"),
        "object",
        "interpretation {} is damaged, not 'no interpretation'",
    ),
    (CHALLENGE, (*OBS0, "effectiveDateTime"), "null", "a failed challenge without a readable date"),
    (CHALLENGE, (*OBS0, "effectiveDateTime"), DROP, "a failed challenge without any date"),
    (
        CHALLENGE,
        (*OBS0, "code", "coding"),
        DROP,
        "the challenge's coding lost, its text is the finding's display",
    ),
    (
        "r5-failed-naloxone-challenge",
        (*COND0, "code", "coding"),
        DROP,
        "a failed-challenge condition known only by its text",
    ),
    (
        "rw-detox-clonidine-for-withdrawal-reason-object",
        (*MR0, "reasonCode", "coding"),
        DROP,
        "clonidine's reason in words only: 'Opioid dependence with withdrawal'",
    ),
    (
        "rw-detox-clonidine-for-withdrawal-reason-object",
        (*MR0, "reasonCode"),
        DROP,
        "clonidine without any reason while opioid dependence is on record",
    ),
    (
        "rw-statement-active-no-dates-methadone",
        ("prefetch", "medicationStatements", "entry", 0, "resource", "status"),
        DROP,
        "an opioid statement without a status: active or not is unknown",
    ),
    (
        "rw-uds-methadone-eddp-pos-opiates-neg-later",
        (*OBS0, "code", "coding"),
        DROP,
        "an EDDP screen known only by its text (a LOINC display word for word)",
    ),
    (PANEL, (*OBS0, "component"), DROP, "a drug screen panel without its components"),
    (PANEL, (*OBS0, "component"), "null", "panel components null"),
    (PANEL, (*OBS0, "component"), "object", "panel components {}"),
    (HEROIN, (*OBS0, "code", "coding"), DROP, "a 6-MAM screen known only by its text"),
    (HEROIN, (*OBS0, "valueString"), DROP, "a preliminary screen without its result: the result is pending"),
    (
        "r3-xr-buprenorphine-120-days",
        (
            "prefetch",
            "medicationAdministrations",
            "entry",
            0,
            "resource",
            "medicationCodeableConcept",
            "coding",
        ),
        DROP,
        "XR buprenorphine known by its display text once its coding is gone, not as 'long-acting'",
    ),
]


def _scenario(name: str) -> Path:
    return next(SCENARIOS.rglob(f"{name}.json"))


@pytest.mark.parametrize(("name", "path", "kind", "reason"), ROWS, ids=[r[3] for r in ROWS])
def test_hazard_is_not_silently_lost(
    name: str, path: tuple[str | int, ...], kind: str, reason: str, tmp_path: Path
) -> None:
    scenario: dict[str, Any] = load(_scenario(name))
    hazards = expected_hazards(scenario)
    assert hazards, f"{name} must carry a hazard for this row to mean anything"
    body = apply(scenario["request"], Mutation(name, path, kind))
    app = create_app({"auth": "none", "now": scenario["now"], "state_dir": str(tmp_path)})
    response = app.test_client().post(f"/cds-services/{_service(scenario['request']['hook'])}", json=body)
    assert response.status_code == 200, reason  # these are all readable enough to be answered
    assert _verdict(response, hazards, True) is None, reason
    codes = {c["source"]["topic"]["code"] for c in response.get_json()["cards"]}
    assert codes, f"{reason}: the draft is still there, something must be said"
