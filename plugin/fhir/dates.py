"""FHIR date/dateTime/Period/Duration helpers over plain dicts."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_DAYS_PER_UNIT = {
    "d": 1.0,
    "day": 1.0,
    "days": 1.0,
    "wk": 7.0,
    "week": 7.0,
    "weeks": 7.0,
    "mo": 30.0,
    "month": 30.0,
    "months": 30.0,
    "a": 365.0,
    "year": 365.0,
    "years": 365.0,
    "h": 1 / 24,
    "hour": 1 / 24,
    "hours": 1 / 24,
    "min": 1 / 1440,
}


def obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one: FHIR input is untrusted."""
    return value if isinstance(value, dict) else {}


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


def period_end(period: Any) -> date | None:
    return parse_date(period.get("end")) if isinstance(period, dict) else None


def period_start(period: Any) -> date | None:
    return parse_date(period.get("start")) if isinstance(period, dict) else None


def duration_days(duration: Any) -> float | None:
    """Days in a FHIR Duration/Quantity of time, or None when it is not one."""
    if not isinstance(duration, dict):
        return None
    value = duration.get("value")
    unit = str(duration.get("code") or duration.get("unit") or "").lower()
    if not isinstance(value, (int, float)) or isinstance(value, bool) or unit not in _DAYS_PER_UNIT:
        return None
    return float(value) * _DAYS_PER_UNIT[unit]


def supply_days(dispense_request: Any) -> float | None:
    """Days a MedicationRequest's dispenseRequest covers: expected supply x (1 + refills)."""
    dispense = obj(dispense_request)
    supply = duration_days(dispense.get("expectedSupplyDuration"))
    if supply is None:
        return None
    repeats = dispense.get("numberOfRepeatsAllowed")
    refills = repeats if isinstance(repeats, int) and not isinstance(repeats, bool) and repeats > 0 else 0
    return supply * (1 + refills)


def order_start(request: Mapping[str, Any]) -> date | None:
    """Earliest start written on a MedicationRequest: dispense validity or dosage timing bounds."""
    starts = [period_start(obj(request.get("dispenseRequest")).get("validityPeriod"))]
    for dosage in request.get("dosageInstruction") or []:
        starts.append(period_start(obj(obj(obj(dosage).get("timing")).get("repeat")).get("boundsPeriod")))
    known = [d for d in starts if d]
    return min(known) if known else None


def plus_days(start: date, days: float) -> date:
    return start + timedelta(days=max(0, round(days)))


def effective_date(resource: Mapping[str, Any]) -> date | None:
    """When an Observation/Statement/Administration happened: end of period, else the instant."""
    return (
        period_end(resource.get("effectivePeriod"))
        or parse_date(resource.get("effectiveDateTime"))
        or period_start(resource.get("effectivePeriod"))
        or parse_date(resource.get("issued"))
    )
