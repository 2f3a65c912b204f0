"""Read a draft's dosing and course, and find the documented regimen nearest to it."""

from __future__ import annotations

from dataclasses import dataclass

from plugin.clinical.facts.model import NaltrexoneOrder
from plugin.clinical.policy import REGIMENS, XR_INTERVAL_RANGE_DAYS, Policy, Regimen, ScheduledDose
from plugin.fhir.dosage import Dosage
from plugin.fhir.medications import MedicationUse, read_medication_use

_TABLET_UNITS = {"tab", "tabs", "tablet", "tablets", "{tbl}", "{tablet}", "{tab}"}
_PERIOD_DAYS = {"d": 1, "wk": 7, "mo": 30}


@dataclass(frozen=True)
class DraftDosing:
    doses: tuple[ScheduledDose, ...]  # what could be read completely
    incomplete: bool  # a dose without amount or timing
    course_days: float | None


def _dose_mg(dosage: Dosage, policy: Policy) -> float | None:
    dose = dosage.dose
    if dose is None:
        return None
    unit = (dose.code or dose.unit or "mg").lower()
    if unit == "mg":
        return dose.value
    if unit in _TABLET_UNITS:
        return dose.value * policy.oral_tablet_mg
    return None


def _schedule(dosage: Dosage, mg: float) -> ScheduledDose | None:
    if dosage.days_of_week:
        return ScheduledDose(mg, days_of_week=dosage.days_of_week)
    period, unit = dosage.period, dosage.period_unit
    if period is None or unit not in _PERIOD_DAYS:
        return None
    frequency = dosage.frequency
    times = int(frequency) if frequency is not None and frequency >= 1 and frequency == int(frequency) else 1
    return ScheduledDose(mg, times, round(period * _PERIOD_DAYS[unit]))


def _course_days(draft: MedicationUse) -> float | None:
    start, end = draft.validity.start, draft.validity.end
    if start and end:
        return float((end - start).days)
    return draft.supply_days


def draft_view(order: NaltrexoneOrder) -> MedicationUse:
    """The draft as read by plugin.fhir (read here when a test built the order by hand)."""
    return order.view if order.view is not None else read_medication_use(order.resource, "draft", {})


def read_dosing(order: NaltrexoneOrder, policy: Policy) -> DraftDosing:
    doses, incomplete = [], False
    draft = draft_view(order)
    for dosage in draft.dosages:
        mg = _dose_mg(dosage, policy)
        scheduled = _schedule(dosage, mg) if mg is not None else None
        if scheduled is None:
            incomplete = True
        else:
            doses.append(scheduled)
    return DraftDosing(tuple(doses), incomplete or not draft.dosages, _course_days(draft))


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
