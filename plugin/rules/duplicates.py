"""R14 - duplicate antagonist: bupropion/naltrexone (Contrave) drafted together with naltrexone.

When: a naltrexone addiction order is decided on and a bupropion/naltrexone product is drafted in the
same session.  Then: warning - two naltrexone products; cancel one.
Source: clinical_rules.md 1.9 (Contrave contains naltrexone 8 mg) and R14.
"""

from __future__ import annotations

from plugin.facts.model import Evidence, Facts
from plugin.policy import Policy
from plugin.rules.finding import Finding


def check(facts: Facts, policy: Policy) -> Finding | None:
    if not facts.target_orders:
        return None
    combos = [o for o in facts.orders if o.form == "bupropion-combination"]
    if not combos:
        return None
    evidence = tuple(
        Evidence(
            "MedicationRequest", (o.reference or "").partition("/")[2], None, "bupropion/naltrexone draft"
        )
        for o in combos
    )
    return Finding("R14", "warning", evidence)
