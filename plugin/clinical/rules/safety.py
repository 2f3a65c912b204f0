"""The start-blocking rules: the patient's opioid status (R1-R6).  Declared here, once.

Any of them firing means "do not start naltrexone now": the cards offer to remove the draft and to
re-order it on the earliest safe day, start preparation and XR guidance are silenced
(``SUBSUMED_BY_SAFETY``), and neither the regimen check (R15) nor the clean card is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from plugin.clinical.facts.model import Facts
from plugin.clinical.policy import Policy
from plugin.clinical.rules import dependence, opioid_window, screens
from plugin.clinical.rules.finding import Finding

Rule = Callable[[Facts, Policy], Finding | None]

SAFETY_RULES: tuple[tuple[str, Rule], ...] = (
    ("R1", opioid_window.check_active),
    ("R2", opioid_window.check_short_acting),
    ("R3", opioid_window.check_long_acting),
    ("R4", screens.check_urine_screen),
    ("R5", screens.check_naloxone_challenge),
    ("R6", dependence.check),
)
START_BLOCKING = frozenset(rule_id for rule_id, _ in SAFETY_RULES)
# Silenced when a start-blocking rule fires: the start is off, so "confirm opioid-free" (R7, R16), start
# preparation (baseline liver tests R10, naloxone for lost tolerance R11) and XR guidance are moot until
# the re-order - and one clear "do not start" card beats a stack (alert fatigue; docs/clinical-rules.md).
SUBSUMED_BY_SAFETY = frozenset({"R7", "R10", "R11", "R16", "XR"})


def start_is_open(findings: Sequence[Finding]) -> bool:
    """No start-blocking rule fired, nothing is critical and the record could be read in full."""
    for f in findings:
        if f.rule in START_BLOCKING or f.indicator == "critical" or f.rule == "UNVERIFIED":
            return False
    return True
