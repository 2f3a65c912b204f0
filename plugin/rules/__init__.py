"""The safety rules, in the order their cards are shown.  Each: check(facts, policy) -> Finding | None."""

from __future__ import annotations

from collections.abc import Callable

from plugin.facts.model import Facts
from plugin.policy import Policy
from plugin.rules import dependence, duplicates, opioid_window, screens
from plugin.rules.finding import Finding

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


def run_rules(facts: Facts, policy: Policy) -> list[Finding]:
    findings = []
    for _, rule in SAFETY_RULES + ORDER_RULES:
        finding = rule(facts, policy)
        if finding is not None:
            findings.append(finding)
    return findings
