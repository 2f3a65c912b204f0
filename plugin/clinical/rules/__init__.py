"""The rules, in the order their cards are shown.  Every decision a card reports is made here.

Rules run when a naltrexone draft is decided on; the reverse rule (R12) runs whenever an
opioid-containing or naltrexone draft is in the session.  The closing rules (UNVERIFIED, R15, CLEAN)
run last and read the findings before them.  ``INDICATORS`` states what each rule may answer; the
PlanDefinition (fhir_profiles/plandefinitions) is generated from this registry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from plugin.clinical.facts.model import Facts
from plugin.clinical.policy import Policy
from plugin.clinical.rules import (
    alcohol,
    closing,
    duplicates,
    liver,
    planned,
    regimen,
    reverse,
    tolerance,
)
from plugin.clinical.rules.finding import Finding, Indicator
from plugin.clinical.rules.safety import SAFETY_RULES, START_BLOCKING, SUBSUMED_BY_SAFETY, Rule

ClosingRule = Callable[[Facts, Policy, Sequence[Finding]], Finding | None]

# Rules about the order itself.
ORDER_RULES: tuple[tuple[str, Rule], ...] = (("R14", duplicates.check),)
# What else the labels and guidelines warn about when naltrexone is started.
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
# Read the findings above: could the check be completed, is the regimen documented, did it pass.
CLOSING_RULES: tuple[tuple[str, ClosingRule], ...] = (
    ("UNVERIFIED", closing.check_unverified),
    ("R15", regimen.check),
    ("CLEAN", closing.check_clean),
)

# What runs when a naltrexone draft is decided on, before the reverse and closing rules.
DECIDING_RULES: tuple[tuple[str, Rule], ...] = SAFETY_RULES + ORDER_RULES + ADVISORY_RULES
ALL_RULES: tuple[tuple[str, Rule | ClosingRule], ...] = DECIDING_RULES + REVERSE_RULES + CLOSING_RULES
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
    "UNVERIFIED": ("warning",),
    "R15": ("warning",),
    "CLEAN": ("info",),
}
__all__ = ["ALL_RULES", "INDICATORS", "START_BLOCKING", "run_rules", "unverified_only"]


def run_rules(facts: Facts, policy: Policy) -> list[Finding]:
    findings: list[Finding] = []
    if facts.target_orders:
        blocked = False
        for _, rule in DECIDING_RULES:
            if (finding := rule(facts, policy)) is not None:
                findings.append(finding)
                blocked = blocked or finding.rule in START_BLOCKING
        if blocked:
            findings = [f for f in findings if f.rule not in SUBSUMED_BY_SAFETY]
    for _, rule in REVERSE_RULES:
        if (finding := rule(facts, policy)) is not None:
            findings.append(finding)
    for _, closing_rule in CLOSING_RULES:
        if (finding := closing_rule(facts, policy, findings)) is not None:
            findings.append(finding)
    return findings


def unverified_only(facts: Facts, policy: Policy) -> list[Finding]:
    """For a draft no rule could identify (named only by a Medication the record lacks): say so."""
    finding = closing.check_unverified(facts, policy, ())
    return [finding] if finding is not None else []
