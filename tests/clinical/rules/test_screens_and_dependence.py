"""R4 urine screen, R5 naloxone challenge, R6 dependence without completed detox, R14 duplicate."""

from __future__ import annotations

import pytest

from plugin.clinical.policy import Policy
from plugin.clinical.rules import dependence, duplicates, screens
from tests.clinical.rules.support import ago, ev, exposure, facts, order

POLICY = Policy()
OBS = "Observation"

R4_ROWS = [
    ((ev(OBS, "u1", ago(0)),), (), "critical", "positive today"),
    ((ev(OBS, "u1", ago(14)),), (), "critical", "positive 14 days ago: last day of look-back"),
    ((ev(OBS, "u1", ago(15)),), (), None, "positive 15 days ago: outside look-back"),
    (
        (ev(OBS, "u1", ago(5)),),
        (ev(OBS, "n1", ago(2)),),
        "critical",
        "the facts hold only positives no later negative could cancel (analyte by analyte)",
    ),
    ((ev(OBS, "u1", ago(5)),), (ev(OBS, "n1", ago(8)),), "critical", "an earlier negative does not"),
    ((ev(OBS, "u1", None),), (), None, "undated result cannot be placed in the window"),
]


@pytest.mark.parametrize(("pos", "neg", "expected", "why"), R4_ROWS, ids=[r[3] for r in R4_ROWS])
def test_r4_positive_screen(pos: tuple, neg: tuple, expected: str | None, why: str) -> None:
    f = facts(positive_opioid_screens=pos, negative_opioid_screens=neg)
    finding = screens.check_urine_screen(f, POLICY)
    assert (finding.indicator if finding else None) == expected, why


R5_ROWS = [
    (1, "critical", "failed challenge yesterday"),
    (7, "critical", "7 days: last day of look-back"),
    (8, None, "8 days: old result, the challenge is repeated before starting"),
]


@pytest.mark.parametrize(("days", "expected", "why"), R5_ROWS, ids=[r[2] for r in R5_ROWS])
def test_r5_failed_challenge(days: int, expected: str | None, why: str) -> None:
    finding = screens.check_naloxone_challenge(
        facts(failed_naloxone_challenges=(ev(OBS, "c", ago(days)),)), POLICY
    )
    assert (finding.indicator if finding else None) == expected, why


COND, PROC = "Condition", "Procedure"
WITHDRAWAL = ev(COND, "w", ago(3), "Opioid dependence with withdrawal")
R6_ROWS = [
    ((ev(COND, "d", ago(10)),), (), {}, "critical", "dependence recorded 10 days ago, no detox"),
    ((ev(COND, "d", None),), (), {}, "critical", "undated active dependence counts"),
    ((ev(COND, "d", ago(31)),), (), {}, None, "recorded 31 days ago: beyond the 30-day look-back"),
    (
        (ev(COND, "d", ago(20)),),
        (ev(PROC, "x", ago(10)),),
        {},
        None,
        "detox after the diagnosis ended 10 days ago",
    ),
    ((ev(COND, "d", ago(20)),), (ev(PROC, "x", ago(7)),), {}, None, "detox ended exactly 7 days ago"),
    (
        (ev(COND, "d", ago(20)),),
        (ev(PROC, "x", ago(6)),),
        {},
        "critical",
        "detox ended 6 days ago: too recent",
    ),
    (
        (ev(COND, "d", ago(0)),),
        (ev(PROC, "x", ago(10)),),
        {},
        None,
        "OUD re-coded at today's induction visit after a completed detox: not new dependence",
    ),
    (
        (WITHDRAWAL,),
        (ev(PROC, "x", ago(10)),),
        {"opioid_withdrawal": (WITHDRAWAL,)},
        "critical",
        "withdrawal recorded after the detox ended: new use",
    ),
    ((ev(COND, "d", ago(20)),), (ev(PROC, "x", None),), {}, "critical", "detox without an end date"),
    (
        (ev(COND, "d", ago(0)),),
        (ev(PROC, "x", ago(12)),),
        {"opioid_exposures": (exposure("short-acting", 2),)},
        "critical",
        "opioid dose after the detox: it no longer counts",
    ),
    (
        (ev(COND, "d", ago(0)),),
        (ev(PROC, "x", ago(12)),),
        {"positive_opioid_screens": (ev(OBS, "u", ago(3)),)},
        "critical",
        "positive urine screen after the detox: it no longer counts",
    ),
    (
        (ev(COND, "d", ago(0)),),
        (ev(PROC, "x", ago(12)),),
        {"opioid_exposures": (exposure("short-acting", 20),)},
        None,
        "opioid use before the detox does not undo it",
    ),
    (
        (),
        (),
        {
            "detox_in_progress": (ev("Encounter", "e", ago(2)),),
            "opioid_use_disorder": (ev(COND, "o", ago(400)),),
        },
        "critical",
        "detox in progress: critical whenever the diagnosis was recorded",
    ),
    (
        (ev(COND, "d", ago(200)),),
        (),
        {"detox_in_progress": (ev("MedicationRequest", "lofexidine", ago(1)),)},
        "critical",
        "active lofexidine with an old diagnosis",
    ),
    (
        (),
        (),
        {"detox_in_progress": (ev("Encounter", "e", ago(2)),)},
        None,
        "an open detox visit without any opioid diagnosis may be an alcohol detox",
    ),
    (
        (),
        (),
        {"detox_in_progress": (ev("MedicationRequest", "lofexidine", ago(1)),)},
        "critical",
        "lofexidine is only for opioid withdrawal, diagnosis or not",
    ),
]


@pytest.mark.parametrize(("conds", "detox", "more", "expected", "why"), R6_ROWS, ids=[r[4] for r in R6_ROWS])
def test_r6_dependence_without_detox(
    conds: tuple, detox: tuple, more: dict, expected: str | None, why: str
) -> None:
    f = facts(dependence_conditions=conds, completed_detox=detox, **more)
    finding = dependence.check(f, POLICY)
    assert (finding.indicator if finding else None) == expected, why
    if finding:
        first = more.get("detox_in_progress", conds)
        assert finding.evidence[0] == first[0], "the card names what it judged first"


R14_ROWS = [
    ((order(), order("bupropion-combination", selected=False)), "warning", "naltrexone + Contrave drafts"),
    ((order("bupropion-combination"),), None, "Contrave alone is not an addiction order"),
    ((order(), order("xr-injectable")), "warning", "oral + XR naltrexone drafts: duplicate "),
]


@pytest.mark.parametrize(("orders", "expected", "why"), R14_ROWS, ids=[r[2] for r in R14_ROWS])
def test_r14_contrave_with_naltrexone(orders: tuple, expected: str | None, why: str) -> None:
    finding = duplicates.check(facts(orders=orders), POLICY)
    assert (finding.indicator if finding else None) == expected, why
