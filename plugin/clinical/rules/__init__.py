"""The rules, in the order their cards are shown.  Each: check(facts, policy) -> Finding | None.

Naltrexone rules run when a naltrexone draft is decided on; the reverse rule (R12) runs whenever an
opioid-containing or naltrexone draft is in the session.  ``INDICATORS`` states what each rule may
answer; the PlanDefinition (fhir_profiles/plandefinitions) is generated from this registry.
"""

from __future__ import annotations

from collections.abc import Callable

from plugin.clinical.facts.model import Facts
from plugin.clinical.policy import Policy
from plugin.clinical.rules import (
    alcohol,
    dependence,
    duplicates,
    liver,
    opioid_window,
    planned,
    reverse,
    screens,
    tolerance,
)
from plugin.clinical.rules.finding import Finding, Indicator

Rule = Callable[[Facts, Policy], Finding | None]

# Rules about the patient's opioid status: any hit means "do not start now".
SAFETY_RULES: tuple[tuple[str, Rule], ...] = (
    ("R1", opioid_window.check_active),
    ("R2", opioid_window.check_short_acting),
    ("R3", opioid_window.check_long_acting),
    ("R4", screens.check_urine_screen),
    ("R5", screens.check_naloxone_challenge),
    ("R6", dependence.check),
)
# Rules about the order itself.
ORDER_RULES: tuple[tuple[str, Rule], ...] = (("R14", duplicates.check),)
# What else the labels and guidelines warn about when naltrexone is started (issue 8).
ADVISORY_RULES: tuple[tuple[str, Rule], ...] = (
    ("R7", tolerance.check_opioid_free_undocumented),
    ("R8", liver.check_disease),
    ("R9", liver.check_transaminases),
    ("R10", liver.check_baseline),
    ("R11", tolerance.check_rescue_missing),
    ("R13", planned.check_surgery),
    ("R16", alcohol.check_aud_opioid_free),
    ("R17", alcohol.check_xr_while_drinking),
    ("XR", planned.check_xr_guidance),
)
# Opioid-containing drafts against naltrexone (runs for opioid drafts too).
REVERSE_RULES: tuple[tuple[str, Rule], ...] = (("R12", reverse.check),)
# Silenced when a safety rule (R1-R6) fires: the start is off, so "confirm opioid-free" (R7, R16), start
# preparation (baseline liver tests R10, naloxone for lost tolerance R11) and XR guidance are moot until
# the re-order - and one clear "do not start" card beats a stack (clinical_rules.md 5, alert fatigue).
SUBSUMED_BY_SAFETY = frozenset({"R7", "R10", "R11", "R16", "XR"})

ALL_RULES = SAFETY_RULES + ORDER_RULES + ADVISORY_RULES + REVERSE_RULES
INDICATORS: dict[str, tuple[Indicator, ...]] = {
    "R1": ("critical",),
    "R2": ("critical", "warning"),
    "R3": ("critical", "warning"),
    "R4": ("critical",),
    "R5": ("critical",),
    "R6": ("critical",),
    "R7": ("warning",),
    "R8": ("critical", "warning", "info"),  # per form, set in the policy
    "R9": ("critical", "warning"),
    "R10": ("info",),
    "R11": ("warning",),
    "R12": ("critical", "warning"),
    "R13": ("warning",),
    "R14": ("warning",),
    "R16": ("info",),
    "R17": ("warning",),
    "XR": ("info",),
}


def run_rules(facts: Facts, policy: Policy) -> list[Finding]:
    findings: list[Finding] = []
    if facts.target_orders:
        for _, rule in SAFETY_RULES + ORDER_RULES + ADVISORY_RULES:
            finding = rule(facts, policy)
            if finding is not None:
                findings.append(finding)
        safety = {rule_id for rule_id, _ in SAFETY_RULES}
        if any(f.rule in safety for f in findings):
            findings = [f for f in findings if f.rule not in SUBSUMED_BY_SAFETY]
    for _, rule in REVERSE_RULES:
        finding = rule(facts, policy)
        if finding is not None:
            findings.append(finding)
    return findings
