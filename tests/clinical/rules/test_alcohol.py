"""R16 AUD indication without opioid history; R17 XR naltrexone with recent intoxication/withdrawal."""

from __future__ import annotations

import pytest

from plugin.clinical.policy import Policy
from plugin.clinical.rules import alcohol
from tests.clinical.rules.support import ago, ev, exposure, facts, order

POLICY = Policy()
OUD = (ev("Condition", "oud", ago(1000), "Opioid abuse"),)

R16_ROWS = [
    (True, (), (), (order(),), "info", "AUD reason, no opioid history"),
    (False, (), (), (order(),), None, "no AUD reason on the order"),
    (True, OUD, (), (order(),), None, "OUD on record: R7's subject, not R16"),
    (True, (), (exposure("short-acting", 700),), (order(),), None, "opioid 700 days ago: within 24 months"),
    (
        True,
        (),
        (exposure("short-acting", 731),),
        (order(),),
        "info",
        "opioid 731 days ago: outside 24 months",
    ),
    (True, (), (), (order(tagged=True),), None, "our own suggestion re-checked"),
]


@pytest.mark.parametrize(
    ("aud", "oud", "exposures", "orders", "expected", "why"), R16_ROWS, ids=[r[5] for r in R16_ROWS]
)
def test_r16_aud_opioid_free(
    aud: bool, oud: tuple, exposures: tuple, orders: tuple, expected: str | None, why: str
) -> None:
    f = facts(alcohol_indication=aud, opioid_use_disorder=oud, opioid_exposures=exposures, orders=orders)
    finding = alcohol.check_aud_opioid_free(f, POLICY)
    assert (finding.indicator if finding else None) == expected, why


WITHDRAWAL = ev("Condition", "aw", ago(7), "Alcohol withdrawal")
R17_ROWS = [
    ("xr-injectable", True, (WITHDRAWAL,), "warning", "Vivitrol for AUD, withdrawal 7 days ago"),
    ("xr-injectable", True, (ev("Condition", "aw", ago(8)),), None, "withdrawal 8 days ago: outside 7"),
    ("xr-injectable", True, (ev("Condition", "aw", None),), "warning", "undated active withdrawal counts"),
    ("oral", True, (WITHDRAWAL,), None, "oral naltrexone: no outpatient-abstinence requirement"),
    ("xr-injectable", False, (WITHDRAWAL,), None, "XR for OUD, not AUD"),
]


@pytest.mark.parametrize(("form", "aud", "acute", "expected", "why"), R17_ROWS, ids=[r[4] for r in R17_ROWS])
def test_r17_xr_while_drinking(form: str, aud: bool, acute: tuple, expected: str | None, why: str) -> None:
    f = facts(orders=(order(form),), alcohol_indication=aud, alcohol_acute=acute)
    finding = alcohol.check_xr_while_drinking(f, POLICY)
    assert (finding.indicator if finding else None) == expected, why
