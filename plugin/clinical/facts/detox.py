"""R6 facts: a detox still in progress.

An open detox Encounter/Procedure/EpisodeOfCare, an active withdrawal-management medicine (lofexidine;
clonidine whose reason is opioid dependence or withdrawal), or an active opioid order that tapers
(several sequenced, time-bounded steps, or a sig that says taper/wean).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from plugin.clinical.facts.model import Evidence
from plugin.clinical.terminology import Terminology
from plugin.fhir.dates import obj, parse_date, period_end, period_start

# Statuses that mean "still going on" (FHIR R4 Encounter, Procedure, EpisodeOfCare, medication resources).
OPEN_STATUS = {
    "Encounter": {"arrived", "triaged", "in-progress", "onleave"},
    "Procedure": {"preparation", "in-progress", "on-hold"},
    "EpisodeOfCare": {"active", "onhold"},
}
ACTIVE_MEDICATION = {"active", "on-hold", "intended", "in-progress", "preparation"}
_TAPER = re.compile(r"\b(taper\w*|wean\w*|then stop|then discontinue)\b")


def _codings(concept: Any) -> list[dict[str, Any]]:
    return [c for c in obj(concept).get("coding") or [] if isinstance(c, dict)]


def _concepts(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _status(resource: Mapping[str, Any]) -> str:
    status = resource.get("status")
    return status.lower() if isinstance(status, str) else ""


def open_detox(resources: Iterable[Mapping[str, Any]], term: Terminology) -> list[Evidence]:
    """Detox encounters, procedures and episodes of care that are still open."""
    out = []
    for r in resources:
        kind = str(r.get("resourceType"))
        if _status(r) not in OPEN_STATUS.get(kind, ()):
            continue
        codings = _codings(r.get("code")) + [c for t in _concepts(r.get("type")) for c in _codings(t)]
        if term.any_in("opioid-detoxification", codings):
            start = period_start(r.get("period")) or period_start(r.get("performedPeriod"))
            out.append(Evidence(kind, str(r.get("id") or ""), start, "detox in progress"))
    return out


def _ends_in_future(dosages: list[dict[str, Any]], now: date) -> bool:
    ends = [period_end(obj(obj(d.get("timing")).get("repeat")).get("boundsPeriod")) for d in dosages]
    return any(e is not None and e >= now for e in ends)


def is_taper(resource: Mapping[str, Any], now: date) -> bool:
    """An opioid order written as a taper: the sig says so, or sequenced time-bounded steps."""
    dosages = [d for d in _concepts(resource.get("dosageInstruction") or []) if isinstance(d, dict)]
    texts = " ".join(str(d.get("text") or "") for d in dosages).lower()
    if _TAPER.search(texts):
        return True
    steps = {d.get("sequence") for d in dosages if d.get("sequence") is not None}
    return len(steps) >= 2 and _ends_in_future(dosages, now)


def withdrawal_medicine(
    resource: Mapping[str, Any], codings: list[dict[str, Any]], text: str, term: Terminology
) -> Evidence | None:
    """Active lofexidine, or active clonidine prescribed for opioid dependence/withdrawal."""
    if _status(resource) not in ACTIVE_MEDICATION:
        return None
    lofexidine = term.any_in("opioid-withdrawal-management", codings) or term.mentions(
        "opioid-withdrawal-management", text
    )
    clonidine = term.any_in("clonidine", codings) or term.mentions("clonidine", text)
    if clonidine and not lofexidine:
        reasons = [c for r in _concepts(resource.get("reasonCode") or []) for c in _codings(r)]
        if not term.any_in("opioid-use-disorder", reasons):
            return None
    if not (lofexidine or clonidine):
        return None
    when = parse_date(resource.get("authoredOn")) or period_start(resource.get("effectivePeriod"))
    return Evidence(
        str(resource.get("resourceType")),
        str(resource.get("id") or ""),
        when,
        text or "withdrawal management",
    )
