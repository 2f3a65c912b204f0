"""R14 - duplicate naltrexone.

When: a naltrexone addiction order is decided on and (a) bupropion/naltrexone (Contrave) is drafted in
the same session or active on the record; (b) two naltrexone drafts are in the session; (c) naltrexone
of the other form is active on the record (oral + XR injectable); (d) the same form is already active:
an active oral prescription the draft does not renew (``priorPrescription``), or an XR injection whose
4-week interval has not passed by the planned start.
Then: warning - two naltrexone products (or an early XR dose); cancel one.
Source: docs/clinical-rules.md (do not give oral naltrexone and Vivitrol together), 1.9 (Contrave
contains naltrexone 8 mg) and R14.
"""

from __future__ import annotations

from datetime import timedelta

from plugin.clinical.facts.model import Evidence, Facts, NaltrexoneOrder, NaltrexoneUse
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import Finding
from plugin.clinical.rules.reverse import is_active


def _draft_evidence(order: NaltrexoneOrder, what: str) -> Evidence:
    return Evidence("MedicationRequest", (order.reference or "").partition("/")[2], None, what)


def _renews(order: NaltrexoneOrder, use: NaltrexoneUse) -> bool:
    prior = order.prior_prescription
    return prior is not None and prior.endswith(use.evidence.reference)


def _record_duplicate(facts: Facts, use: NaltrexoneUse, policy: Policy) -> str | None:
    """Which kind of duplicate an active record entry makes with the drafts, if any."""
    targets = facts.target_orders
    if use.form == "bupropion-combination":
        return "combination-active"
    if any(o.form != use.form for o in targets):
        return "other-form"
    if use.form == "oral":
        return (
            "active-oral"
            if use.is_order and use.ongoing and not any(_renews(o, use) for o in targets)
            else None
        )
    if use.last_dose and (facts.start_day - use.last_dose).days < policy.xr_interval_days:
        return "early-xr"
    return None


def check(facts: Facts, policy: Policy) -> Finding | None:
    if not facts.target_orders:
        return None
    kinds: list[str] = []
    evidence: list[Evidence] = []
    combos = [o for o in facts.orders if o.form == "bupropion-combination"]
    if combos:
        kinds.append("combination")
        evidence += [_draft_evidence(o, "bupropion/naltrexone draft") for o in combos]
    drafts = [o for o in facts.orders if o.form != "bupropion-combination"]
    if len(drafts) > 1:
        kinds.append("two-drafts")
        evidence += [_draft_evidence(o, f"naltrexone {o.form} draft") for o in drafts]
    next_due = None
    for use in facts.naltrexone_on_record:
        kind = _record_duplicate(facts, use, policy) if is_active(use, facts) else None
        if kind is None:
            continue
        kinds.append(kind)
        evidence.append(use.evidence)
        if kind == "early-xr" and use.last_dose:
            next_due = use.last_dose + timedelta(days=policy.xr_interval_days)
    if not kinds:
        return None
    return Finding(
        "R14", "warning", tuple(evidence), safe_start=next_due, data={"kinds": list(dict.fromkeys(kinds))}
    )
