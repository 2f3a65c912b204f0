"""One walk over the record's encounters, procedures and episodes of care: detox still open (R6), detox
completed (R3), and the open ones whose code, or the possibly open ones whose status, cannot be read.

Each activity's status is read once and decides which questions it is asked; each distinct code is
looked up once (``CodeSets``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from plugin.clinical.facts.detox import OPEN_STATUS
from plugin.clinical.facts.findings import CodeSets
from plugin.clinical.facts.model import Evidence
from plugin.fhir.clinical import Activity
from plugin.fhir.record import Unreadable

DETOX = "opioid-detoxification"


@dataclass
class ActivityWalk:
    open: list[Evidence] = field(default_factory=list)  # detox still going on (``when``: its start)
    suspect: list[Unreadable] = field(default_factory=list)  # open, code or type unreadable
    unverified: list[tuple[Activity, str]] = field(default_factory=list)  # a detox, status unreadable
    procedures: list[Evidence] = field(default_factory=list)  # completed detox procedures (``when``: end)
    encounters: list[Evidence] = field(default_factory=list)  # finished detox encounters (``when``: end)

    @property
    def completed(self) -> list[Evidence]:
        """Completed detoxification, procedures then encounters; ``when`` is the day it ended."""
        return self.procedures + self.encounters


def walk_activities(activities: Iterable[Activity], sets: CodeSets) -> ActivityWalk:
    """What the facts ask of every encounter, procedure and episode of care, in one walk."""
    walk = ActivityWalk()
    of = sets.of
    for a in activities:
        status, kind = a.status, a.kind
        if status in OPEN_STATUS.get(kind, ()):
            concepts = [c for c in (a.code, *a.types) if c is not None]
            if any(DETOX in of(c) for c in concepts):
                walk.open.append(Evidence(kind, a.id, a.period.start, "detox in progress"))
            if not any(c.codings for c in concepts) or any(c.damaged for c in concepts):
                walk.suspect.append(Unreadable(a.reference, a.key, "code"))
        elif not status:  # not sent, or not a string: it may still be open
            if kind in OPEN_STATUS and any(DETOX in of(c) for c in (a.code, *a.types) if c is not None):
                walk.unverified.append((a, "status"))
        elif kind == "Procedure":
            if status == "completed" and DETOX in of(code := a.code):
                what = code.name if code is not None else ""
                walk.procedures.append(Evidence("Procedure", a.id, a.period.end or a.at, what))
        elif kind == "Encounter" and status == "finished" and any(DETOX in of(t) for t in a.types):
            walk.encounters.append(Evidence("Encounter", a.id, a.period.end, "detox encounter"))
    return walk
