"""R8 - acute hepatitis or liver failure; R9 - transaminases high; R10 - no baseline liver tests.

When (R8): an active acute hepatitis / hepatic failure Condition.
Then (R8): critical for oral naltrexone (older oral labels list it as a contraindication [L2]), warning
for the XR injectable (contraindication removed in 2013 [L4]); both severities in the policy.
When (R9): the latest ALT or AST within ``liver_test_lookback_days`` is >= 5 x ULN (ULN from the
Observation's referenceRange.high, else the policy default), or ALT/AST >= 3 x ULN with the latest total
bilirubin >= 2 x ULN (Hy's-law pattern).
Then (R9): warning with the values; critical for the Hy's-law pattern.
When (R10): no ALT or AST result within the look-back.  Then (R10): info - obtain baseline liver tests;
suggests a hepatic function panel ServiceRequest.
Source: docs/clinical-rules.md (FDA DILI conventions [F1], LiverTox [LT]) and rule
table R8-R10.
"""

from __future__ import annotations

from typing import cast

from plugin.clinical.facts.model import Facts, LabResult
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import SEVERITY, Finding, Indicator


def check_disease(facts: Facts, policy: Policy) -> Finding | None:
    """R8 - active acute hepatitis or liver failure."""
    if not facts.liver_disease or not facts.target_orders:
        return None
    severities = [
        policy.liver_disease_xr_indicator
        if o.form == "xr-injectable"
        else policy.liver_disease_oral_indicator
        for o in facts.target_orders
    ]
    indicator = cast(Indicator, max(severities, key=lambda s: SEVERITY[s]))
    return Finding("R8", indicator, facts.liver_disease)


def _latest(facts: Facts, policy: Policy) -> dict[str, LabResult]:
    """The latest result of each test within the look-back (the first listed of a day), in one pass."""
    latest: dict[str, LabResult] = {}
    for result in facts.liver_tests:
        when = result.evidence.when
        if when is None or not 0 <= facts.days_since(when) <= policy.liver_test_lookback_days:
            continue
        found = latest.get(result.test)
        if found is None or when > (found.evidence.when or when):
            latest[result.test] = result
    return latest


def check_transaminases(facts: Facts, policy: Policy) -> Finding | None:
    """R9 - ALT/AST >= 5 x ULN (warning) or the Hy's-law pattern (critical)."""
    latest = _latest(facts, policy)
    transaminases = [r for r in (latest.get("alt"), latest.get("ast")) if r]
    bilirubin = latest.get("bilirubin")
    raised = [r for r in transaminases if r.ratio >= policy.hys_law_transaminase_uln]
    if raised and bilirubin is not None and bilirubin.ratio >= policy.hys_law_bilirubin_uln:
        evidence = tuple(r.evidence for r in raised) + (bilirubin.evidence,)
        return Finding("R9", "critical", evidence, data={"hys_law": True})
    high = [r for r in transaminases if r.ratio >= policy.transaminase_warning_uln]
    if not high:
        return None
    return Finding("R9", "warning", tuple(r.evidence for r in high), data={"hys_law": False})


def check_baseline(facts: Facts, policy: Policy) -> Finding | None:
    """R10 - no ALT/AST within the look-back (not repeated on our own suggested order)."""
    if all(o.tagged_by_us for o in facts.target_orders):
        return None
    latest = _latest(facts, policy)
    if "alt" in latest or "ast" in latest:
        return None
    return Finding("R10", "info")
