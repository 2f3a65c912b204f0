"""R6 - current opioid dependence or withdrawal without a completed detox.

When: an active opioid dependence/withdrawal Condition (F11.2x except remission, F11.x3, SNOMED
dependence/withdrawal) recorded within the look-back (or undated), and no completed detox that ended
after it and at least ``detox_completed_min_days`` ago.
Then: critical - naltrexone precipitates withdrawal in a physically dependent patient.
Source: labels [L1][L4]; ASAM 2020 [A1]; TIP 63 [S2]; clinical_rules.md R6.
"""

from __future__ import annotations

from plugin.clinical.facts.model import Evidence, Facts
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import Finding


def _current(facts: Facts, condition: Evidence, policy: Policy) -> bool:
    return condition.when is None or facts.days_since(condition.when) <= policy.dependence_lookback_days


def _detox_after(facts: Facts, condition: Evidence, policy: Policy) -> Evidence | None:
    """A completed detox ending after the condition and long enough ago."""
    for detox in facts.completed_detox:
        if detox.when is None:
            continue
        after = condition.when is None or detox.when >= condition.when
        if after and facts.days_since(detox.when) >= policy.detox_completed_min_days:
            return detox
    return None


def check(facts: Facts, policy: Policy) -> Finding | None:
    open_conditions = [
        c
        for c in facts.dependence_conditions
        if _current(facts, c, policy) and _detox_after(facts, c, policy) is None
    ]
    if not open_conditions:
        return None
    recent_detox = [d for d in facts.completed_detox if d.when is not None]
    return Finding(
        "R6",
        "critical",
        tuple(open_conditions) + tuple(recent_detox),
        data={"detox_too_recent": bool(recent_detox)},
    )
