"""R6 - opioid dependence or withdrawal without a completed detox, or a detox still in progress.

When: (a) a detox in progress - an open detox Encounter/Procedure/EpisodeOfCare, an active
withdrawal-management medicine (lofexidine, clonidine for opioid withdrawal) or an opioid taper -
whenever the dependence diagnosis was recorded; or (b) an active opioid dependence/withdrawal
Condition recorded within ``dependence_lookback_days`` (or undated) that no completed detox covers.
A completed detox covers a diagnosis when it ended at least ``detox_completed_min_days`` ago with no
opioid exposure since (no dose, no positive urine screen).  It covers the diagnoses recorded before
it and opioid use disorder re-coded after it - every induction visit codes it again - but not a
withdrawal recorded after it (that is new use).
Then: critical - naltrexone precipitates withdrawal in a physically dependent patient.  The card names
the diagnosis and the detox judged.
Source: labels [L1][L4]; ASAM 2020 [A1]; TIP 63 [S2]; docs/clinical-rules.md.
"""

from __future__ import annotations

from datetime import date

from plugin.clinical.facts.model import Evidence, Facts
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import Finding
from plugin.clinical.rules.tolerance import latest

DETOX_VISITS = frozenset({"Encounter", "Procedure", "EpisodeOfCare"})


def _current(facts: Facts, condition: Evidence, policy: Policy) -> bool:
    return condition.when is None or facts.days_since(condition.when) <= policy.dependence_lookback_days


def exposed_since(facts: Facts, day: date) -> list[Evidence]:
    """Opioid doses (or positive urine screens) after ``day``: a detox ending then did not hold."""
    doses = [
        e.evidence
        for e in facts.opioid_exposures
        if not e.in_this_session and (e.ongoing or (e.last_dose is not None and e.last_dose > day))
    ]
    screens = [s for s in facts.positive_opioid_screens if s.when is not None and s.when > day]
    return doses + screens


def judge_detox(facts: Facts, policy: Policy) -> tuple[Evidence | None, str]:
    """(the latest completed detox, and why it does not hold - "" when it does)."""
    if not facts.completed_detox:
        return None, "none"
    dated = [d for d in facts.completed_detox if d.when is not None]
    if not dated:
        return facts.completed_detox[0], "undated"
    detox = max(dated, key=lambda d: d.when or date.min)
    assert detox.when is not None
    if facts.days_since(detox.when) < policy.detox_completed_min_days:
        return detox, "too-recent"
    if exposed_since(facts, detox.when):
        return detox, "opioid-since"
    return detox, ""


def _covered(condition: Evidence, detox: Evidence | None, facts: Facts) -> bool:
    if detox is None or detox.when is None:
        return False
    if condition.when is None or condition.when <= detox.when:
        return True
    return condition not in facts.opioid_withdrawal  # re-coded dependence, not a new withdrawal


def check(facts: Facts, policy: Policy) -> Finding | None:
    if not facts.detox_in_progress and not facts.dependence_conditions:
        return None  # nothing in progress, no condition a detox would have to cover
    diagnoses = latest(facts.dependence_conditions + facts.opioid_use_disorder)
    # An open detox visit is opioid withdrawal only for a patient with an opioid diagnosis (it may be an
    # alcohol or sedative detox); withdrawal medicines and an opioid taper are opioid-specific.
    in_progress = [e for e in facts.detox_in_progress if diagnoses or e.resource_type not in DETOX_VISITS]
    if in_progress:
        return Finding("R6", "critical", tuple(in_progress) + diagnoses, data={"in_progress": True})
    detox, problem = judge_detox(facts, policy)
    holds = detox if not problem else None
    open_conditions = [
        c for c in facts.dependence_conditions if _current(facts, c, policy) and not _covered(c, holds, facts)
    ]
    if not open_conditions:
        return None
    return Finding(
        "R6",
        "critical",
        tuple(open_conditions) + ((detox,) if detox else ()),
        data={
            "detox": detox,
            "detox_problem": problem or "withdrawal-since",
            "diagnosis": open_conditions[0],
            "min_days": policy.detox_completed_min_days,
        },
    )
