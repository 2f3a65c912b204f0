"""R4 - positive opioid urine screen; R5 - failed naloxone challenge.

When (R4): an opioid (agonist) urine test is positive within the look-back and still stands: the facts
drop a positive only when a later (or outranking, same-day confirmation) negative test could have
detected every opioid the positive test could (docs/urine-drug-screens.md).  Naltrexone/naloxone
analytes are excluded by the value set.
When (R5): a failed naloxone challenge (SNOMED finding in the value set) within the look-back.
Then: critical - do not start; repeat the screen after abstinence / the challenge after >= 24 h.
Source: labels' contraindications [L1][L4]; challenge procedure [L3]; docs/clinical-rules.md.
"""

from __future__ import annotations

from datetime import date

from plugin.clinical.facts.model import Evidence, Facts
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import Finding


def _within(facts: Facts, items: tuple[Evidence, ...], days: int) -> list[Evidence]:
    return [e for e in items if e.when is not None and 0 <= facts.days_since(e.when) <= days]


def check_urine_screen(facts: Facts, policy: Policy) -> Finding | None:
    positives = _within(facts, facts.positive_opioid_screens, policy.urine_screen_lookback_days)
    if not positives:
        return None
    kept = tuple(k for k in facts.screens_kept if k.positive in positives)
    return Finding(
        "R4",
        "critical",
        tuple(sorted(positives, key=lambda e: e.when or date.min, reverse=True)),
        data={"kept": kept},
    )


def check_naloxone_challenge(facts: Facts, policy: Policy) -> Finding | None:
    failed = _within(facts, facts.failed_naloxone_challenges, policy.naloxone_challenge_lookback_days)
    if not failed:
        return None
    return Finding("R5", "critical", tuple(failed))
