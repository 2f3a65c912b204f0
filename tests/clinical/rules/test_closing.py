"""UNVERIFIED, R15 and CLEAN: the closing rules read the findings before them (table-driven)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from datetime import date
from typing import Any

import pytest

from plugin.clinical.policy import Policy
from plugin.clinical.rules import run_rules
from plugin.clinical.rules.closing import check_clean, check_unverified
from plugin.clinical.rules.finding import Finding
from plugin.clinical.rules.regimen import check as check_regimen
from tests import builders as b
from tests.clinical.rules.support import exposure, facts, order
from tests.clinical.rules.support_more import draft

POLICY = Policy()
DOCUMENTED = b.naltrexone_draft(mg=50, period=1, course_days=365)
ODD_DOSE = b.naltrexone_draft(mg=75, period=1, course_days=365)
SHORT = b.naltrexone_draft(mg=50, period=1, course_days=90)
NO_DOSE = b.naltrexone_draft()
CRITICAL = Finding("R1", "critical")
ADVISORY = Finding("R10", "info")
FAILED = (("conditions", "timed out"),)

# (record, findings before, UNVERIFIED keys or None, R15 states or None, CLEAN fires, reason)
ROWS: list[tuple[dict[str, Any], list[Finding], tuple[str, ...] | None, list[str] | None, bool, str]] = [
    ({"orders": (order(resource=DOCUMENTED),)}, [], None, None, True, "documented regimen, nothing found"),
    ({"orders": (order(resource=DOCUMENTED),)}, [ADVISORY], None, None, True, "an info card does not block"),
    ({"orders": (order(resource=DOCUMENTED),)}, [CRITICAL], None, None, False, "a start-blocking rule fired"),
    (
        {"orders": (order(resource=DOCUMENTED),)},
        [Finding("R9", "critical")],
        None,
        None,
        False,
        "a critical advisory (Hy's law) withholds the all-clear",
    ),
    ({"orders": (order(resource=ODD_DOSE),)}, [], None, ["off-label"], True, "75 mg daily is no regimen"),
    ({"orders": (order(resource=SHORT),)}, [], None, ["short-course"], True, "90 days < minimum 180"),
    ({"orders": (order(resource=ODD_DOSE),)}, [CRITICAL], None, None, False, "R15 waits for the re-order"),
    ({"orders": (order(resource=NO_DOSE),)}, [], None, None, True, "no dose: the clean card completes it"),
    (
        {"orders": (order(resource=ODD_DOSE),), "unverified": FAILED},
        [],
        ("conditions",),
        None,
        False,
        "a failed query withholds both R15 and the all-clear",
    ),
    (
        {"orders": (order(resource=DOCUMENTED, tagged=True),)},
        [],
        None,
        None,
        False,
        "our own suggestion is not re-checked",
    ),
    (
        {"orders": (), "opioid_drafts": (draft(),), "unverified": FAILED},
        [],
        None,
        None,
        False,
        "an opioid draft alone: a failed Condition query does not matter (R12 reads medications)",
    ),
    (
        {"orders": (), "opioid_drafts": (draft(),), "unverified": (("medicationRequests", "HTTP 500"),)},
        [],
        ("naltrexone-active",),
        None,
        False,
        "an opioid draft alone: whether naltrexone is active is unknown",
    ),
]


@pytest.mark.parametrize(
    ("record", "before", "keys", "states", "clean", "reason"), ROWS, ids=[r[-1] for r in ROWS]
)
def test_closing_rules(
    record: dict[str, Any],
    before: list[Finding],
    keys: tuple[str, ...] | None,
    states: list[str] | None,
    clean: bool,
    reason: str,
) -> None:
    the_facts = facts(**record)
    unverified = check_unverified(the_facts, POLICY, before)
    assert (unverified.data["keys"] if unverified else None) == keys, reason
    findings = before + ([unverified] if unverified else [])
    regimen = check_regimen(the_facts, POLICY, findings)
    assert ([d.state for d in regimen.data["drafts"]] if regimen else None) == states, reason
    assert (check_clean(the_facts, POLICY, findings) is not None) == clean, reason


def test_clean_offers_to_complete_a_draft_without_dose() -> None:
    finding = check_clean(facts(orders=(order(resource=NO_DOSE),)), POLICY, [])
    assert finding is not None and len(finding.data["complete"]) == 1


def test_run_rules_silences_advice_and_the_all_clear_when_the_start_is_blocked() -> None:
    rules = [f.rule for f in run_rules(facts(opioid_exposures=(exposure("short-acting", 2),)), POLICY)]
    assert rules[0] == "R2" and "CLEAN" not in rules and "R15" not in rules and "R10" not in rules


def test_a_finding_is_the_frozen_dataclass_it_declares() -> None:
    """Finding sets its fields in one update: equal, replaceable, frozen, each with its own data."""
    finding = Finding("R2", "warning", (), date(2026, 1, 2), {"days": 8})
    assert finding == Finding(rule="R2", indicator="warning", safe_start=date(2026, 1, 2), data={"days": 8})
    assert replace(finding, indicator="critical").indicator == "critical" and finding.indicator == "warning"
    assert repr(finding).startswith("Finding(rule='R2', indicator='warning', evidence=()")
    with pytest.raises(FrozenInstanceError):
        finding.rule = "R3"  # type: ignore[misc]
    first, second = Finding("R10", "info"), Finding("R10", "info")
    assert first.data == {} and first.data is not second.data
