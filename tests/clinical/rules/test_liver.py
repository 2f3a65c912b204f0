"""R8 acute hepatitis/liver failure, R9 transaminases >= 5 x ULN or Hy's law, R10 no baseline tests."""

from __future__ import annotations

from dataclasses import replace

import pytest

from plugin.clinical.policy import Policy
from plugin.clinical.rules import liver
from tests.clinical.rules.support import ev, facts, order
from tests.clinical.rules.support_more import lab

POLICY = Policy()
HEPATITIS = (ev("Condition", "hep", None, "Acute hepatic failure"),)

R8_ROWS = [
    ((order(),), HEPATITIS, POLICY, "critical", "oral naltrexone with acute liver failure: critical"),
    ((order("xr-injectable"),), HEPATITIS, POLICY, "warning", "XR injectable: the 2013 label dropped it"),
    ((order(), order("xr-injectable")), HEPATITIS, POLICY, "critical", "both forms drafted: most severe"),
    (
        (order(),),
        HEPATITIS,
        replace(POLICY, liver_disease_oral_indicator="warning"),
        "warning",
        "site policy lowers the oral severity",
    ),
    ((order(),), (), POLICY, None, "no active liver disease"),
]


@pytest.mark.parametrize(
    ("orders", "conds", "policy", "expected", "why"), R8_ROWS, ids=[r[4] for r in R8_ROWS]
)
def test_r8_liver_disease(
    orders: tuple, conds: tuple, policy: Policy, expected: str | None, why: str
) -> None:
    finding = liver.check_disease(facts(orders=orders, liver_disease=conds), policy)
    assert (finding.indicator if finding else None) == expected, why


R9_ROWS = [
    ((lab("alt", 200),), "warning", "ALT exactly 5 x ULN"),
    ((lab("alt", 199),), None, "ALT just under 5 x ULN"),
    ((lab("ast", 400),), "warning", "AST 10 x ULN"),
    (
        (lab("alt", 120), lab("bilirubin", 2.4, uln=1.2)),
        "critical",
        "ALT 3 x ULN + bilirubin 2 x ULN: Hy's law",
    ),
    ((lab("alt", 119), lab("bilirubin", 2.4, uln=1.2)), None, "ALT under 3 x ULN: no Hy's-law pattern"),
    ((lab("alt", 120), lab("bilirubin", 2.3, uln=1.2)), None, "bilirubin under 2 x ULN"),
    ((lab("alt", 400, days_ago=91),), None, "ALT high but 91 days old: outside the look-back"),
    ((lab("alt", 400, days_ago=90),), "warning", "ALT high 90 days ago: last day of the look-back"),
    ((lab("alt", 400, days_ago=30), lab("alt", 50, days_ago=2)), None, "latest ALT is normal: latest counts"),
    ((lab("alt", 50, days_ago=2), lab("alt", 400, days_ago=30)), None, "latest counts whatever the order"),
    ((lab("alt", 400, days_ago=2), lab("alt", 50, days_ago=2)), "warning", "same day: the first listed"),
    ((lab("alt", 50, days_ago=-1), lab("alt", 400, days_ago=3)), "warning", "a future result is not latest"),
    ((lab("alt", 400, uln=100),), None, "ULN from the reference range (100): 4 x ULN"),
]


@pytest.mark.parametrize(("labs", "expected", "why"), R9_ROWS, ids=[r[2] for r in R9_ROWS])
def test_r9_transaminases(labs: tuple, expected: str | None, why: str) -> None:
    finding = liver.check_transaminases(facts(liver_tests=labs), POLICY)
    assert (finding.indicator if finding else None) == expected, why


R10_ROWS = [
    ((), (order(),), "info", "no liver tests at all"),
    ((lab("alt", 30, days_ago=91),), (order(),), "info", "last ALT 91 days ago"),
    ((lab("ast", 30, days_ago=90),), (order(),), None, "AST 90 days ago: baseline present"),
    ((lab("bilirubin", 1.0, uln=1.2, days_ago=5),), (order(),), "info", "bilirubin alone is not ALT/AST"),
    ((), (order(tagged=True),), None, "our own suggested order re-checked: no repeat"),
]


@pytest.mark.parametrize(("labs", "orders", "expected", "why"), R10_ROWS, ids=[r[3] for r in R10_ROWS])
def test_r10_no_baseline(labs: tuple, orders: tuple, expected: str | None, why: str) -> None:
    finding = liver.check_baseline(facts(liver_tests=labs, orders=orders), POLICY)
    assert (finding.indicator if finding else None) == expected, why
