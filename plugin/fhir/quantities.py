"""Quantities and durations: numbers as strings tolerated, a missing unit kept as unknown."""

from __future__ import annotations

from typing import Any, NamedTuple

from plugin.fhir.values import number, text

# UCUM codes and the words real systems write for time units, in days.
DAYS_PER_UNIT = {
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
    "yr": 365.0,
    "year": 365.0,
    "years": 365.0,
    "h": 1 / 24,
    "hr": 1 / 24,
    "hour": 1 / 24,
    "hours": 1 / 24,
    "min": 1 / 1440,
}


class Quantity(NamedTuple):
    value: float
    unit: str  # the human unit, else the code; "" when none was sent
    code: str  # the UCUM (or other) code, lowercased; "" when none

    @property
    def days(self) -> float | None:
        """This quantity as a duration in days (no unit at all: days, as daysSupply is written); None when
        its unit is not a time unit."""
        if not self.code and not self.unit:
            return self.value
        factor = DAYS_PER_UNIT.get(self.code) or DAYS_PER_UNIT.get(self.unit.lower())
        return self.value * factor if factor is not None else None


def quantity(raw: Any) -> Quantity | None:
    """A Quantity/Duration/Age/SimpleQuantity; None when it has no readable value."""
    if not isinstance(raw, dict):
        return None
    value = number(raw.get("value"))
    if value is None:
        return None
    code = text(raw.get("code")).lower()
    unit = text(raw.get("unit")) or code
    return Quantity(value, unit, code)


def duration_days(raw: Any) -> float | None:
    """Days in a FHIR Duration, or None when it is not one (no value, or not a time unit)."""
    found = quantity(raw)
    return found.days if found is not None else None
