"""Naltrexone and rescue agents on the record, and what each draft of the session is.

Naltrexone on the record drives the reverse check (R12) and the duplicate check (R14); rescue
agents drive R11; draft classification gives the opioid-containing co-orders (R1, R12).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from plugin.clinical.facts.medications import (
    IGNORED_STATUS,
    ONGOING_STATUS,
    Medicine,
    _last_dose,
    _started,
    classify_medicine,
    medication_parts,
    routes_of,
)
from plugin.clinical.facts.model import Evidence, NaltrexoneForm, NaltrexoneUse, OpioidDraft
from plugin.clinical.hook_request import DraftOrder
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology
from plugin.fhir.dates import effective_date, parse_date


def draft_parts(order: DraftOrder, medications: Mapping[str, dict[str, Any]]) -> tuple[list[dict], str]:
    """(codings, text) of a draft's drug, resolving a server-side Medication when the record has it."""
    codings, text = list(order.codings), order.text
    if order.unresolved_medication and not codings:
        codings, extra = medication_parts(
            {"medicationReference": {"reference": order.unresolved_medication}}, medications
        )
        text = " ".join(t for t in (text, extra) if t)
    return codings, text


def is_rescue(codings: list[dict[str, Any]], text: str, term: Terminology) -> bool:
    """Naloxone/nalmefene rescue product (callers rule out buprenorphine/naloxone first)."""
    return term.any_in("opioid-overdose-rescue", codings) or (
        not codings and term.mentions("opioid-overdose-rescue", text)
    )


def classify_drafts(
    orders: tuple[DraftOrder, ...], medications: Mapping[str, dict[str, Any]], term: Terminology
) -> tuple[tuple[OpioidDraft, ...], tuple[Evidence, ...]]:
    """(opioid-containing drafts, rescue-agent drafts) of the session."""
    opioids: list[OpioidDraft] = []
    rescue: list[Evidence] = []
    for order in orders:
        codings, text = draft_parts(order, medications)
        medicine = classify_medicine(codings, text, term, routes_of(order.resource))
        if medicine is not None and medicine[0] == "naltrexone":
            continue
        evidence = Evidence("MedicationRequest", str(order.resource.get("id") or ""), None, text or "draft")
        systemic = medicine is not None
        antidiarrheal = term.any_in("opioid-antidiarrheal", codings) or term.mentions(
            "opioid-antidiarrheal", text
        )
        if not systemic and not antidiarrheal:
            if is_rescue(codings, text, term):
                rescue.append(evidence)
            continue
        if term.any_in("opioid-antitussive", codings) or (
            systemic and term.mentions("opioid-antitussive", text)
        ):
            product = "antitussive"
        else:
            product = "antidiarrheal" if antidiarrheal else "analgesic"
        opioids.append(OpioidDraft(evidence, product, systemic, order.selected))  # type: ignore[arg-type]
    return tuple(opioids), tuple(rescue)


def naltrexone_use(
    resource: Mapping[str, Any], form: NaltrexoneForm, what: str, policy: Policy
) -> NaltrexoneUse | None:
    """What one record entry says about naltrexone use; None when it documents none."""
    kind = str(resource.get("resourceType"))
    status = str(resource.get("status") or "")
    if status in IGNORED_STATUS.get(kind, ()):
        return None
    ongoing = status in ONGOING_STATUS.get(kind, ())
    xr = form == "xr-injectable"
    last: date | None
    if kind in ("MedicationAdministration", "MedicationStatement"):
        last = effective_date(dict(resource)) or parse_date(resource.get("dateAsserted"))
    else:
        supply_end = _last_dose(resource, policy)
        start = _started(resource)
        last = supply_end
        if xr and supply_end is not None:
            # The last injection covered by the supply: an injection blocks for its whole interval.
            last = max(start or supply_end, supply_end - timedelta(days=policy.xr_interval_days))
    if last is None and not ongoing:
        return None
    blockade = policy.xr_blockade_days if xr else policy.oral_blockade_days
    until = None if ongoing or last is None else last + timedelta(days=blockade)
    evidence = Evidence(kind, str(resource.get("id") or ""), _started(resource) if ongoing else last, what)
    return NaltrexoneUse(evidence, form, ongoing, last, until, kind == "MedicationRequest")


def record_medicine(
    resource: Mapping[str, Any], medications: Mapping[str, dict[str, Any]], term: Terminology
) -> tuple[Medicine | None, list[dict[str, Any]], str]:
    codings, text = medication_parts(resource, medications)
    return classify_medicine(codings, text, term, routes_of(resource)), codings, text


def rescue_evidence(resource: Mapping[str, Any], text: str) -> Evidence | None:
    """A rescue product entry that counts as "on hand" (not cancelled, not refused)."""
    kind = str(resource.get("resourceType"))
    if str(resource.get("status") or "") in IGNORED_STATUS.get(kind, set()) | {"stopped"}:
        return None
    when = _started(resource) or effective_date(dict(resource)) or parse_date(resource.get("dateAsserted"))
    return Evidence(kind, str(resource.get("id") or ""), when, text)
