"""R7 - opioid use disorder history, opioid-free status undocumented; R11 - lost tolerance, no naloxone.

When (R7): an opioid use disorder diagnosis at any time (remission included), and the negative opioid
urine tests within ``oud_negative_screen_days`` do not together detect reliably every opioid of the
``opioid-free-screen-analytes`` value set (none at all, or only tests that cannot see some: an opiates
immunoassay does not detect fentanyl, methadone or buprenorphine, and oxycodone only variably).  Silent
when a rule of R1-R6 fires (they already say "do not start"); a failed challenge is R5's.
Then (R7): warning - confirm >= 7-10 opioid-free days (>= 14 after methadone/buprenorphine); the card
names the recent negatives and the opioids they cannot rule out; suggests a urine drug screen
ServiceRequest.
When (R11): opioid use disorder history or any opioid exposure within
``tolerance_exposure_lookback_days``, and no naloxone/nalmefene rescue product on the record within
``rescue_lookback_days`` nor drafted in this session.
Then (R11): warning - after detox, tolerance is lost: once naltrexone stops, a dose is missed or an
injection wears off, usual opioid doses can kill; suggests a naloxone 4 mg nasal spray order.
Source: labels [L1][L4], Vivitrol D&A 2.2 (12/2025) [L4], ASAM [A3]; docs/clinical-rules.md.
"""

from __future__ import annotations

from datetime import date

from plugin.clinical.facts.model import Evidence, Facts, OpioidExposure
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import Finding

EVIDENCE_SHOWN = 3  # one card per rule, latest evidence first (CDC style; a long history is not a list)


def latest(evidence: tuple[Evidence, ...] | list[Evidence]) -> tuple[Evidence, ...]:
    return tuple(sorted(evidence, key=lambda e: e.when or date.min, reverse=True)[:EVIDENCE_SHOWN])


def check_opioid_free_undocumented(facts: Facts, policy: Policy) -> Finding | None:
    """R7 - OUD history without a recent negative urine test for each opioid that matters."""
    if not facts.opioid_use_disorder:
        return None
    recent = [
        n
        for n in facts.negative_opioid_screens
        if n.when is not None and 0 <= facts.days_since(n.when) <= policy.oud_negative_screen_days
    ]
    if not recent:
        return Finding("R7", "warning", latest(facts.opioid_use_disorder))
    tests = [t for t in facts.negative_screen_tests if t.evidence in recent]
    detected = frozenset().union(*(t.assay.detects for t in tests))
    missing = facts.opioid_free_analytes - detected
    if not missing:
        return None
    partly = missing & frozenset().union(*(t.assay.partly for t in tests))
    data = {
        "negatives": tuple(recent),
        "cannot": tuple(sorted(missing - partly)),
        "partly": tuple(sorted(partly)),
    }
    return Finding("R7", "warning", latest(facts.opioid_use_disorder) + latest(recent), data=data)


def recent_exposures(facts: Facts, days: int) -> list[OpioidExposure]:
    """Opioid exposures ongoing or with a dose within ``days`` (drafts of this session included)."""
    return [
        e
        for e in facts.opioid_exposures
        if e.ongoing
        or ((day := e.last_dose or e.evidence.when) is not None and facts.days_since(day) <= days)
    ]


def check_rescue_missing(facts: Facts, policy: Policy) -> Finding | None:
    """R11 - OUD or recent opioid exposure, and no rescue product on hand."""
    exposures = recent_exposures(facts, policy.tolerance_exposure_lookback_days)
    if not facts.opioid_use_disorder and not exposures:
        return None
    if facts.rescue_drafts or any(
        r.when is not None and facts.days_since(r.when) <= policy.rescue_lookback_days
        for r in facts.rescue_on_record
    ):
        return None
    evidence = latest(facts.opioid_use_disorder) + latest([e.evidence for e in exposures])
    return Finding("R11", "warning", evidence)
