"""A threshold changed in the policy file changes every sentence and date on the card that states it.

Each row: a scenario (or a record built in the test), the policy keys changed, the card's rule, what the
card must say under the changed policy, and what it says under the defaults and must no longer say.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plugin import create_app
from plugin.clinical.answer.responses import compose
from plugin.clinical.policy import Policy
from plugin.clinical.rules import run_rules
from plugin.clinical.terminology import default_terminology
from plugin.http.services import SERVICES
from tests.clinical.rules.support import facts, order
from tests.clinical.rules.support_more import use
from tests.paths import SCENARIOS

# (scenario, policy changes, rule, said under the changed policy, said under the defaults only, reason)
SCENARIO_ROWS: list[tuple[str, dict[str, Any], str, list[str], list[str], str]] = [
    (
        "r2-short-acting-8-days",  # last oxycodone 2026-11-17, start 2026-11-25
        {"short_acting_critical_days": 10, "short_acting_warning_days": 14},
        "R2",
        [
            "10-14 opioid-free days are required",
            "The minimum of 10 opioid-free days is reached on 2026-11-27.",
            "**Earliest safe start:** 2026-12-02",
            "Defer the start to 2026-12-02 or later",
            "once 10 days have passed",
            "Required opioid-free interval: 10-14 days after short-acting opioids",
            "Re-order to start on 2026-12-02",
        ],
        ["7-10", "7 opioid-free days", "2026-11-24", "2026-11-28", "once 7 days"],
        "the short-acting window moves every number and every date of the R2 card",
    ),
    (
        "r3-methadone-10-days",  # last methadone 2026-11-15
        {"long_acting_critical_days": 21},
        "R3",
        [
            "for up to 21 days",
            "21 days after methadone, buprenorphine or extended-release opioids",
            "defer naltrexone to 2026-12-06",
            "**Earliest safe start:** 2026-12-06",
            "Re-order to start on 2026-12-06",
        ],
        ["up to 14 days", "14 days after methadone", "2026-11-29"],
        "the long-acting window sets the withdrawal sentence and the safe start",
    ),
    (
        "r6-dependence-detox-completed",
        {
            "short_acting_critical_days": 5,
            "short_acting_warning_days": 8,
            "long_acting_critical_days": 12,
            "oud_negative_screen_days": 4,
        },
        "R7",
        ["confirm 5-8 opioid-free days (12 after methadone/buprenorphine)", "in the last 4 days"],
        ["7-10", "(14 after", "in the last 3 days"],
        "R7 quotes both windows and its own screen look-back",
    ),
    (
        "r6-detox-too-recent",  # detox ended 2026-11-22
        {"detox_completed_min_days": 9},
        "R6",
        ["it ended 3 days ago, fewer than the 9 opioid-free days required"],
        ["fewer than the 7 opioid-free days"],
        "the completed-detox minimum",
    ),
    (
        "r6-dependence-detox-completed",
        {"liver_test_lookback_days": 60},
        "R10",
        ["No ALT/AST in the last 60 days"],
        ["90 days"],
        "the liver-test look-back",
    ),
    (
        "r13-surgery-in-10-days-oral",  # surgery 2026-12-05: outside the default 3-day hold
        {"surgery_window_oral_days": 12, "surgery_window_xr_days": 45},
        "R13",
        ["hold oral naltrexone 12 days before (XR: 45 days)", "Hold window checked: 12 days"],
        [],
        "the hold windows (the default 3 days does not fire here at all)",
    ),
    (
        "r13-surgery-in-2-days-oral",
        {"surgery_window_xr_days": 45},
        "R13",
        ["(XR: 45 days)"],
        ["(XR: 30 days)"],
        "the XR hold window is quoted on the oral card too",
    ),
    (
        "r12-oxycodone-while-on-vivitrol",
        {"oral_blockade_days": 2, "xr_blockade_days": 42},
        "R12",
        ["up to 2 days after an oral dose and up to 42 days after an injection"],
        ["up to 3 days", "up to 35 days"],
        "the blockade lengths",
    ),
    (
        "xr-injectable-clean",  # XR draft starting 2026-11-25
        {"xr_interval_days": 30},
        "XR",
        ["every 30 days - next dose due 2026-12-25"],
        ["every 28 days", "2026-12-23"],
        "the XR interval and the next-dose date",
    ),
    (
        "r15-course-too-short",  # a 90-day course
        {"course_minimum_days": 200, "course_usual_days": 400},
        "R15",
        ["Draft course: 90 days (minimum 200).", "Usual course 400 days, minimum 200."],
        ["minimum 180", "Usual course 365 days"],
        "the course lengths",
    ),
]


def _cards(scenario: dict[str, Any], tmp_path: Path, changes: dict[str, Any]) -> list[dict[str, Any]]:
    tmp_path.mkdir()
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(json.dumps(changes))  # JSON is YAML
    settings = {
        "auth": "none",
        "now": scenario["now"],
        "state_dir": str(tmp_path),
        "policy_file": str(policy_file),
    }
    request = scenario["request"]
    service = next(s.id for s in SERVICES.values() if s.hook == request["hook"])
    response = create_app(settings).test_client().post(f"/cds-services/{service}", json=request)
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(response.get_json()["cards"])


def _text(cards: list[dict[str, Any]], rule: str) -> str:
    """Everything the card of ``rule`` shows: summary, detail, suggestion labels."""
    [card] = [c for c in cards if c["source"]["topic"]["code"] == rule]
    labels = [s["label"] for s in card.get("suggestions", [])]
    return "\n".join([card["summary"], card["detail"], *labels])


@pytest.mark.parametrize(
    ("name", "changes", "rule", "says", "no_longer", "reason"),
    SCENARIO_ROWS,
    ids=[f"{row[2]}-{'-'.join(row[1])}" for row in SCENARIO_ROWS],
)
def test_changed_threshold_changes_the_card(
    tmp_path: Path,
    name: str,
    changes: dict[str, Any],
    rule: str,
    says: list[str],
    no_longer: list[str],
    reason: str,
) -> None:
    scenario = json.loads((SCENARIOS / f"{name}.json").read_text())
    changed = _text(_cards(scenario, tmp_path / "changed", changes), rule)
    for sentence in says:
        assert sentence in changed, f"{reason}: missing {sentence!r} in\n{changed}"
    for stale in no_longer:
        assert stale not in changed, f"{reason}: {stale!r} still shown in\n{changed}"
    default_cards = _cards(scenario, tmp_path / "default", {})
    if no_longer:  # the row proves a change: the defaults said it
        default = _text(default_cards, rule)
        for stale in no_longer:
            assert stale in default, f"row is wrong: the default card never said {stale!r}"
    else:
        assert rule not in {c["source"]["topic"]["code"] for c in default_cards}, reason


def test_early_xr_duplicate_follows_the_xr_interval() -> None:
    """R14: an XR injection 30 days ago is early only when the interval is longer than 30 days."""
    record = facts(
        orders=(order("xr-injectable"),), naltrexone_on_record=(use("xr-injectable", 30, ongoing=True),)
    )
    term = default_terminology()
    assert "R14" not in {f.rule for f in run_rules(record, Policy())}
    policy = Policy(xr_interval_days=35)
    cards = compose(record, run_rules(record, policy), policy, term)
    text = _text(cards, "R14")
    assert "XR injection given within the last 35 days" in text
    assert "**Earliest safe start:** 2026-11-30" in text  # 2026-10-26 + 35 days
