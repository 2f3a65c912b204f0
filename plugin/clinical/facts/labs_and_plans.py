"""Liver tests (R9, R10) and planned surgery (R13) read from the record's views."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Literal

from plugin.clinical.facts.findings import codings_of
from plugin.clinical.facts.model import Evidence, LabResult
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology
from plugin.fhir.clinical import Activity, Observation

LabTest = Literal["alt", "ast", "bilirubin"]
_LAB_SETS: tuple[tuple[str, LabTest], ...] = (
    ("alanine-aminotransferase", "alt"),
    ("aspartate-aminotransferase", "ast"),
    ("bilirubin-total", "bilirubin"),
)
LAB_SETS = tuple(name for name, _ in _LAB_SETS)
_MICROMOLAR = {"umol/l", "µmol/l", "micromol/l"}
_NOT_RESULTS = {"entered-in-error", "cancelled", "registered"}
# Statuses of a scheduled, not yet done, surgery (FHIR R4 value sets of each resource).
PLANNED_STATUS = {
    "ServiceRequest": {"draft", "active", "on-hold"},
    "Procedure": {"preparation", "in-progress"},
    "Appointment": {"proposed", "pending", "booked", "arrived", "checked-in", "waitlist"},
}


def _uln(obs: Observation, test: LabTest, unit: str, policy: Policy) -> tuple[float, bool]:
    for rng in obs.result.ranges:
        if rng.high is not None and rng.high.value > 0:
            return rng.high.value, True
    if test == "alt":
        return policy.alt_uln_default, False
    if test == "ast":
        return policy.ast_uln_default, False
    if unit.lower() in _MICROMOLAR:
        return policy.bilirubin_uln_umol_l_default, False
    return policy.bilirubin_uln_mg_dl_default, False


def liver_tests(observations: Iterable[Observation], policy: Policy, term: Terminology) -> list[LabResult]:
    """ALT, AST and total bilirubin results with a numeric value; ULN from referenceRange.high."""
    out = []
    for obs in observations:
        if obs.status in _NOT_RESULTS:
            continue
        quantity = obs.result.value_quantity
        if quantity is None:
            continue
        coded = term.sets_of(codings_of(obs.code))
        test = next((t for name, t in _LAB_SETS if name in coded), None)
        if test is None:
            continue
        value, unit = quantity.value, quantity.unit
        uln, from_range = _uln(obs, test, unit, policy)
        what = f"{test.upper()} {value:g} {unit} = {value / uln:.1f} x ULN {uln:g}" + (
            "" if from_range else " (default ULN)"
        )
        evidence = Evidence("Observation", obs.id, obs.when, what)
        out.append(LabResult(evidence, test, value, uln, from_range))
    return out


def _is_surgery(activity: Activity, term: Terminology) -> bool:
    if term.any_in("surgical-procedure", [c for concept in activity.concepts for c in concept.codings]):
        return True
    return term.mentions("surgical-procedure", activity.words)


def _scheduled_day(activity: Activity) -> date | None:
    return activity.at or activity.period.start or activity.requested.start


def planned_surgery(
    activities: Mapping[str, Iterable[Activity]], now: date, term: Terminology
) -> list[Evidence]:
    """Surgery scheduled today or later (ServiceRequest, Procedure, Appointment); undated ones are skipped."""
    out = []
    for kind, statuses in PLANNED_STATUS.items():
        for activity in activities.get(kind, ()):
            if activity.status not in statuses or not _is_surgery(activity, term):
                continue
            day = _scheduled_day(activity)
            if day is None or day < now:
                continue
            first = activity.concepts[0].name if activity.concepts else ""
            what = first or activity.description or "surgery"
            out.append(Evidence(kind, activity.id, day, what))
    return out
