"""Naltrexone and rescue agents on the record, and what each draft of the session is.

Naltrexone on the record drives the reverse check (R12) and the duplicate check (R14); rescue
agents drive R11; draft classification gives the opioid-containing co-orders (R1, R12).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from plugin.clinical.facts.medications import (
    ORDER_TYPES,
    classify_drug,
    is_ignored,
    is_ongoing,
    last_dose,
    started,
)
from plugin.clinical.facts.model import Evidence, NaltrexoneForm, NaltrexoneUse, OpioidDraft
from plugin.clinical.hook_request import DraftOrder
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology
from plugin.fhir.medications import Drug, MedicationDef, MedicationUse


def draft_drug(order: DraftOrder, medications: Mapping[str, MedicationDef]) -> Drug:
    """A draft's drug, with its server-side Medication filled in when the record has it."""
    return order.drug.resolve(medications)


def is_rescue(drug: Drug, term: Terminology) -> bool:
    """Naloxone/nalmefene rescue product (callers rule out buprenorphine/naloxone first)."""
    codings = drug.codings
    return term.any_in("opioid-overdose-rescue", codings) or (
        not codings and term.mentions("opioid-overdose-rescue", drug.words)
    )


def classify_drafts(
    orders: tuple[DraftOrder, ...], medications: Mapping[str, MedicationDef], term: Terminology
) -> tuple[tuple[OpioidDraft, ...], tuple[Evidence, ...]]:
    """(opioid-containing drafts, rescue-agent drafts) of the session."""
    opioids: list[OpioidDraft] = []
    rescue: list[Evidence] = []
    for order in orders:
        drug = draft_drug(order, medications)
        medicine = classify_drug(drug, term, order.view.route_list)
        if medicine is not None and medicine[0] == "naltrexone":
            continue
        evidence = Evidence("MedicationRequest", order.view.id, None, drug.name or "draft")
        systemic = medicine is not None
        codings, words = drug.codings, drug.words
        antidiarrheal = term.any_in("opioid-antidiarrheal", codings) or term.mentions(
            "opioid-antidiarrheal", words
        )
        if not systemic and not antidiarrheal:
            if is_rescue(drug, term):
                rescue.append(evidence)
            continue
        if term.any_in("opioid-antitussive", codings) or (
            systemic and term.mentions("opioid-antitussive", words)
        ):
            product = "antitussive"
        else:
            product = "antidiarrheal" if antidiarrheal else "analgesic"
        opioids.append(OpioidDraft(evidence, product, systemic, order.selected))  # type: ignore[arg-type]
    return tuple(opioids), tuple(rescue)


def naltrexone_use(use: MedicationUse, form: NaltrexoneForm, policy: Policy) -> NaltrexoneUse | None:
    """What one record entry says about naltrexone use; None when it documents none."""
    if is_ignored(use):
        return None
    ongoing = is_ongoing(use)
    xr = form == "xr-injectable"
    last: date | None
    supply_end = last_dose(use, policy)
    last = supply_end
    if use.kind in ORDER_TYPES or use.kind == "MedicationDispense":
        start = started(use)
        if xr and supply_end is not None:
            # The last injection covered by the supply: an injection blocks for its whole interval.
            last = max(start or supply_end, supply_end - timedelta(days=policy.xr_interval_days))
    if last is None and not ongoing:
        return None
    blockade = policy.xr_blockade_days if xr else policy.oral_blockade_days
    until = None if ongoing or last is None else last + timedelta(days=blockade)
    evidence = Evidence(use.kind, use.id, started(use) if ongoing else last, use.drug.name)
    return NaltrexoneUse(evidence, form, ongoing, last, until, use.kind in ORDER_TYPES)


def rescue_evidence(use: MedicationUse) -> Evidence | None:
    """A rescue product entry that counts as "on hand" (not cancelled, not refused)."""
    if is_ignored(use) or use.status == "stopped":
        return None
    when = started(use) or use.effective.end or use.effective_at or use.asserted
    return Evidence(use.kind, use.id, when, use.drug.name)
