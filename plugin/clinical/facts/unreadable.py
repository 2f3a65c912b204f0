"""What could not be read, named: damaged entries that matter, and the reasons the answer shows.

An entry is used with what is readable; when what is unreadable could hide a hazard (an opioid's date, a
screen's result, a dependence diagnosis's status, an open detox visit's code), it is named here so the
answer says "could not verify" instead of looking clean.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plugin.clinical.facts.findings import NOT_RESULTS, CodedIndex
from plugin.clinical.terminology import Terminology
from plugin.fhir.medications import MedicationUse
from plugin.fhir.record import Unreadable

DEPENDENCE, OUD = "opioid-dependence-current", "opioid-use-disorder"
WITHDRAWAL, SCREENING = "opioid-withdrawal-condition", "opioid-urine-drug-screening"
CHALLENGE = "naloxone-challenge-failed"
_CONDITION_WORDS = frozenset({DEPENDENCE, WITHDRAWAL, CHALLENGE, OUD})  # and a text-only condition's

_NAMED = 5  # unreadable entries named on the card, then "and N more"
_KIND_WORDS = {
    "MedicationRequest": "medication entries",
    "MedicationOrder": "medication entries",
    "MedicationDispense": "medication entries",
    "MedicationStatement": "medication entries",
    "MedicationAdministration": "medication entries",
    "Observation": "observations",
    "Condition": "conditions",
}


_TAKEN_AT = frozenset({"MedicationStatement", "MedicationAdministration"})


def damaged(use: MedicationUse) -> list[Unreadable]:
    """What is unreadable about an opioid or naltrexone entry beyond its drug: status, dates, an open end."""
    out = []
    if use.status_damaged or not use.status:  # FHIR requires it: without one, active or not is unknown
        out.append(Unreadable(use.reference, use.key, "status"))
    if use.when_damaged:
        out.append(Unreadable(use.reference, use.key, "date"))
    elif use.kind in _TAKEN_AT and use.effective.start and not use.effective.end and not use.effective_at:
        if use.status not in ("active", "intended", "in-progress"):
            out.append(Unreadable(use.reference, use.key, "end date"))
    return out


def suspect_conditions(conditions: CodedIndex, every: Iterable[Any], term: Terminology) -> list[Unreadable]:
    """Hazard conditions whose status or date cannot be read, and text-only ones that name a hazard."""
    out = []
    seen: set[int] = set()
    for name in (DEPENDENCE, WITHDRAWAL, CHALLENGE, OUD):
        for c in conditions.coded(name):
            if id(c) in seen:
                continue
            seen.add(id(c))
            if c.status_damaged:
                out.append(Unreadable(c.reference, c.key, "status"))
            if c.dates_damaged(
                "recordedDate", "onsetDateTime", "onsetPeriod", "abatementDateTime", "abatementPeriod"
            ):
                out.append(Unreadable(c.reference, c.key, "date"))
            elif name == CHALLENGE and c.recorded is None and c.onset is None:
                out.append(Unreadable(c.reference, c.key, "date"))
    for c in every:
        if c.code is not None and not c.code.codings and c.code.text:
            if named_sets(c.code.words, term, _CONDITION_WORDS) & _CONDITION_WORDS:
                out.append(Unreadable(c.reference, c.key, "code"))
    return out


def named_sets(words: str, term: Terminology, among: frozenset[str]) -> frozenset[str]:
    """The value sets a text names: by keyword (of the sets ``among``: all that is asked), or by being
    one of their displays word for word."""
    return term.mentioned_among(among, words) | term.displayed_sets(words) if words else frozenset()


def undated_challenges(index: CodedIndex) -> list[Unreadable]:
    """Failed naloxone challenges recorded as Observations whose date cannot be read: R5 cannot place
    them in its look-back."""
    return [
        Unreadable(o.reference, o.key, "date")
        for o in index.coded(CHALLENGE)
        if o.when is None and o.status not in NOT_RESULTS
    ]


def unreadable_reasons(unreadable: Iterable[Unreadable]) -> tuple[tuple[str, str], ...]:
    """(prefetch key, reason) per key: "2 medication entries could not be read: MedicationRequest/x, …"."""
    by_key: dict[str, list[Unreadable]] = {}
    for entry in unreadable:
        by_key.setdefault(entry.key, []).append(entry)
    out = []
    for key, entries in by_key.items():
        kinds = {e.reference.partition("/")[0] for e in entries}
        words = _KIND_WORDS.get(kinds.pop(), "entries") if len(kinds) == 1 else "entries"
        names = [f"{e.reference} ({e.part})" for e in entries[:_NAMED]]
        more = f" and {len(entries) - _NAMED} more" if len(entries) > _NAMED else ""
        out.append((key, f"{len(entries)} {words} could not be read: {', '.join(names)}{more}"))
    return tuple(out)
