"""R6 facts: a detox still in progress.

An open detox Encounter/Procedure/EpisodeOfCare, an active withdrawal-management medicine (lofexidine;
clonidine whose reason is opioid dependence or withdrawal), or an active opioid order that tapers
(several sequenced, time-bounded steps, or a sig that says taper/wean).
"""

from __future__ import annotations

import re
from datetime import date

from plugin.clinical.facts.model import Evidence
from plugin.clinical.terminology import Terminology
from plugin.fhir.medications import Drug, MedicationUse

# Statuses that mean "still going on" (FHIR R4 Encounter, Procedure, EpisodeOfCare, medication resources).
OPEN_STATUS = {
    "Encounter": {"arrived", "triaged", "in-progress", "onleave"},
    "Procedure": {"preparation", "in-progress", "on-hold"},
    "EpisodeOfCare": {"active", "onhold"},
}
ACTIVE_MEDICATION = {"active", "on-hold", "intended", "in-progress", "preparation"}
# Value sets of the medicines that may be withdrawal management (clonidine only for that reason).
WITHDRAWAL_MEDICINES = frozenset({"opioid-withdrawal-management", "clonidine"})
_TAPER = re.compile(r"\b(taper\w*|wean\w*|then stop|then discontinue)\b")


def is_taper(use: MedicationUse, now: date) -> bool:
    """An opioid order written as a taper: the sig says so, or sequenced time-bounded steps."""
    dosages = use.dosages
    if _TAPER.search(" ".join(d.text for d in dosages).lower()):
        return True
    steps = {d.sequence for d in dosages if d.sequence is not None}
    return len(steps) >= 2 and any(d.bounds.end is not None and d.bounds.end >= now for d in dosages)


_FOR_WITHDRAWAL = ("opioid-use-disorder", "opioid-withdrawal-condition")


def _for_withdrawal(use: MedicationUse, term: Terminology) -> bool:
    """Its reason is opioid use disorder or withdrawal: by code, or (the coding lost) by its words."""
    reasons = use.reasons
    if term.any_in("opioid-use-disorder", [c for r in reasons for c in r.codings]):
        return True
    return any(term.mentions(name, r.words) for r in reasons if r.words for name in _FOR_WITHDRAWAL)


def _medicine(use: MedicationUse, drug: Drug, term: Terminology, oud: bool = False) -> str | None:
    """Which withdrawal medicine this is: lofexidine; clonidine only when it is for opioid use disorder;
    "clonidine?" when its reason cannot be read, or there is none while opioid use disorder is on record
    (``oud``); else None."""
    codings, text = drug.codings, drug.words
    if term.any_in("opioid-withdrawal-management", codings) or term.mentions(
        "opioid-withdrawal-management", text
    ):
        return "lofexidine"
    if not (term.any_in("clonidine", codings) or term.mentions("clonidine", text)):
        return None
    if _for_withdrawal(use, term):
        return "clonidine"
    return "clonidine?" if use.reasons_damaged or (oud and not use.reasons) else None


def withdrawal_medicine(use: MedicationUse, drug: Drug, term: Terminology) -> Evidence | None:
    """Active lofexidine, or active clonidine prescribed for opioid dependence/withdrawal."""
    if use.status not in ACTIVE_MEDICATION or _medicine(use, drug, term) not in ("lofexidine", "clonidine"):
        return None
    when = use.authored or use.effective.start
    return Evidence(use.kind, use.id, when, drug.name or "withdrawal management")


def unverified_withdrawal(use: MedicationUse, drug: Drug, term: Terminology, oud: bool = False) -> str | None:
    """The part that cannot be read of an entry that may be withdrawal management in progress: its
    status (not sent, or not a string) on lofexidine or clonidine for opioid use disorder, or the reason
    of a clonidine that is (or may be) active - or that has no reason at all while opioid use disorder is
    on record (``oud``).  None when it is read either way."""
    medicine = _medicine(use, drug, term, oud)
    if medicine is None or (use.status and use.status not in ACTIVE_MEDICATION):
        return None  # not withdrawal management, or stopped / completed / entered in error
    if medicine == "clonidine?":
        return "reason" if use.reasons_damaged else "no reason given: clonidine may be for opioid withdrawal"
    return None if use.status else "status"
