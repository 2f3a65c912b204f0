"""R15 - the naltrexone draft is not a documented regimen.

When: no rule of R1-R6 fires, nothing is critical and the record could be read; a naltrexone draft not
suggested by this service has a complete dose and schedule that match no documented regimen (oral 50 mg
daily, 100 mg every other day, 150 mg every third day, 50 mg Monday-Friday with 100 mg Saturday; XR
380 mg every 4 weeks), or a course shorter than ``course_minimum_days``.
Then: warning - suggests the nearest documented regimen.  A draft whose dose, schedule or course is
missing is not a warning: the clean card offers to complete it.
Source: oral label dosing [L1], challenge-and-dose procedure [L3], XR label [L4]; docs/clinical-rules.md
"Regimens".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

from plugin.clinical.dosing import DraftDosing, matching_regimen, read_dosing
from plugin.clinical.facts.model import Facts, NaltrexoneOrder
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import Finding
from plugin.clinical.rules.safety import start_is_open

DraftState = Literal["documented", "off-label", "short-course", "incomplete"]


class DraftRegimen(NamedTuple):
    """How one naltrexone draft compares with the documented regimens (a named tuple: two rules assess
    every draft on every call, and a tuple is made in a third of a frozen dataclass's time)."""

    order: NaltrexoneOrder
    state: DraftState
    course_days: float | None
    dosing: DraftDosing  # as read from the draft (the suggestion's nearest regimen starts from it)


def assess(order: NaltrexoneOrder, policy: Policy) -> DraftRegimen:
    dosing = read_dosing(order, policy)
    course = dosing.course_days
    if course is not None and course < policy.course_minimum_days:
        return DraftRegimen(order, "short-course", course, dosing)
    if dosing.doses and not dosing.incomplete and matching_regimen(order, dosing) is None:
        return DraftRegimen(order, "off-label", course, dosing)
    if dosing.incomplete or course is None:
        return DraftRegimen(order, "incomplete", course, dosing)
    return DraftRegimen(order, "documented", course, dosing)


def drafts(facts: Facts, policy: Policy) -> list[DraftRegimen]:
    """The clinician's own naltrexone drafts (never the ones we suggested), assessed."""
    return [assess(o, policy) for o in facts.target_orders if not o.tagged_by_us]


def check(facts: Facts, policy: Policy, findings: Sequence[Finding]) -> Finding | None:
    """R15 - dose, schedule or course off the documented regimens."""
    if not start_is_open(findings):
        return None
    off = tuple(d for d in drafts(facts, policy) if d.state in ("off-label", "short-course"))
    if not off:
        return None
    return Finding("R15", "warning", data={"drafts": off})
