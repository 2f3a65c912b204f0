"""R16 - alcohol use disorder indication without opioid history; R17 - XR naltrexone while drinking.

When (R16): the naltrexone draft's reason is alcohol use disorder, no opioid use disorder diagnosis, and
no opioid exposure within ``aud_opioid_free_lookback_days``.  Silent when R1-R6 fire.
Then (R16): info - no alcohol-detox wait is needed, but the patient must be opioid-free (tramadol
included).
When (R17): an XR injectable draft for alcohol use disorder and an active alcohol intoxication or
withdrawal diagnosis within ``alcohol_acute_lookback_days`` (undated counts: it is active).
Then (R17): warning - the Vivitrol label requires outpatient abstinence before the first injection; defer.
Source: labels [L1][L4]; docs/clinical-rules.md.
"""

from __future__ import annotations

from plugin.clinical.facts.model import Facts
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import Finding
from plugin.clinical.rules.tolerance import recent_exposures


def check_aud_opioid_free(facts: Facts, policy: Policy) -> Finding | None:
    """R16 - AUD indication, no opioid history: say what still applies."""
    if not facts.alcohol_indication or all(o.tagged_by_us for o in facts.target_orders):
        return None
    if facts.opioid_use_disorder or recent_exposures(facts, policy.aud_opioid_free_lookback_days):
        return None
    return Finding("R16", "info")


def check_xr_while_drinking(facts: Facts, policy: Policy) -> Finding | None:
    """R17 - Vivitrol for AUD with recent intoxication or withdrawal."""
    if not facts.alcohol_indication or not any(o.form == "xr-injectable" for o in facts.target_orders):
        return None
    recent = tuple(
        c
        for c in facts.alcohol_acute
        if c.when is None or 0 <= facts.days_since(c.when) <= policy.alcohol_acute_lookback_days
    )
    if not recent:
        return None
    return Finding("R17", "warning", recent)
