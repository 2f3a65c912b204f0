"""What a medication entry (a read view) says about supply, as last_dose's inputs, and the estimate."""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Sequence

from plugin.clinical.facts.last_dose import (
    Dose,
    Estimate,
    Order,
    as_days,
    dispense_estimate,
    doses_a_day,
    order_estimate,
)
from plugin.fhir.medications import MedicationUse
from plugin.fhir.quantities import Quantity

ORDER_TYPES = frozenset({"MedicationRequest", "MedicationOrder"})
NOT_FILLED = frozenset({"entered-in-error", "cancelled", "declined"})


def _days(found: Quantity | None) -> float | None:
    """A quantity of time in days: any UCUM time unit, none = days."""
    return as_days(found.value, found.code or found.unit) if found is not None else None


def _unit(found: Quantity | None) -> str:
    return (found.code or found.unit) if found is not None else ""


def read_doses(use: MedicationUse) -> tuple[Dose, ...]:
    return tuple(
        Dose(
            d.dose.value if d.dose is not None else None,
            _unit(d.dose),
            doses_a_day(d.frequency, d.period, d.period_unit),
            d.bounds.start,
            d.bounds.end,
            d.bounds_days,
        )
        for d in use.dosages
    )


def read_order(use: MedicationUse, filled: bool) -> Order:
    return Order(
        status=use.status,
        authored=use.authored,
        validity_start=use.validity.start,
        validity_end=use.validity.end,
        supply_days=use.expected_supply_days,
        repeats=max(use.repeats or 0, 0),
        quantity=use.dispense_quantity.value if use.dispense_quantity is not None else None,
        quantity_unit=_unit(use.dispense_quantity),
        doses=read_doses(use),
        filled=filled,
    )


def estimate(use: MedicationUse, default_days: int, filled: Container[str] = frozenset()) -> Estimate | None:
    """The estimated last dose of an entry that is not ongoing, and how it was made (docs/last-dose.md)."""
    if use.kind in ORDER_TYPES:
        return order_estimate(read_order(use, f"{use.kind}/{use.id}" in filled), default_days)
    if use.kind == "MedicationDispense":
        quantity = use.dispense_quantity
        return dispense_estimate(
            use.handed_over or use.prepared,
            _days(use.days_supply),
            quantity.value if quantity is not None else None,
            _unit(quantity),
            read_doses(use),
            default_days,
        )
    taken = use.effective.end or use.effective_at or use.effective.start
    if use.kind == "MedicationStatement":
        taken = taken or use.asserted
        return Estimate(taken, f"statement: last taken {taken.isoformat()}") if taken else None
    return Estimate(taken, f"given on {taken.isoformat()}") if taken else None


def _orders_filled_by(use: MedicationUse) -> Iterator[str]:
    """Ids of the MedicationRequests a dispense fills (its authorizingPrescription); none when the entry
    is no fill or was not handed over."""
    if use.kind != "MedicationDispense" or use.status in NOT_FILLED:
        return
    for ref in use.authorizing:
        if ref.id and ref.type in (None, "MedicationRequest"):
            yield ref.id


def filled_orders(dispenses: Iterable[MedicationUse]) -> frozenset[str]:
    """Orders with fills on record (authorizingPrescription): their fills carry the supply."""
    return frozenset(f"MedicationRequest/{rid}" for d in dispenses for rid in _orders_filled_by(d))


class FilledOrders(Container[str]):
    """``reference in FilledOrders(uses)`` is ``reference in filled_orders(uses)``, answered for the
    orders that ask (most records have no opioid order whose supply needs it): a fill is read further
    only when one of its authorizingPrescription references holds the order's id."""

    def __init__(self, uses: Sequence[MedicationUse]) -> None:
        self._uses = uses
        self._fills: list[MedicationUse] | None = None  # the dispenses, picked out when first asked
        self._known: dict[str, bool] = {}

    def __contains__(self, reference: object) -> bool:
        if not isinstance(reference, str):
            return False
        known = self._known.get(reference)
        if known is None:
            known = self._known[reference] = self._filled(reference)
        return known

    def _filled(self, reference: str) -> bool:
        kind, _, rid = reference.partition("/")
        if kind != "MedicationRequest" or not rid:
            return False
        if self._fills is None:
            self._fills = [u for u in self._uses if u.kind == "MedicationDispense"]
        return any(d.may_authorize(rid) and rid in _orders_filled_by(d) for d in self._fills)
