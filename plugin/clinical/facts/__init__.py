"""(request, record, now, policy, terminology) -> Facts: every fact with its evidence.

Facts are made from the record's views (``plugin.fhir``), never from raw FHIR JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from plugin.clinical.facts.activities import walk_activities
from plugin.clinical.facts.antagonists import classify_drafts, draft_drug
from plugin.clinical.facts.findings import (
    CodedIndex,
    CodeSets,
    codings_of,
    conditions_ever,
    conditions_in,
    failed_challenges,
    opioid_screens,
)
from plugin.clinical.facts.history import record_medicines
from plugin.clinical.facts.labs_and_plans import LAB_SETS, PLANNED_STATUS, liver_tests, planned_surgery
from plugin.clinical.facts.medications import classify_drug
from plugin.clinical.facts.model import Evidence, Facts, NaltrexoneOrder, OpioidExposure
from plugin.clinical.facts.observations import walk_observations
from plugin.clinical.facts.unreadable import (
    DEPENDENCE,
    OUD,
    SCREENING,
    WITHDRAWAL,
    suspect_conditions,
    undated_challenges,
    unreadable_reasons,
)
from plugin.clinical.hook_request import HookRequest
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology
from plugin.fhir.dates import order_start
from plugin.fhir.medications import SUGGESTION_TAG, MedicationDef
from plugin.fhir.record import Unreadable
from plugin.fhir.values import obj, objects
from plugin.record.gather import PatientRecord

__all__ = ["Evidence", "Facts", "NaltrexoneOrder", "OpioidExposure", "build_facts", "naltrexone_orders"]

SUGGESTION_TAG_SYSTEM, SUGGESTION_TAG_CODE = SUGGESTION_TAG
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
    sets = CodeSets(term)  # this call's value sets of each distinct code
    conditions = CodedIndex(read.conditions, term, sets)
    oud = bool(conditions.coded(OUD) or conditions.coded(DEPENDENCE) or conditions.coded(WITHDRAWAL))
    history = record_medicines(read, policy, term, draft_refs, now, oud)
    activities = [a for kind in ("Encounter", "Procedure", "EpisodeOfCare") for a in read.of(kind)]
    walked = walk_observations(read.observations, sets)
    observations = walked.index
    screened = _unique([*observations.coded(SCREENING), *observations.with_components])
    positive, negative, unread_screens, kept = opioid_screens(screened, term, policy, now)
    unreadable = [*read.unreadable, *history.unreadable]
    unreadable += [Unreadable(o.reference, o.key, part) for o, part in unread_screens]
    unreadable += suspect_conditions(conditions, read.conditions, term)
    unreadable += walked.suspect
    unreadable += undated_challenges(observations)
    acted = walk_activities(activities, sets)
    unreadable += acted.suspect
    unreadable += [Unreadable(a.reference, a.key, part) for a, part in acted.unverified]
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
            failed_challenges(conditions.coded("naloxone-challenge-failed"), term, walked.challenges)
        ),
        dependence_conditions=tuple(conditions_in(conditions.coded(DEPENDENCE), DEPENDENCE, term)),
        opioid_withdrawal=tuple(conditions_in(conditions.coded(WITHDRAWAL), WITHDRAWAL, term)),
        detox_in_progress=tuple(acted.open + history.detox),
        completed_detox=tuple(acted.completed),
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
