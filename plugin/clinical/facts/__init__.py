"""(request, record, now, policy, terminology) -> Facts: every fact with its evidence.

Facts are made from the record's views (``plugin.fhir``), never from raw FHIR JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from plugin.clinical.facts.antagonists import (
    classify_drafts,
    draft_drug,
    naltrexone_use,
    rescue_evidence,
)
from plugin.clinical.facts.detox import (
    WITHDRAWAL_MEDICINES,
    is_taper,
    open_detox,
    unverified_detox,
    unverified_withdrawal,
    withdrawal_medicine,
)
from plugin.clinical.facts.findings import (
    CodedIndex,
    codings_of,
    completed_detox,
    conditions_ever,
    conditions_in,
    failed_challenges,
    opioid_screens,
)
from plugin.clinical.facts.labs_and_plans import LAB_SETS, PLANNED_STATUS, liver_tests, planned_surgery
from plugin.clinical.facts.medications import (
    ORDER_TYPES,
    TEXT_SETS,
    Medicine,
    classify_coded,
    classify_drug,
    is_ignored,
    opioid_exposure,
)
from plugin.clinical.facts.model import Evidence, Facts, NaltrexoneOrder, NaltrexoneUse, OpioidExposure
from plugin.clinical.facts.supply import FilledOrders
from plugin.clinical.facts.unreadable import (
    DEPENDENCE,
    OUD,
    SCREENING,
    WITHDRAWAL,
    damaged,
    suspect_activities,
    suspect_conditions,
    suspect_observations,
    undated_challenges,
    unreadable_reasons,
)
from plugin.clinical.hook_request import HookRequest
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology
from plugin.fhir.concepts import RXNORM
from plugin.fhir.dates import order_start
from plugin.fhir.medications import SUGGESTION_TAG, MedicationDef, MedicationUse
from plugin.fhir.record import ReadRecord, Unreadable
from plugin.fhir.values import obj, objects
from plugin.record.gather import PatientRecord

__all__ = ["Evidence", "Facts", "NaltrexoneOrder", "OpioidExposure", "build_facts", "naltrexone_orders"]

SUGGESTION_TAG_SYSTEM, SUGGESTION_TAG_CODE = SUGGESTION_TAG
RESCUE = "opioid-overdose-rescue"
ALCOHOL_ACUTE, LIVER = "alcohol-intoxication-or-withdrawal", "acute-liver-injury"
OPIOID_FREE = "opioid-free-screen-analytes"  # R7: what recent negative urine tests must detect


def is_tagged(resource: dict[str, Any]) -> bool:
    """The resource carries our suggestion tag (an order we suggested, not the clinician's)."""
    return any(
        (t.get("system"), t.get("code")) == SUGGESTION_TAG
        for t in objects(obj(resource.get("meta")).get("tag"))
    )


def naltrexone_orders(
    request: HookRequest, term: Terminology, medications: Mapping[str, MedicationDef] | None = None
) -> tuple[tuple[NaltrexoneOrder, ...], tuple[OpioidExposure, ...]]:
    """Naltrexone drafts of this session, and the opioid drafts co-ordered with them."""
    orders: list[NaltrexoneOrder] = []
    opioids: list[OpioidExposure] = []
    for order in request.orders:
        drug = draft_drug(order, medications or {})
        medicine = classify_drug(drug, term, order.view.route_list)
        if medicine is None:
            continue
        family, kind = medicine
        if family == "naltrexone":
            prior = order.view.prior_prescription
            orders.append(
                NaltrexoneOrder(
                    order.resource,
                    order.reference,
                    kind,  # type: ignore[arg-type]
                    order.selected,
                    order.view.tagged,
                    prior.raw if prior is not None else None,
                    order.view,
                )
            )
        else:
            evidence = Evidence(order.view.kind, order.view.id, None, drug.name or "opioid draft order")
            opioids.append(OpioidExposure(evidence, kind, None, True, in_this_session=True))  # type: ignore[arg-type]
    return tuple(orders), tuple(opioids)


@dataclass
class _History:
    """What the medication entries of the record say, in one pass."""

    exposures: list[OpioidExposure] = field(default_factory=list)
    naltrexone: list[NaltrexoneUse] = field(default_factory=list)
    rescue: list[Evidence] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    unidentified: list[str] = field(default_factory=list)
    detox: list[Evidence] = field(default_factory=list)  # withdrawal management in progress


def _unidentified(use: MedicationUse) -> bool:
    """No RxNorm code and no text to go by (an NDC or local code alone, an unresolved Medication)."""
    drug = use.drug
    return not drug.words and not any(c.system == RXNORM for c in drug.codings)


# The sets a drug's words are scanned for: what makes it a naltrexone or an opioid, a rescue, a
# withdrawal medicine (the only sets ``_classify`` asks its words about).
_DRUG_WORDS = TEXT_SETS | {RESCUE} | WITHDRAWAL_MEDICINES
# (value sets of a drug's codes, its medicine, the sets its codes or words name, and - when it is no
# naltrexone nor opioid - which other question the record's entries of it raise: "rescue",
# "withdrawal", "unidentified", or None: none, the usual case).
_Classified = tuple[frozenset[str], Medicine | None, frozenset[str], str | None]


def _classify(use: MedicationUse, term: Terminology, seen: dict[int, _Classified]) -> _Classified:
    """What the drug of an entry is, worked out once per distinct drug of the record (a record repeats
    its drugs; within one hook call the entries of one coded drug share one ``Drug``, so ``seen`` knows
    them by identity: the entries hold their drugs, so no id is reused while it lives).  A naltrexone's
    form depends on the entry's route, so that answer is not shared."""
    drug = use.drug
    if (known := seen.get(id(drug))) is not None:
        return known
    coded = term.sets_of(drug.codings)  # one lookup per drug; every question below reads these
    words = drug.words
    mentioned = term.mentioned_among(_DRUG_WORDS, words) if words else frozenset()
    medicine = classify_coded(coded, words, term, use.route_list, mentioned)
    named = coded | mentioned if medicine is None and words else coded
    other = None
    if medicine is None:
        if RESCUE in coded or (not drug.codings and RESCUE in named):
            other = "rescue"
        elif named & WITHDRAWAL_MEDICINES:
            other = "withdrawal"
        elif _unidentified(use):
            other = "unidentified"
    found = (coded, medicine, named, other)
    if medicine is None or medicine[0] == "opioid":
        seen[id(drug)] = found
    return found


def _record_medicines(
    read: ReadRecord, policy: Policy, term: Terminology, draft_refs: set[str], now: date, oud: bool = False
) -> _History:
    found = _History()
    filled = FilledOrders(read.medication_uses)
    draft_kinds = {ref.partition("/")[0] for ref in draft_refs}
    seen: dict[int, _Classified] = {}
    for use in read.medication_uses:
        drug = use.drug
        if not drug.readable:
            continue  # unreadable ones are named by the reader
        _, medicine, _, other = _classify(use, term, seen)
        if (medicine is None and other is None) or (use.kind in draft_kinds and use.reference in draft_refs):
            continue  # nothing to say of it, or the draft under decision echoed by the EHR's search
        if medicine is None:
            if other == "rescue":
                if (rescue := rescue_evidence(use)) is not None:
                    found.rescue.append(rescue)
            elif other == "withdrawal":
                if (managed := withdrawal_medicine(use, drug, term)) is not None:
                    found.detox.append(managed)
                elif (part := unverified_withdrawal(use, drug, term, oud)) is not None:
                    found.unreadable.append(Unreadable(use.reference, use.key, part))
            elif not is_ignored(use):
                found.unidentified.append(use.reference)
            continue
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
    return found


def _unique(views: Iterable[Any]) -> list[Any]:
    """Views in first-seen order, each once (an observation can be in several value sets)."""
    seen: dict[int, Any] = {}
    for view in views:
        if isinstance(view, list):
            for v in view:
                seen.setdefault(id(v), v)
        else:
            seen.setdefault(id(view), view)
    return list(seen.values())


def _alcohol_indication(orders: tuple[NaltrexoneOrder, ...], term: Terminology) -> bool:
    reasons = [c for o in orders if o.view is not None for r in o.view.reasons for c in r.codings]
    return term.any_in("alcohol-use-disorder", reasons)


def _planned_start(orders: tuple[NaltrexoneOrder, ...]) -> date | None:
    """Earliest start date written on a selected naltrexone draft (bounds or validity period)."""
    known = [d for o in orders if o.selected and (d := order_start(o.resource))]
    return min(known) if known else None


def build_facts(
    request: HookRequest, record: PatientRecord, now: date, policy: Policy, term: Terminology
) -> Facts:
    read = record.read
    orders, drafted_opioids = naltrexone_orders(request, term, read.medications)
    opioid_drafts, rescue_drafts = classify_drafts(request.orders, read.medications, term)
    draft_refs = {o.reference for o in request.orders if o.reference}
    conditions = CodedIndex(read.conditions, term)
    oud = bool(conditions.coded(OUD) or conditions.coded(DEPENDENCE) or conditions.coded(WITHDRAWAL))
    history = _record_medicines(read, policy, term, draft_refs, now, oud)
    activities = [a for kind in ("Encounter", "Procedure", "EpisodeOfCare") for a in read.of(kind)]
    observations = CodedIndex(read.observations, term)
    screened = _unique([*observations.coded(SCREENING), *observations.with_components])
    positive, negative, unread_screens, kept = opioid_screens(screened, term, policy, now)
    unreadable = [*read.unreadable, *history.unreadable]
    unreadable += [Unreadable(o.reference, o.key, part) for o, part in unread_screens]
    unreadable += suspect_conditions(conditions, read.conditions, term)
    unreadable += suspect_observations(read.observations, observations, term)
    unreadable += undated_challenges(observations)
    unreadable += suspect_activities(activities)
    unreadable += [Unreadable(a.reference, a.key, part) for a, part in unverified_detox(activities, term)]
    return Facts(
        now=now,
        patient_id=request.patient_id,
        orders=orders,
        opioid_exposures=tuple(history.exposures) + drafted_opioids,
        positive_opioid_screens=tuple(positive),
        negative_opioid_screens=tuple(t.evidence for t in negative),
        negative_screen_tests=tuple(negative),
        opioid_free_analytes=term.code_set(OPIOID_FREE),
        screens_kept=tuple(kept),
        failed_naloxone_challenges=tuple(
            failed_challenges(
                read.observations,
                conditions.coded("naloxone-challenge-failed"),
                term,
                observations.coded("naloxone-challenge-failed"),
            )
        ),
        dependence_conditions=tuple(conditions_in(conditions.coded(DEPENDENCE), DEPENDENCE, term)),
        opioid_withdrawal=tuple(conditions_in(conditions.coded(WITHDRAWAL), WITHDRAWAL, term)),
        detox_in_progress=tuple(open_detox(activities, term) + history.detox),
        completed_detox=tuple(completed_detox(read.of("Procedure"), read.of("Encounter"), term)),
        alcohol_indication=_alcohol_indication(orders, term),
        checked=read.counts,
        unverified=tuple((f.key, f.reason) for f in record.failures) + unreadable_reasons(unreadable),
        planned_start=_planned_start(orders),
        opioid_drafts=opioid_drafts,
        rescue_drafts=rescue_drafts,
        naltrexone_on_record=tuple(history.naltrexone),
        rescue_on_record=tuple(history.rescue),
        opioid_use_disorder=tuple(conditions_ever(conditions.coded(OUD), OUD, term)),
        alcohol_acute=tuple(conditions_in(conditions.coded(ALCOHOL_ACUTE), ALCOHOL_ACUTE, term)),
        liver_disease=tuple(conditions_in(conditions.coded(LIVER), LIVER, term)),
        liver_tests=tuple(liver_tests(_unique(observations.coded(s) for s in LAB_SETS), policy, term)),
        planned_surgery=tuple(planned_surgery({k: read.of(k) for k in PLANNED_STATUS}, now, term)),
        not_checked=record.not_checked,
        unidentified_medications=tuple(history.unidentified),
    )


__all__ += ["codings_of", "is_tagged", "unreadable_reasons"]
