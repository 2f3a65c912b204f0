"""R13 planned surgery within the hold window; XR injectable guidance and next-dose date."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plugin.clinical.policy import Policy
from plugin.clinical.rules import planned, run_rules
from tests.clinical.rules.support import NOW, ago, ev, exposure, facts, order
from tests.clinical.rules.support_more import use

POLICY = Policy()


def surgery(in_days: int) -> tuple:
    return (ev("ServiceRequest", "sx", NOW + timedelta(days=in_days), "Knee arthroplasty"),)


R13_ROWS = [
    ("oral", surgery(3), None, "warning", "oral: surgery in 3 days, inside the 72 h hold"),
    ("oral", surgery(4), None, None, "oral: surgery in 4 days"),
    ("oral", surgery(0), None, "warning", "oral: surgery today"),
    ("xr-injectable", surgery(30), None, "warning", "XR: surgery in 30 days"),
    ("xr-injectable", surgery(31), None, None, "XR: surgery in 31 days"),
    ("oral", surgery(5), 3, "warning", "planned start in 3 days, surgery 2 days after it"),
    ("oral", surgery(2), 5, None, "surgery before the planned start: no overlap"),
    ("oral", (), None, None, "no surgery planned"),
]


@pytest.mark.parametrize(
    ("form", "sx", "start_in", "expected", "why"), R13_ROWS, ids=[r[4] for r in R13_ROWS]
)
def test_r13_surgery(form: str, sx: tuple, start_in: int | None, expected: str | None, why: str) -> None:
    start = NOW + timedelta(days=start_in) if start_in is not None else None
    f = facts(orders=(order(form),), planned_surgery=sx, planned_start=start)
    finding = planned.check_surgery(f, POLICY)
    assert (finding.indicator if finding else None) == expected, why


XR_ROWS = [
    ((order("xr-injectable"),), (), "info", False, "XR draft, no oral naltrexone on record: not a block"),
    (
        (order("xr-injectable"),),
        (use("oral", 200, until_days_ago=197),),
        "info",
        True,
        "oral naltrexone before",
    ),
    ((order(),), (), None, False, "oral draft: no XR guidance"),
    ((order("xr-injectable", tagged=True),), (), None, False, "our own XR suggestion re-checked"),
]


@pytest.mark.parametrize(
    ("orders", "record", "expected", "oral", "why"), XR_ROWS, ids=[r[4] for r in XR_ROWS]
)
def test_xr_guidance(orders: tuple, record: tuple, expected: str | None, oral: bool, why: str) -> None:
    finding = planned.check_xr_guidance(facts(orders=orders, naltrexone_on_record=record), POLICY)
    assert (finding.indicator if finding else None) == expected, why
    if finding:
        assert finding.data["oral_on_record"] is oral
        assert finding.data["next_dose"] == NOW + timedelta(days=POLICY.xr_interval_days)


def test_xr_guidance_silent_when_start_is_blocked() -> None:
    f = facts(orders=(order("xr-injectable"),), opioid_exposures=(exposure("short-acting", 1),))
    assert "XR" not in {x.rule for x in run_rules(f, POLICY)}
    assert ago(0) == NOW
