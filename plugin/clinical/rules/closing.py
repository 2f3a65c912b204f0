"""UNVERIFIED - the check could not be completed; CLEAN - the check passed.  Both read the other findings.

When (UNVERIFIED): a query or prefetch entry the check needs failed or timed out.  For a naltrexone
draft every failure counts; for an opioid draft on its own only the medication queries count (they
tell whether naltrexone is active, R12); a draft named only by a Medication the record could not
provide counts every failure (it may be naltrexone).
Then (UNVERIFIED): warning - say what could not be verified and why; the clean card is withheld.
When (CLEAN): a naltrexone draft not suggested by this service is decided on, everything could be
read, no rule of R1-R6 fires and no finding is critical.
Then (CLEAN): info - what was checked, the latest opioid and negative screen on record, what was not
sent; suggests completing a draft whose dose, schedule or course is missing.
Source: CDS Hooks card guidance (one actionable card, say when a check is incomplete); labels [L1][L4];
docs/clinical-rules.md "Could not verify" and "Clean".
"""

from __future__ import annotations

from collections.abc import Sequence

from plugin.clinical.facts.model import Facts
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import Finding
from plugin.clinical.rules.regimen import drafts
from plugin.clinical.rules.safety import start_is_open

# The prefetch keys / queries that tell what medicines the patient is on (naltrexone active, R12).
MEDICATION_KEYS = frozenset(
    {"medicationRequests", "medicationDispenses", "medicationStatements", "medicationAdministrations"}
)


def check_unverified(facts: Facts, policy: Policy, findings: Sequence[Finding]) -> Finding | None:
    """UNVERIFIED - what could not be read, and why."""
    failed = facts.unverified
    reverse_only = not facts.target_orders and bool(facts.selected_opioid_drafts)
    if reverse_only:
        failed = tuple(f for f in failed if f[0] in MEDICATION_KEYS)
    if not failed:
        return None
    keys = ("naltrexone-active",) if reverse_only else tuple(sorted({key for key, _ in failed}))
    reason = "; ".join(sorted({reason for _, reason in failed}))
    return Finding("UNVERIFIED", "warning", data={"keys": keys, "reason": reason, "failed": failed})


def check_clean(facts: Facts, policy: Policy, findings: Sequence[Finding]) -> Finding | None:
    """CLEAN - nothing blocks the start and the record was read in full."""
    if not facts.target_orders or all(o.tagged_by_us for o in facts.target_orders):
        return None
    if not start_is_open(findings):
        return None
    incomplete = tuple(d for d in drafts(facts, policy) if d.state == "incomplete")
    return Finding("CLEAN", "info", data={"complete": incomplete})  # DraftRegimen: the drafts to complete
