"""(request, record, now, policy, terminology) -> Facts: every fact with its evidence."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from plugin.clinical.facts.antagonists import (
    classify_drafts,
    draft_parts,
    is_rescue,
    naltrexone_use,
    record_medicine,
    rescue_evidence,
)
from plugin.clinical.facts.detox import is_taper, open_detox, withdrawal_medicine
from plugin.clinical.facts.findings import (
    codings_of,
    completed_detox,
    conditions_ever,
    conditions_in,
    failed_challenges,
    opioid_screens,
)
from plugin.clinical.facts.labs_and_plans import PLANNED_STATUS, liver_tests, planned_surgery
from plugin.clinical.facts.medications import classify_medicine, opioid_exposure, routes_of
from plugin.clinical.facts.model import Evidence, Facts, NaltrexoneOrder, NaltrexoneUse, OpioidExposure
from plugin.clinical.hook_request import DraftOrder, HookRequest
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology
from plugin.fhir.dates import order_start
from plugin.record.gather import PatientRecord

__all__ = ["Evidence", "Facts", "NaltrexoneOrder", "OpioidExposure", "build_facts", "naltrexone_orders"]

MEDICATION_TYPES = (
    "MedicationRequest",
    "MedicationDispense",
    "MedicationStatement",
    "MedicationAdministration",
)
SUGGESTION_TAG_SYSTEM = "https://fhir.naltrexone-cds.org/CodeSystem/tags"
SUGGESTION_TAG_CODE = "suggested-by-naltrexone-cds"


def is_tagged(resource: dict[str, Any]) -> bool:
    tags = ((resource.get("meta") or {}).get("tag") or []) if isinstance(resource.get("meta"), dict) else []
    return any(
        isinstance(t, dict)
        and t.get("system") == SUGGESTION_TAG_SYSTEM
        and t.get("code") == SUGGESTION_TAG_CODE
        for t in tags
    )


def _draft_medicine(order: DraftOrder, medications: dict[str, dict[str, Any]], term: Terminology) -> Any:
    codings, text = draft_parts(order, medications)
    return classify_medicine(codings, text, term, routes_of(order.resource)), text


def naltrexone_orders(
    request: HookRequest, term: Terminology, medications: dict[str, dict[str, Any]] | None = None
) -> tuple[tuple[NaltrexoneOrder, ...], tuple[OpioidExposure, ...]]:
    """Naltrexone drafts of this session, and the opioid drafts co-ordered with them."""
    orders: list[NaltrexoneOrder] = []
    opioids: list[OpioidExposure] = []
    for order in request.orders:
        medicine, text = _draft_medicine(order, medications or {}, term)
        if medicine is None:
            continue
        family, kind = medicine
        if family == "naltrexone":
            orders.append(
                NaltrexoneOrder(
                    order.resource,
                    order.reference,
                    kind,
                    order.selected,
                    is_tagged(order.resource),
                    "code" if order.codings else "text",
                )
            )
        else:
            when = None
            evidence = Evidence(
                order.resource.get("resourceType", "MedicationRequest"),
                str(order.resource.get("id") or ""),
                when,
                text or "opioid draft order",
            )
            opioids.append(OpioidExposure(evidence, kind, None, True, in_this_session=True))
    return tuple(orders), tuple(opioids)


def _medication_index(record: PatientRecord) -> dict[str, dict[str, Any]]:
    return {f"Medication/{m['id']}": m for m in record.of_type("Medication") if m.get("id")}


def _record_medicines(
    record: PatientRecord,
    medications: dict[str, dict[str, Any]],
    policy: Policy,
    term: Terminology,
    draft_refs: set[str],
    now: date,
) -> tuple[list[OpioidExposure], list[NaltrexoneUse], list[Evidence], list[Evidence]]:
    """One pass over the medication resources: (opioid exposures, naltrexone uses, rescue agents,
    withdrawal management in progress)."""
    exposures, naltrexone, rescue, detox = [], [], [], []
    for kind in MEDICATION_TYPES:
        for resource in record.of_type(kind):
            if f"{kind}/{resource.get('id')}" in draft_refs:
                continue  # the draft under decision, echoed back by the EHR's search
            medicine, codings, text = record_medicine(resource, medications, term)
            if medicine is None:
                if is_rescue(codings, text, term) and (found := rescue_evidence(resource, text)):
                    rescue.append(found)
                elif (managed := withdrawal_medicine(resource, codings, text, term)) is not None:
                    detox.append(managed)
            elif medicine[0] == "opioid":
                exposure = opioid_exposure(resource, medicine[1], text, policy)  # type: ignore[arg-type]
                if exposure is not None:
                    exposures.append(exposure)
                    if exposure.ongoing and kind == "MedicationRequest" and is_taper(resource, now):
                        detox.append(exposure.evidence)
            elif (use := naltrexone_use(resource, medicine[1], text, policy)) is not None:  # type: ignore[arg-type]
                naltrexone.append(use)
    return exposures, naltrexone, rescue, detox


def _alcohol_indication(orders: tuple[NaltrexoneOrder, ...], term: Terminology) -> bool:
    reasons = [c for o in orders for r in o.resource.get("reasonCode") or [] for c in codings_of(r)]
    return term.any_in("alcohol-use-disorder", reasons)


def _planned_start(orders: tuple[NaltrexoneOrder, ...]) -> date | None:
    """Earliest start date written on a selected naltrexone draft (bounds or validity period)."""
    known = [d for o in orders if o.selected and (d := order_start(o.resource))]
    return min(known) if known else None


def build_facts(
    request: HookRequest, record: PatientRecord, now: date, policy: Policy, term: Terminology
) -> Facts:
    medications = _medication_index(record)
    orders, drafted_opioids = naltrexone_orders(request, term, medications)
    opioid_drafts, rescue_drafts = classify_drafts(request.orders, medications, term)
    draft_refs = {o.reference for o in request.orders if o.reference}
    exposures, naltrexone_uses, rescue, detox_meds = _record_medicines(
        record, medications, policy, term, draft_refs, now
    )
    activities = [r for kind in ("Encounter", "Procedure", "EpisodeOfCare") for r in record.of_type(kind)]
    observations = record.of_type("Observation")
    conditions = record.of_type("Condition")
    positive, negative = opioid_screens(observations, term, policy, now)
    scheduled = {kind: record.of_type(kind) for kind in PLANNED_STATUS}
    counted = Counter(r.get("resourceType") for rs in record.by_key.values() for r in rs)
    return Facts(
        now=now,
        patient_id=request.patient_id,
        orders=orders,
        opioid_exposures=tuple(exposures) + drafted_opioids,
        positive_opioid_screens=tuple(positive),
        negative_opioid_screens=tuple(negative),
        failed_naloxone_challenges=tuple(failed_challenges(observations, conditions, term)),
        dependence_conditions=tuple(conditions_in(conditions, "opioid-dependence-current", term)),
        opioid_withdrawal=tuple(conditions_in(conditions, "opioid-withdrawal-condition", term)),
        detox_in_progress=tuple(open_detox(activities, term) + detox_meds),
        completed_detox=tuple(
            completed_detox(record.of_type("Procedure"), record.of_type("Encounter"), term)
        ),
        alcohol_indication=_alcohol_indication(orders, term),
        checked={str(k): v for k, v in sorted(counted.items())},
        unverified=tuple((f.key, f.reason) for f in record.failures),
        planned_start=_planned_start(orders),
        opioid_drafts=opioid_drafts,
        rescue_drafts=rescue_drafts,
        naltrexone_on_record=tuple(naltrexone_uses),
        rescue_on_record=tuple(rescue),
        opioid_use_disorder=tuple(conditions_ever(conditions, "opioid-use-disorder", term)),
        alcohol_acute=tuple(conditions_in(conditions, "alcohol-intoxication-or-withdrawal", term)),
        liver_disease=tuple(conditions_in(conditions, "acute-liver-injury", term)),
        liver_tests=tuple(liver_tests(observations, policy, term)),
        planned_surgery=tuple(planned_surgery(scheduled, now, term)),
        not_checked=record.not_checked,
    )
