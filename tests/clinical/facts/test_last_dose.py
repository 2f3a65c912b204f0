"""When was the last dose: table-driven estimates, each with how it was made (the reason in each row)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from plugin.clinical.facts.supply import FilledOrders, estimate, filled_orders
from plugin.fhir.medications import MedicationUse, read_medication_use

NOW = date(2026, 11, 25)


def view(resource: dict[str, Any]) -> MedicationUse:
    return read_medication_use({"id": "x", **resource}, "medicationRequests", {})


UCUM = "http://unitsofmeasure.org"


def order(**fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": "o",
        "status": "completed",
        "authoredOn": "2026-10-01",
    } | fields


def dispense(**fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationDispense",
        "id": "d",
        "status": "completed",
        "whenHandedOver": "2026-11-01",
    } | fields


def qid(tabs: Any = 1, unit: str = "tablet") -> list[dict[str, Any]]:
    return [
        {
            "timing": {"repeat": {"frequency": 4, "period": 1, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": {"value": tabs, "unit": unit}}],
        }
    ]


# (resource, estimated last dose, words the card shows, reason)
ROWS: list[tuple[dict[str, Any], str, str, str]] = [
    (
        dispense(daysSupply={"value": 14, "unit": "d", "system": UCUM, "code": "d"}),
        "2026-11-15",
        "supply 14 d from the dispense of 2026-11-01",
        "days supply in days",
    ),
    (
        dispense(daysSupply={"value": 2, "unit": "week", "code": "wk"}),
        "2026-11-15",
        "supply 14 d",
        "in weeks",
    ),
    (dispense(daysSupply={"value": 1, "code": "mo"}), "2026-12-01", "supply 30 d", "in months"),
    (dispense(daysSupply={"value": 10}), "2026-11-11", "supply 10 d", "no unit = days"),
    (dispense(daysSupply={"value": "7", "unit": "days"}), "2026-11-08", "supply 7 d", "a number as a string"),
    (
        dispense(quantity={"value": 56, "unit": "tablet"}, dosageInstruction=qid()),
        "2026-11-15",
        "estimated from 56 tablets at 4 a day (14 d)",
        "no days supply: quantity / (dose x doses a day)",
    ),
    (
        dispense(),
        "2026-12-01",
        "no days supply recorded: 30 d assumed",
        "nothing to go by: the policy default",
    ),
    (
        order(
            dispenseRequest={
                "expectedSupplyDuration": {"value": 30, "unit": "days"},
                "numberOfRepeatsAllowed": 2,
            }
        ),
        "2026-12-30",
        "supply 30 d x 3 fills from the order of 2026-10-01",
        "an order with refills and no fills on record: every fill allowed counts",
    ),
    (
        order(dispenseRequest={"quantity": {"value": 360, "unit": "tablet"}}, dosageInstruction=qid()),
        "2026-12-30",
        "estimated from 360 tablets at 4 a day (90 d)",
        "no supply duration: 360 tablets at 4 a day",
    ),
    (
        order(dispenseRequest={"quantity": {"value": 60, "unit": "mL"}}, dosageInstruction=qid()),
        "2026-10-31",
        "no supply recorded",
        "quantity and dose in different units: no division, the default",
    ),
    (
        order(dosageInstruction=[{"timing": {"repeat": {"boundsDuration": {"value": 5, "unit": "d"}}}}]),
        "2026-10-06",
        "course of 5 d",
        "timing bounds give the course",
    ),
    (
        order(
            status="stopped",
            dispenseRequest={"expectedSupplyDuration": {"value": 30, "unit": "d"}},
            dosageInstruction=[
                {"timing": {"repeat": {"boundsPeriod": {"start": "2026-10-01", "end": "2026-10-09"}}}}
            ],
        ),
        "2026-10-09",
        "order ended 2026-10-09 (as recorded)",
        "a stopped order ends when the record says, not when its supply would have",
    ),
    (
        order(dispenseRequest={"validityPeriod": {"start": "2026-10-01", "end": "2026-10-20"}}),
        "2026-10-20",
        "valid until 2026-10-20",
        "only a validity period",
    ),
    (
        {
            "resourceType": "MedicationStatement",
            "status": "completed",
            "effectivePeriod": {"end": "2026-11-16"},
        },
        "2026-11-16",
        "statement: last taken 2026-11-16",
        "a finished statement",
    ),
    (
        {
            "resourceType": "MedicationAdministration",
            "status": "completed",
            "effectiveDateTime": "2026-11-23T10:00:00Z",
        },
        "2026-11-23",
        "given on 2026-11-23",
        "an administration",
    ),
]


@pytest.mark.parametrize(("resource", "last", "how", "reason"), ROWS, ids=[r[3] for r in ROWS])
def test_estimate(resource: dict[str, Any], last: str, how: str, reason: str) -> None:
    found = estimate(view(resource), 30)
    assert found is not None, reason
    assert found.last_dose.isoformat() == last, reason
    assert how in found.how, f"{reason}: {found.how}"


def test_fills_win_over_refills() -> None:
    """An order with fills on record counts one fill; its dispenses carry the rest (documented precedence)."""
    rx = order(
        dispenseRequest={"expectedSupplyDuration": {"value": 30, "unit": "d"}, "numberOfRepeatsAllowed": 2}
    )
    fill = dispense(authorizingPrescription=[{"reference": "MedicationRequest/o"}])
    filled = filled_orders([view(fill)])
    found = estimate(view(rx), 30, filled)
    assert filled == frozenset({"MedicationRequest/o"})
    assert found is not None and found.last_dose == date(2026, 10, 31)


def test_unreadable_start_gives_no_estimate() -> None:
    assert estimate(view(order(authoredOn=None)), 30) is None


# (the record's fills (authorizingPrescription), the order asked about, filled?, reason)
FILLED_ROWS: list[tuple[list[Any], str, bool, str]] = [
    ([[{"reference": "MedicationRequest/o"}]], "MedicationRequest/o", True, "a fill names the order"),
    ([[{"reference": "MedicationRequest/o2"}]], "MedicationRequest/o", False, "a fill of another order"),
    ([[{"reference": "https://ehr/fhir/MedicationRequest/o"}]], "MedicationRequest/o", True, "absolute URL"),
    ([[{"reference": "Medication/o"}]], "MedicationRequest/o", False, "not a MedicationRequest"),
    ([], "MedicationRequest/o", False, "no fills on record"),
    ([[{"reference": "MedicationRequest/o"}]], "MedicationOrder/o", False, "only requests are filled"),
]


@pytest.mark.parametrize(("fills", "asked", "filled", "reason"), FILLED_ROWS, ids=[r[3] for r in FILLED_ROWS])
def test_filled_orders_answer_the_order_that_asks(
    fills: list[Any], asked: str, filled: bool, reason: str
) -> None:
    uses = [view(order())] + [view(dispense(authorizingPrescription=f)) for f in fills]
    assert (asked in FilledOrders(uses)) is filled, reason
    assert (asked in filled_orders(uses)) is filled, reason
