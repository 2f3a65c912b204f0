"""R12 - the reverse check: opioid-containing drafts against naltrexone on the record or co-drafted."""

from __future__ import annotations

import pytest

from plugin.clinical.policy import Policy
from plugin.clinical.rules import reverse, run_rules
from tests.clinical.rules.support import facts, order
from tests.clinical.rules.support_more import draft, use

POLICY = Policy()
NO_NALTREXONE_DRAFT: tuple = ()

ROWS = [
    # (orders, opioid drafts, naltrexone on record, expected, why)
    (
        NO_NALTREXONE_DRAFT,
        (draft(),),
        (use("xr-injectable", 20, until_days_ago=-15),),
        "critical",
        "oxycodone drafted 20 days after a Vivitrol injection: blockade active",
    ),
    (
        NO_NALTREXONE_DRAFT,
        (draft("antitussive"),),
        (use("xr-injectable", 34, until_days_ago=-1),),
        "critical",
        "codeine syrup on day 34 after the injection: still inside ~5 weeks",
    ),
    (
        NO_NALTREXONE_DRAFT,
        (draft("antidiarrheal", systemic=False),),
        (use("oral", None, ongoing=True),),
        "critical",
        "diphenoxylate for a patient with an active oral naltrexone prescription",
    ),
    (
        NO_NALTREXONE_DRAFT,
        (draft(),),
        (use("bupropion-combination", None, ongoing=True),),
        "critical",
        "opioid for a patient on active Contrave",
    ),
    (
        NO_NALTREXONE_DRAFT,
        (draft(),),
        (use("xr-injectable", 36, until_days_ago=1),),
        None,
        "injection 36 days ago: blockade over (policy 35 days)",
    ),
    (
        NO_NALTREXONE_DRAFT,
        (draft(),),
        (use("oral", 5, until_days_ago=2),),
        None,
        "oral supply ended 5 days ago: blockade over",
    ),
    (
        NO_NALTREXONE_DRAFT,
        (draft(selected=False),),
        (use("oral", None, ongoing=True),),
        None,
        "opioid draft not selected (order-select on something else)",
    ),
    (NO_NALTREXONE_DRAFT, (), (use("oral", None, ongoing=True),), None, "no opioid drafted"),
    (NO_NALTREXONE_DRAFT, (draft(),), (), None, "opioid for a patient without naltrexone"),
    (
        (order(selected=False),),
        (draft(),),
        (),
        "critical",
        "analgesic selected beside an unselected naltrexone draft",
    ),
    (
        (order(selected=False),),
        (draft("antitussive"),),
        (),
        "warning",
        "codeine cough syrup selected beside an unselected naltrexone draft",
    ),
    (
        (order(selected=False),),
        (draft("antidiarrheal", systemic=False),),
        (),
        "warning",
        "loperamide selected beside an unselected naltrexone draft",
    ),
    ((order(),), (draft(),), (), None, "naltrexone selected + oxycodone co-drafted: R1's card, not a second"),
    (
        (order(),),
        (draft("antidiarrheal", systemic=False, selected=False),),
        (),
        "warning",
        "naltrexone selected + loperamide co-drafted: R1 does not cover peripheral antidiarrhoeals",
    ),
]


@pytest.mark.parametrize(("orders", "drafts", "record", "expected", "why"), ROWS, ids=[r[4] for r in ROWS])
def test_r12(orders: tuple, drafts: tuple, record: tuple, expected: str | None, why: str) -> None:
    f = facts(orders=orders, opioid_drafts=drafts, naltrexone_on_record=record)
    finding = reverse.check(f, POLICY)
    assert (finding.indicator if finding else None) == expected, why
    if finding:
        assert finding.data["drafts"] == ["MedicationRequest/op"]


def test_r12_runs_without_a_naltrexone_draft() -> None:
    """run_rules: no naltrexone decision -> only the reverse rule runs."""
    f = facts(orders=(), opioid_drafts=(draft(),), naltrexone_on_record=(use("oral", None, ongoing=True),))
    assert [x.rule for x in run_rules(f, POLICY)] == ["R12"]
