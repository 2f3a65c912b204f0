"""FHIR date/dateTime/Period readers; anything that is not a readable date is None, never an error."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, NamedTuple

from plugin.fhir.quantities import duration_days
from plugin.fhir.values import items, obj, whole

__all__ = [
    "Period",
    "duration_days",
    "effective_date",
    "obj",
    "order_start",
    "parse_date",
    "period",
    "period_end",
    "period_start",
    "plus_days",
    "supply_days",
]

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_date(value: Any) -> date | None:
    """The calendar date of a FHIR date/dateTime; a partial date gives its LAST day (conservative:
    a later last dose or detox end never shortens an opioid-free window)."""
    if not isinstance(value, str):
        return None
    m = _DATE.match(value.strip())
    if not m:
        return None
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if month is None:
            return date(year, 12, 31)
        if day is None:
            return date(year, int(month), calendar.monthrange(year, int(month))[1])
        return date(year, int(month), int(day))
    except ValueError:
        return None


class Period(NamedTuple):
    start: date | None
    end: date | None
    damaged: bool = False  # sent, but not an object, or a start/end that is not a date


NO_PERIOD = Period(None, None)
_DAMAGED_PERIOD = Period(None, None, True)


def period(raw: Any) -> Period:
    if not isinstance(raw, dict):
        return NO_PERIOD if raw is None else _DAMAGED_PERIOD
    start, end = parse_date(raw.get("start")), parse_date(raw.get("end"))
    damaged = ("start" in raw and start is None) or ("end" in raw and end is None)
    return Period(start, end, damaged)


def date_damaged(resource: Mapping[str, Any], name: str) -> bool:
    """The date field ``name`` was sent but is not a readable date."""
    return name in resource and parse_date(resource[name]) is None


def period_end(raw: Any) -> date | None:
    return period(raw).end


def period_start(raw: Any) -> date | None:
    return period(raw).start


def supply_days(dispense_request: Any) -> float | None:
    """Days a MedicationRequest's dispenseRequest covers: expected supply x (1 + refills)."""
    dispense = obj(dispense_request)
    supply = duration_days(dispense.get("expectedSupplyDuration"))
    if supply is None:
        return None
    return supply * (1 + (whole(dispense.get("numberOfRepeatsAllowed")) or 0))


def order_start(request: Mapping[str, Any]) -> date | None:
    """Earliest start written on a MedicationRequest: dispense validity or dosage timing bounds."""
    starts = [period_start(obj(request.get("dispenseRequest")).get("validityPeriod"))]
    for dosage in items(request.get("dosageInstruction")):
        starts.append(period_start(obj(obj(obj(dosage).get("timing")).get("repeat")).get("boundsPeriod")))
    known = [d for d in starts if d]
    return min(known) if known else None


def plus_days(start: date, days: float) -> date:
    try:
        return start + timedelta(days=max(0, min(round(days), 366 * 100)))
    except OverflowError:  # a start near year 9999
        return date.max


def effective_date(resource: Mapping[str, Any]) -> date | None:
    """When an Observation/Statement/Administration happened: end of period, else the instant."""
    effective = period(resource.get("effectivePeriod"))
    return (
        effective.end
        or parse_date(resource.get("effectiveDateTime"))
        or effective.start
        or parse_date(resource.get("issued"))
    )
