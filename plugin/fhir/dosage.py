"""Dosage instructions (and MedicationAdministration.dosage, an object) read once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugin.fhir.concepts import Concept, concept
from plugin.fhir.dates import Period, period
from plugin.fhir.quantities import Quantity, duration_days, quantity
from plugin.fhir.values import items, number, obj, objects, text

__all__ = ["Dosage", "read_dosage"]


@dataclass(frozen=True, slots=True)
class Dosage:
    """One dosage instruction (or MedicationAdministration.dosage, or MedicationStatement.dosage)."""

    route: Concept | None
    dose: Quantity | None
    frequency: float | None
    period: float | None
    period_unit: str
    days_of_week: tuple[str, ...]
    bounds: Period
    bounds_days: float | None
    text: str
    sequence: float | None


def read_dosage(raw: dict[str, Any]) -> Dosage:
    repeat = obj(obj(raw.get("timing")).get("repeat"))
    dose = quantity(raw.get("dose"))  # MedicationAdministration.dosage.dose
    if dose is None:
        for rate in objects(raw.get("doseAndRate")):
            dose = quantity(rate.get("doseQuantity"))
            if dose is not None:
                break
    return Dosage(
        route=concept(raw.get("route")),
        dose=dose,
        frequency=number(repeat.get("frequency")),
        period=number(repeat.get("period")),
        period_unit=text(repeat.get("periodUnit")),
        days_of_week=tuple(text(d) for d in items(repeat.get("dayOfWeek")) if text(d)),
        bounds=period(repeat.get("boundsPeriod")),
        bounds_days=duration_days(repeat.get("boundsDuration")),
        text=text(raw.get("text")),
        sequence=number(raw.get("sequence")),
    )
