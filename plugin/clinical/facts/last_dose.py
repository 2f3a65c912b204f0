"""When was the last dose?  Estimates from orders, fills, statements and administrations, each saying
how it was made ("supply 90 d from the dispense of 2026-08-27", "estimated from 360 tablets at 4 a day").

Precedence for an order (MedicationRequest), first that applies:
1. a stopped/completed/cancelled order whose dosage bounds end says when it ended: that day;
2. from authoredOn (else the validity or bounds start):
   a. expectedSupplyDuration (any UCUM time unit; none = days) x the fills allowed (1 + refills);
   b. else the dispense quantity / (dose x doses a day) x the fills allowed;
   c. else the course in timing bounds (boundsDuration, boundsPeriod end), else the validity end;
   d. else the policy's default supply.
   Actual fills win over refills allowed: an order with MedicationDispenses on record counts one fill
   only - its dispenses carry the rest.
A fill (MedicationDispense): whenHandedOver (else whenPrepared) + daysSupply (any UCUM time unit; none =
days), else quantity / (dose x doses a day), else the default supply.  A statement that is active without
an end is ongoing; otherwise its effective end or instant.  An administration: when it was given.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

DAYS_PER_UNIT = {
    "s": 1 / 86400,
    "min": 1 / 1440,
    "h": 1 / 24,
    "d": 1.0,
    "wk": 7.0,
    "mo": 30.0,
    "a": 365.0,
}
_UNIT_WORDS = {
    "sec": "s",
    "second": "s",
    "seconds": "s",
    "minute": "min",
    "minutes": "min",
    "hour": "h",
    "hours": "h",
    "hr": "h",
    "day": "d",
    "days": "d",
    "week": "wk",
    "weeks": "wk",
    "month": "mo",
    "months": "mo",
    "year": "a",
    "years": "a",
    "yr": "a",
}
ENDED = frozenset({"stopped", "completed", "cancelled"})


class Estimate(NamedTuple):
    last_dose: date
    how: str


def unit_days(unit: str) -> float | None:
    """Days in one UCUM time unit (or its English name); no unit at all = days."""
    key = unit.strip().lower().strip("{}")
    if not key:
        return 1.0
    return DAYS_PER_UNIT.get(_UNIT_WORDS.get(key, key))


def as_days(value: float | None, unit: str) -> float | None:
    per = unit_days(unit)
    if value is None or per is None or value < 0:
        return None
    return value * per


def doses_a_day(frequency: float | None, period: float | None, period_unit: str) -> float | None:
    """Doses a day from timing.repeat (frequency per period periodUnit)."""
    if period is None or period <= 0:
        return None
    per = unit_days(period_unit) if period_unit else None
    if per is None:
        return None
    return (frequency if frequency and frequency > 0 else 1.0) / (period * per)


_SAME_UNIT = {
    "tab": "tablet",
    "tabs": "tablet",
    "tablets": "tablet",
    "tbl": "tablet",
    "capsules": "capsule",
    "cap": "capsule",
    "caps": "capsule",
    "patches": "patch",
    "films": "film",
    "ml": "ml",
    "mg": "mg",
}


def _unit(unit: str) -> str:
    key = unit.strip().lower().strip("{}")
    return _SAME_UNIT.get(key, key)


def days_from_quantity(
    quantity: float | None, quantity_unit: str, dose: float | None, dose_unit: str, per_day: float | None
) -> float | None:
    """quantity / (dose x doses a day), when the units agree (or one of them is not given)."""
    if not quantity or not dose or not per_day or quantity <= 0 or dose <= 0 or per_day <= 0:
        return None
    q, d = _unit(quantity_unit), _unit(dose_unit)
    if q and d and q != d:
        return None
    return quantity / (dose * per_day)


def _n(value: float) -> str:
    return f"{value:g}"


def plus(start: date, days: float) -> date:
    return start + timedelta(days=max(0, round(days)))


def describe_quantity(quantity: float, unit: str, dose: float, per_day: float) -> str:
    what = _unit(unit) or "units"
    each = "" if dose == 1 else f" of {_n(dose)}"
    return f"{_n(quantity)} {what}s at {_n(per_day)} a day{each}".replace("ss ", "s ")


class Dose(NamedTuple):
    """One dosage instruction, read."""

    amount: float | None
    unit: str
    per_day: float | None
    bounds_start: date | None = None
    bounds_end: date | None = None
    bounds_days: float | None = None


class Order(NamedTuple):
    """What a MedicationRequest says about supply."""

    status: str
    authored: date | None
    validity_start: date | None
    validity_end: date | None
    supply_days: float | None  # expectedSupplyDuration in days
    repeats: int
    quantity: float | None
    quantity_unit: str
    doses: tuple[Dose, ...]
    filled: bool  # MedicationDispenses on record name this order


def _quantity_days(quantity: float | None, unit: str, doses: tuple[Dose, ...]) -> tuple[float, str] | None:
    for dose in doses:
        days = days_from_quantity(quantity, unit, dose.amount, dose.unit, dose.per_day)
        if days is not None and quantity and dose.amount and dose.per_day:
            return days, "estimated from " + describe_quantity(
                quantity, unit or dose.unit, dose.amount, dose.per_day
            )
    return None


def order_estimate(order: Order, default_days: int) -> Estimate | None:
    """Estimated last dose of an order that is not active (see the module's precedence)."""
    ends = [d.bounds_end for d in order.doses if d.bounds_end]
    if order.status in ENDED and ends:
        return Estimate(max(ends), f"order ended {max(ends).isoformat()} (as recorded)")
    starts = [d.bounds_start for d in order.doses if d.bounds_start]
    start = order.authored or order.validity_start or (min(starts) if starts else None)
    if start is None:
        return None
    fills = 1 if order.filled else 1 + max(order.repeats, 0)
    fills_said = "" if fills == 1 else f" x {fills} fills"
    since = f" from the order of {start.isoformat()}"
    if order.supply_days is not None:
        days = order.supply_days * fills
        return Estimate(plus(start, days), f"supply {_n(order.supply_days)} d{fills_said}{since}")
    by_quantity = _quantity_days(order.quantity, order.quantity_unit, order.doses)
    if by_quantity is not None:
        days, how = by_quantity
        return Estimate(plus(start, days * fills), f"{how} ({_n(round(days * fills))} d){fills_said}{since}")
    bounded = [d.bounds_days for d in order.doses if d.bounds_days is not None]
    if bounded:
        return Estimate(plus(start, max(bounded)), f"course of {_n(max(bounded))} d{since}")
    if ends:
        return Estimate(max(ends), f"course ends {max(ends).isoformat()} (dosage bounds)")
    if order.validity_end:
        return Estimate(order.validity_end, f"prescription valid until {order.validity_end.isoformat()}")
    return Estimate(plus(start, default_days), f"no supply recorded: {default_days} d assumed{since}")


def dispense_estimate(
    handed: date | None,
    days_supply: float | None,
    quantity: float | None,
    quantity_unit: str,
    doses: tuple[Dose, ...],
    default_days: int,
) -> Estimate | None:
    """Estimated last dose of a fill."""
    if handed is None:
        return None
    since = f" from the dispense of {handed.isoformat()}"
    if days_supply is not None:
        return Estimate(plus(handed, days_supply), f"supply {_n(days_supply)} d{since}")
    by_quantity = _quantity_days(quantity, quantity_unit, doses)
    if by_quantity is not None:
        days, how = by_quantity
        return Estimate(plus(handed, days), f"{how} ({_n(round(days))} d){since}")
    return Estimate(plus(handed, default_days), f"no days supply recorded: {default_days} d assumed{since}")
