"""R1-R3: active opioid therapy and the opioid-free window, counted from the estimated last dose."""

from __future__ import annotations

from dataclasses import replace

import pytest

from plugin.clinical.policy import Policy
from plugin.clinical.rules import opioid_window
from tests.clinical.rules.support import NOW, ago, exposure, facts

POLICY = Policy()

R1_ROWS = [
    # (exposures, expected indicator, why)
    ((exposure("short-acting", None, ongoing=True),), "critical", "active prescription is ongoing therapy"),
    ((exposure("short-acting", -3),), "critical", "supply runs 3 more days: covers today"),
    ((exposure("short-acting", 0),), "critical", "last dose today is still active"),
    ((exposure("long-acting", None, ongoing=True),), "critical", "methadone ongoing"),
    ((exposure("short-acting", 1),), None, "ended yesterday: R2's job, not active"),
    ((), None, "no opioid on record"),
]


@pytest.mark.parametrize(("exposures", "expected", "why"), R1_ROWS, ids=[r[2] for r in R1_ROWS])
def test_r1_active_therapy(exposures: tuple, expected: str | None, why: str) -> None:
    finding = opioid_window.check_active(facts(opioid_exposures=exposures), POLICY)
    assert (finding.indicator if finding else None) == expected, why


R2_ROWS = [
    (1, "critical", "1 day after last short-acting dose"),
    (6, "critical", "6 days: below the 7-day label minimum"),
    (7, "warning", "7 days: label minimum reached, still inside 7-10"),
    (10, "warning", "10 days: last day of the 7-10 window"),
    (11, None, "11 days: outside the window"),
    (400, None, "old history"),
]


@pytest.mark.parametrize(("days", "expected", "why"), R2_ROWS, ids=[r[2] for r in R2_ROWS])
def test_r2_short_acting_window(days: int, expected: str | None, why: str) -> None:
    finding = opioid_window.check_short_acting(
        facts(opioid_exposures=(exposure("short-acting", days),)), POLICY
    )
    assert (finding.indicator if finding else None) == expected, why
    if finding:
        assert finding.safe_start == ago(days) + (ago(0) - ago(POLICY.short_acting_warning_days + 1))
        assert finding.data["days"] == days


R3_ROWS = [
    ("long-acting", 1, "critical", "methadone yesterday"),
    ("long-acting", 13, "critical", "13 days after methadone: inside 14"),
    ("long-acting", 14, None, "14 days after methadone: window passed"),
    ("xr-buprenorphine", 30, "critical", "XR buprenorphine injection a month ago"),
    ("xr-buprenorphine", 182, "critical", "182 days: under 6 months"),
    ("xr-buprenorphine", 183, "warning", "183 days: 6-12 months"),
    ("xr-buprenorphine", 365, "warning", "365 days: last day of the 12 months"),
    ("xr-buprenorphine", 366, None, "over 12 months"),
    ("short-acting", 2, None, "short-acting opioids are R2's, not R3's"),
]


@pytest.mark.parametrize(("kind", "days", "expected", "why"), R3_ROWS, ids=[r[3] for r in R3_ROWS])
def test_r3_long_acting_window(kind: str, days: int, expected: str | None, why: str) -> None:
    finding = opioid_window.check_long_acting(facts(opioid_exposures=(exposure(kind, days),)), POLICY)  # type: ignore[arg-type]
    assert (finding.indicator if finding else None) == expected, why


def test_latest_dose_counts_not_first() -> None:
    f = facts(opioid_exposures=(exposure("short-acting", 30), exposure("short-acting", 3)))
    finding = opioid_window.check_short_acting(f, POLICY)
    assert finding is not None and finding.indicator == "critical" and finding.data["days"] == 3


def test_future_start_date_moves_the_window() -> None:
    """A draft starting after the safe date no longer fires: the interval runs to the planned start."""
    f = facts(opioid_exposures=(exposure("short-acting", 3),), planned_start=ago(3 - 11))
    assert opioid_window.check_short_acting(f, POLICY) is None
    inside = replace(f, planned_start=ago(3 - 5))
    finding = opioid_window.check_short_acting(inside, POLICY)
    assert finding is not None and finding.indicator == "critical" and finding.data["days"] == 5


def test_thresholds_come_from_policy() -> None:
    strict = Policy(short_acting_critical_days=12, short_acting_warning_days=14)
    f = facts(opioid_exposures=(exposure("short-acting", 11),))
    assert opioid_window.check_short_acting(f, POLICY) is None
    finding = opioid_window.check_short_acting(f, strict)
    assert finding is not None and finding.indicator == "critical"
    assert NOW < finding.safe_start  # type: ignore[operator]
