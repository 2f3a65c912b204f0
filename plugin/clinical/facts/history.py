"""What the medication entries of the record say, in one pass: opioid exposures, naltrexone and rescue
agents on record, withdrawal management, and the entries that cannot be read or identified.

A record repeats its drugs (within one hook call the entries of one coded drug share one ``Drug``), so
what a drug is, is worked out once per distinct drug; the entries of a drug with nothing to say (most of
a record) cost a dict lookup each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from plugin.clinical.facts.antagonists import naltrexone_use, rescue_evidence
from plugin.clinical.facts.detox import (
    WITHDRAWAL_MEDICINES,
    is_taper,
    unverified_withdrawal,
    withdrawal_medicine,
)
from plugin.clinical.facts.medications import (
    ORDER_TYPES,
    TEXT_SETS,
    Medicine,
    classify_coded,
    is_ignored,
    opioid_exposure,
)
from plugin.clinical.facts.model import Evidence, NaltrexoneUse, OpioidExposure
from plugin.clinical.facts.supply import FilledOrders
from plugin.clinical.facts.unreadable import damaged
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology
from plugin.fhir.concepts import RXNORM
from plugin.fhir.medications import MedicationUse
from plugin.fhir.record import ReadRecord, Unreadable

RESCUE = "opioid-overdose-rescue"


@dataclass
class History:
    """What the medication entries of the record say, in one pass."""

    exposures: list[OpioidExposure] = field(default_factory=list)
    naltrexone: list[NaltrexoneUse] = field(default_factory=list)
    rescue: list[Evidence] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    unidentified: list[str] = field(default_factory=list)
    detox: list[Evidence] = field(default_factory=list)  # withdrawal management in progress


# The sets a drug's words are scanned for: what makes it a naltrexone or an opioid, a rescue, a
# withdrawal medicine (the only sets ``_classify`` asks its words about).
_DRUG_WORDS = TEXT_SETS | {RESCUE} | WITHDRAWAL_MEDICINES
# (its medicine, and - when it is no naltrexone nor opioid - which other question the record's entries
# of it raise: "rescue", "withdrawal", "unidentified", or None: none, the usual case).
_Classified = tuple[Medicine | None, str | None]
_QUIET: _Classified = (None, None)  # nothing to say of the drug's entries: one object, compared by identity


def _classify(use: MedicationUse, term: Terminology, seen: dict[int, _Classified]) -> _Classified:
    """What the drug of an entry is, kept in ``seen`` by the drug's identity (the entries hold their
    drugs, so no id is reused while it lives).  A naltrexone's form depends on the entry's route, so
    that answer is not kept."""
    drug = use.drug
    codings, words = drug.codings, drug.words
    coded = term.sets_of(codings)  # one lookup per drug; every question below reads these
    mentioned = term.mentioned_among(_DRUG_WORDS, words) if words else frozenset()
    medicine = classify_coded(coded, words, term, use.route_list, mentioned)
    named = coded | mentioned if medicine is None and words else coded
    other = None
    if medicine is None:
        if RESCUE in coded or (not codings and RESCUE in named):
            other = "rescue"
        elif named & WITHDRAWAL_MEDICINES:
            other = "withdrawal"
        elif not words and not any(c.system == RXNORM for c in codings):
            other = "unidentified"  # no RxNorm code and no text to go by (an NDC or local code alone)
    found = _QUIET if medicine is None and other is None else (medicine, other)
    if medicine is None or medicine[0] == "opioid":
        seen[id(drug)] = found
    return found


def record_medicines(
    read: ReadRecord, policy: Policy, term: Terminology, draft_refs: set[str], now: date, oud: bool = False
) -> History:
    found = History()
    filled = FilledOrders(read.medication_uses)
    draft_kinds = {ref.partition("/")[0] for ref in draft_refs}
    seen: dict[int, _Classified] = {}
    for use in read.medication_uses:
        drug = use.drug
        known = seen.get(id(drug))
        if known is None:
            if not drug.readable:
                continue  # unreadable ones are named by the reader
            known = _classify(use, term, seen)
        if known is _QUIET or (use.kind in draft_kinds and use.reference in draft_refs):
            continue  # nothing to say of it, or the draft under decision echoed by the EHR's search
        _entry(found, use, known, policy, term, filled, now, oud)
    return found


def _entry(
    found: History,
    use: MedicationUse,
    known: _Classified,
    policy: Policy,
    term: Terminology,
    filled: FilledOrders,
    now: date,
    oud: bool,
) -> None:
    """What one entry of a drug with something to say adds to ``found``."""
    medicine, other = known
    if medicine is None:
        if other == "rescue":
            if (rescue := rescue_evidence(use)) is not None:
                found.rescue.append(rescue)
        elif other == "withdrawal":
            if (managed := withdrawal_medicine(use, use.drug, term)) is not None:
                found.detox.append(managed)
            elif (part := unverified_withdrawal(use, use.drug, term, oud)) is not None:
                found.unreadable.append(Unreadable(use.reference, use.key, part))
        elif not is_ignored(use):
            found.unidentified.append(use.reference)
        return
    found.unreadable += damaged(use)
    if medicine[0] == "opioid":
        exposure = opioid_exposure(use, medicine[1], policy, filled)  # type: ignore[arg-type]
        if exposure is not None:
            found.exposures.append(exposure)
            if exposure.ongoing and use.kind in ORDER_TYPES and is_taper(use, now):
                found.detox.append(exposure.evidence)
        elif not is_ignored(use):
            found.unreadable.append(Unreadable(use.reference, use.key, "date"))
    elif (naltrexone := naltrexone_use(use, medicine[1], policy)) is not None:  # type: ignore[arg-type]
        found.naltrexone.append(naltrexone)
