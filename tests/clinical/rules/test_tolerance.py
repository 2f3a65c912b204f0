"""R7 OUD history without documented opioid-free status; R11 lost tolerance without naloxone."""

from __future__ import annotations

import pytest

from plugin.clinical.policy import Policy
from plugin.clinical.rules import run_rules, tolerance
from tests.clinical.rules.support import ago, ev, exposure, facts

POLICY = Policy()
OUD = (ev("Condition", "oud", ago(400), "Opioid dependence, in remission"),)

R7_ROWS = [
    (OUD, (), "warning", "OUD in remission, no negative screen"),
    (OUD, (ev("Observation", "neg", ago(3)),), None, "negative opioid screen 3 days ago documents it"),
    (OUD, (ev("Observation", "neg", ago(4)),), "warning", "negative screen 4 days ago is too old"),
    ((), (), None, "no OUD history"),
]


@pytest.mark.parametrize(("oud", "negatives", "expected", "why"), R7_ROWS, ids=[r[3] for r in R7_ROWS])
def test_r7_opioid_free_undocumented(oud: tuple, negatives: tuple, expected: str | None, why: str) -> None:
    finding = tolerance.check_opioid_free_undocumented(
        facts(opioid_use_disorder=oud, negative_opioid_screens=negatives), POLICY
    )
    assert (finding.indicator if finding else None) == expected, why


R11_ROWS = [
    (OUD, (), (), (), "warning", "OUD history, no rescue product"),
    ((), (exposure("short-acting", 200),), (), (), "warning", "opioid 200 days ago: tolerance lost"),
    ((), (exposure("short-acting", 366),), (), (), None, "last opioid over 12 months ago, no OUD"),
    ((), (exposure("short-acting", 365),), (), (), "warning", "last opioid exactly 12 months ago"),
    (OUD, (), (ev("MedicationDispense", "nlx", ago(100)),), (), None, "naloxone dispensed 100 days ago"),
    (
        OUD,
        (),
        (ev("MedicationRequest", "nlx", ago(366)),),
        (),
        "warning",
        "naloxone prescribed over a year ago",
    ),
    (OUD, (), (ev("MedicationRequest", "nlx", None),), (), "warning", "undated naloxone does not count"),
    (OUD, (), (), (ev("MedicationRequest", "nlx-draft"),), None, "naloxone drafted in this session"),
    ((), (), (), (), None, "no OUD, no opioid exposure"),
]


@pytest.mark.parametrize(
    ("oud", "exposures", "rescue", "rescue_drafts", "expected", "why"), R11_ROWS, ids=[r[5] for r in R11_ROWS]
)
def test_r11_naloxone(
    oud: tuple, exposures: tuple, rescue: tuple, rescue_drafts: tuple, expected: str | None, why: str
) -> None:
    f = facts(
        opioid_use_disorder=oud,
        opioid_exposures=exposures,
        rescue_on_record=rescue,
        rescue_drafts=rescue_drafts,
    )
    finding = tolerance.check_rescue_missing(f, POLICY)
    assert (finding.indicator if finding else None) == expected, why


def test_subsumed_when_a_safety_rule_fires() -> None:
    """R7/R10/R11 are start preparation: silent while R1-R6 say "do not start"."""
    f = facts(opioid_use_disorder=OUD, opioid_exposures=(exposure("short-acting", 2),))
    rules = {x.rule for x in run_rules(f, POLICY)}
    assert "R2" in rules and not rules & {"R7", "R10", "R11"}
