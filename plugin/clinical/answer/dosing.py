"""Read a draft's dosing and course, and find the documented regimen nearest to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugin.clinical.facts.model import NaltrexoneOrder
from plugin.clinical.policy import REGIMENS, XR_INTERVAL_RANGE_DAYS, Policy, Regimen, ScheduledDose
from plugin.fhir.dates import obj, parse_date, supply_days

_TABLET_UNITS = {"tab", "tabs", "tablet", "tablets", "{tbl}", "{tablet}", "{tab}"}
_PERIOD_DAYS = {"d": 1, "wk": 7, "mo": 30}


@dataclass(frozen=True)
class DraftDosing:
    doses: tuple[ScheduledDose, ...]  # what could be read completely
    incomplete: bool  # a dose without amount or timing
    course_days: float | None


def _dose_mg(dosage: dict[str, Any], policy: Policy) -> float | None:
    for rate in dosage.get("doseAndRate") or []:
        quantity = rate.get("doseQuantity") if isinstance(rate, dict) else None
        if not isinstance(quantity, dict) or not isinstance(quantity.get("value"), (int, float)):
            continue
        unit = str(quantity.get("code") or quantity.get("unit") or "mg").lower()
        if unit == "mg":
            return float(quantity["value"])
        if unit in _TABLET_UNITS:
            return float(quantity["value"]) * policy.oral_tablet_mg
    return None


def _schedule(dosage: dict[str, Any], mg: float) -> ScheduledDose | None:
    repeat = obj(obj(dosage.get("timing")).get("repeat"))
    days = tuple(str(d) for d in repeat.get("dayOfWeek") or [])
    if days:
        return ScheduledDose(mg, days_of_week=days)
    period, unit = repeat.get("period"), repeat.get("periodUnit")
    if not isinstance(period, (int, float)) or unit not in _PERIOD_DAYS:
        return None
    frequency = repeat.get("frequency")
    frequency = frequency if isinstance(frequency, int) else 1
    return ScheduledDose(mg, frequency, round(period * _PERIOD_DAYS[unit]))


def _course_days(resource: dict[str, Any]) -> float | None:
    dispense = obj(resource.get("dispenseRequest"))
    validity = obj(dispense.get("validityPeriod"))
    start, end = parse_date(validity.get("start")), parse_date(validity.get("end"))
    if start and end:
        return float((end - start).days)
    return supply_days(dispense)


def read_dosing(order: NaltrexoneOrder, policy: Policy) -> DraftDosing:
    doses, incomplete = [], False
    instructions = [d for d in order.resource.get("dosageInstruction") or [] if isinstance(d, dict)]
    for dosage in instructions:
        mg = _dose_mg(dosage, policy)
        scheduled = _schedule(dosage, mg) if mg is not None else None
        if scheduled is None:
            incomplete = True
        else:
            doses.append(scheduled)
    return DraftDosing(tuple(doses), incomplete or not instructions, _course_days(order.resource))


def _same_dose(draft: ScheduledDose, documented: ScheduledDose, xr: bool) -> bool:
    if draft.mg != documented.mg:
        return False
    if documented.days_of_week:
        return set(draft.days_of_week) == set(documented.days_of_week)
    if xr:
        low, high = XR_INTERVAL_RANGE_DAYS
        return draft.frequency == 1 and low <= draft.period_days <= high
    return not draft.days_of_week and (draft.frequency, draft.period_days) == (
        documented.frequency,
        documented.period_days,
    )


def matching_regimen(order: NaltrexoneOrder, dosing: DraftDosing) -> Regimen | None:
    if dosing.incomplete:
        return None
    for regimen in REGIMENS:
        if regimen.form != order.form or len(regimen.doses) != len(dosing.doses):
            continue
        xr = regimen.form == "xr-injectable"
        if all(any(_same_dose(d, r, xr) for d in dosing.doses) for r in regimen.doses):
            return regimen
    return None


def nearest_regimen(order: NaltrexoneOrder, dosing: DraftDosing) -> Regimen:
    """The documented regimen closest to the draft: same form, then same rhythm, then same dose."""
    candidates = [r for r in REGIMENS if r.form == order.form] or [REGIMENS[0]]
    if len(candidates) == 1:
        return candidates[0]
    if any(d.days_of_week for d in dosing.doses):
        return next(r for r in candidates if r.doses[0].days_of_week)
    for dose in dosing.doses:
        for regimen in candidates:
            if not regimen.doses[0].days_of_week and regimen.doses[0].period_days == dose.period_days:
                return regimen
        for regimen in candidates:
            if regimen.doses[0].mg == dose.mg and not regimen.doses[0].days_of_week:
                return regimen
    return candidates[0]
