"""R13 - planned surgery; XR - extended-release injectable guidance.

When (R13): surgery (ServiceRequest, Procedure or Appointment coded or described as surgery) is scheduled
from the planned start to ``surgery_window_oral_days`` after it (oral) or ``surgery_window_xr_days``
(XR injectable).  ServiceRequest and Appointment are optional prefetch: when absent and not fetchable
the check is incomplete and the clean card says so (never silently skipped).
Then (R13): warning - hold oral naltrexone 72 h before elective surgery (XR: about 30 days); plan
non-opioid analgesia; record a hold date.
When (XR): an XR injectable draft is decided on and none of R1-R6 fires.
Then (XR): info - no oral naltrexone on record is not a block (the label does not require an oral
lead-in; say so); 380 mg deep IM gluteal every 4 weeks, alternate buttocks, watch the injection site;
the next dose is due ``xr_interval_days`` after this one.
Source: ASAM 2015 [A2]; Vivitrol PI D&A and W&P 5.2 [L4]; docs/clinical-rules.md.
"""

from __future__ import annotations

from datetime import timedelta

from plugin.clinical.facts.model import Facts
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import Finding


def check_surgery(facts: Facts, policy: Policy) -> Finding | None:
    """R13 - surgery inside the hold window of the drafted form."""
    if not facts.planned_surgery:
        return None
    xr = any(o.form == "xr-injectable" for o in facts.target_orders)
    window = policy.surgery_window_xr_days if xr else policy.surgery_window_oral_days
    soon = tuple(
        s
        for s in facts.planned_surgery
        if s.when is not None and 0 <= (s.when - facts.start_day).days <= window
    )
    if not soon:
        return None
    return Finding("R13", "warning", soon, data={"xr": xr, "days": window})


def check_xr_guidance(facts: Facts, policy: Policy) -> Finding | None:
    """XR - injection guidance and next-dose date for an XR injectable draft."""
    xr = [o for o in facts.target_orders if o.form == "xr-injectable" and not o.tagged_by_us]
    if not xr:
        return None
    oral = tuple(u.evidence for u in facts.naltrexone_on_record if u.form == "oral")
    next_dose = facts.start_day + timedelta(days=policy.xr_interval_days)
    return Finding("XR", "info", oral, data={"next_dose": next_dose, "oral_on_record": bool(oral)})
