"""R12 - opioid-containing orders against naltrexone (the reverse check).

When: (a) an opioid-containing product (analgesic, antitussive such as codeine syrup, antidiarrhoeal such
as diphenoxylate or loperamide) is drafted and decided on while naltrexone is active on the record:
oral within its dosing period plus its blockade, the XR injection within ``xr_blockade_days`` (~4-5
weeks), bupropion/naltrexone while active.  (b) opioid-containing drafts co-ordered with a naltrexone
draft.
Then: (a) critical - the opioid will be blocked, and overriding the blockade with large doses is how
overdoses happen.  (b) critical for analgesics, warning for antitussives/antidiarrhoeals (rule table).
One card per hazard, never two for the same draft: when the naltrexone draft itself is decided on, a
systemic opioid co-draft is already R1 (active opioid therapy in this session, critical, naming the
draft), so (b) adds only what R1 does not cover - peripheral antidiarrhoeals (loperamide,
diphenoxylate) beside a selected naltrexone draft, and opioid drafts decided on beside an unselected
naltrexone draft (order-select on the opioid).  (a) is a different hazard (a blockade already in the
patient) and fires whenever an opioid draft is decided on.
Source: Vivitrol PI section 7 and 5.1 [L4]; oral label [L1]; docs/clinical-rules.md
and rule table R12.
"""

from __future__ import annotations

from plugin.clinical.facts.model import Facts, NaltrexoneUse, OpioidDraft
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import Finding, Indicator


def is_active(use: NaltrexoneUse, facts: Facts) -> bool:
    """Ongoing, or its blockade still covers today."""
    return use.ongoing or (use.blocks_until is not None and use.blocks_until >= facts.now)


def _refs(drafts: list[OpioidDraft]) -> list[str]:
    return [d.evidence.reference for d in drafts if d.evidence.resource_id]


def check(facts: Facts, policy: Policy) -> Finding | None:
    selected = list(facts.selected_opioid_drafts)
    active = [u for u in facts.naltrexone_on_record if is_active(u, facts)]
    if selected and active:
        evidence = tuple(u.evidence for u in active) + tuple(d.evidence for d in selected)
        return Finding("R12", "critical", evidence, data={"blockade": True, "drafts": _refs(selected)})
    if not facts.orders:
        return None
    if facts.target_orders:
        relevant = [d for d in facts.opioid_drafts if not d.systemic]
    else:
        relevant = selected
    if not relevant:
        return None
    indicator: Indicator = "critical" if any(d.product == "analgesic" for d in relevant) else "warning"
    return Finding(
        "R12",
        indicator,
        tuple(d.evidence for d in relevant),
        data={"blockade": False, "drafts": _refs(relevant)},
    )
