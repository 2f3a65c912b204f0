"""R14 duplicate naltrexone: Contrave, two drafts, the other form or an early XR dose on the record."""

from __future__ import annotations

import pytest

from plugin.clinical.policy import Policy
from plugin.clinical.rules import duplicates
from tests.clinical.rules.support import NOW, facts, order
from tests.clinical.rules.support_more import use

POLICY = Policy()


def renewal(ref: str) -> dict:
    return {"resourceType": "MedicationRequest", "id": "nx", "priorPrescription": {"reference": ref}}


ROWS = [
    (
        (order(),),
        (use("xr-injectable", 10, until_days_ago=-25),),
        ["other-form"],
        "oral draft, XR injected 10 days ago",
    ),
    (
        (order("xr-injectable"),),
        (use("oral", None, ongoing=True, is_order=True),),
        ["other-form"],
        "XR draft, active oral prescription",
    ),
    (
        (order(),),
        (use("bupropion-combination", None, ongoing=True),),
        ["combination-active"],
        "Contrave active",
    ),
    (
        (order(),),
        (use("oral", None, ongoing=True, is_order=True),),
        ["active-oral"],
        "second oral prescription",
    ),
    (
        (order(resource=renewal("MedicationRequest/nx-rec")),),
        (use("oral", None, ongoing=True, is_order=True),),
        None,
        "renewal of the active oral prescription (priorPrescription)",
    ),
    ((order(),), (use("oral", 0, until_days_ago=-3),), None, "oral dispense still covering today: a refill"),
    (
        (order("xr-injectable"),),
        (use("xr-injectable", 20, until_days_ago=-15),),
        ["early-xr"],
        "XR injection 20 days ago: next dose not due",
    ),
    ((order("xr-injectable"),), (use("xr-injectable", 28, until_days_ago=-7),), None, "XR 28 days ago: due"),
    ((order(), order("xr-injectable", selected=False)), (), ["two-drafts"], "two naltrexone drafts"),
    ((order(),), (use("xr-injectable", 40, until_days_ago=5),), None, "XR 40 days ago: blockade over"),
    ((order(),), (), None, "nothing else"),
]


@pytest.mark.parametrize(("orders", "record", "kinds", "why"), ROWS, ids=[r[3] for r in ROWS])
def test_r14_duplicates(orders: tuple, record: tuple, kinds: list | None, why: str) -> None:
    finding = duplicates.check(facts(orders=orders, naltrexone_on_record=record), POLICY)
    assert (finding.data["kinds"] if finding else None) == kinds, why
    if finding:
        assert finding.indicator == "warning"


def test_early_xr_gives_the_next_due_date() -> None:
    record = (use("xr-injectable", 20, until_days_ago=-15),)
    finding = duplicates.check(facts(orders=(order("xr-injectable"),), naltrexone_on_record=record), POLICY)
    assert finding is not None and (finding.safe_start - NOW).days == POLICY.xr_interval_days - 20
