"""Summary phrases and detail paragraphs of the issue-8 cards (R7-R13, R14 kinds, R16, R17, XR)."""

from __future__ import annotations

from datetime import date

from plugin.clinical.facts.model import Evidence, Facts
from plugin.clinical.rules.finding import Finding

DUPLICATE_PHRASES = {
    "combination": "bupropion/naltrexone (Contrave) with naltrexone",
    "combination-active": "bupropion/naltrexone (Contrave) active on the record",
    "two-drafts": "two naltrexone drafts",
    "other-form": "oral and XR naltrexone together",
    "active-oral": "an active naltrexone prescription already exists",
    "early-xr": "XR injection given within the last 4 weeks",
}
REVERSE_PHRASES = {
    True: "Opioid ordered for a patient on naltrexone - blocked; overriding the blockade risks overdose",
    False: "Naltrexone blocks the opioid pain, cough or antidiarrhoeal medicine ordered with it",
}
HYS_LAW = (
    "Transaminases and bilirubin are both raised (Hy's-law pattern): a marker of serious drug-induced "
    "liver injury. Do not start naltrexone before this is explained."
)
BLOCKADE = (
    "Naltrexone blocks opioids for about a day per oral dose and about 4 weeks after an injection. The "
    "opioid will not work at usual doses; trying to overcome the blockade with large doses can cause "
    "fatal respiratory depression."
)
ORAL_NOT_REQUIRED = (
    "No oral naltrexone on record: this is not a block. The XR label does not require an oral lead-in; "
    "the opioid-free interval still applies."
)


DETOX_SUMMARY = {
    True: "Opioid detox not complete (withdrawal management in progress)",
    False: "Active opioid dependence/withdrawal without a completed detox",
}
DETOX_IN_PROGRESS = (
    "A detox is still in progress (see the record above): the patient is still physically dependent. "
    "Start naltrexone only after withdrawal management has ended and the opioid-free interval has passed."
)
DETOX_PROBLEM = {
    "none": "no completed detox is on record",
    "undated": "the detox on record has no end date",
    "too-recent": "it ended {days} days ago, fewer than the {min_days} opioid-free days required",
    "opioid-since": "opioid use is recorded after it ended",
    "withdrawal-since": "opioid withdrawal was recorded after it ended (new use)",
}


def _day(d: object) -> str:
    return d.isoformat() if isinstance(d, date) else "-"


def summary_what(finding: Finding) -> str:
    """The ``{what}`` of a summary: a phrase chosen from the finding's data, never built by a rule."""
    if "what" in finding.data:
        return str(finding.data["what"])
    if finding.rule == "R14":
        return "; ".join(DUPLICATE_PHRASES[k] for k in finding.data.get("kinds", ()))
    if finding.rule == "R12":
        return REVERSE_PHRASES[bool(finding.data.get("blockade"))]
    if finding.rule == "XR":
        return _day(finding.data.get("next_dose"))
    if finding.rule == "R6":
        return DETOX_SUMMARY[bool(finding.data.get("in_progress"))]
    return finding.evidence[0].what if finding.evidence else "the record"


def more_details(finding: Finding, facts: Facts) -> list[str]:
    """Extra detail paragraphs for the issue-8 rules."""
    if finding.rule == "R9" and finding.data.get("hys_law"):
        return [HYS_LAW]
    if finding.rule == "R12" and finding.data.get("blockade"):
        return [BLOCKADE]
    if finding.rule == "R6":
        return [_detox_judged(finding, facts)]
    if finding.data.get("estimates"):
        return [_estimates(finding.data["estimates"])]
    if finding.rule == "R13":
        return [f"Hold window checked: {finding.data.get('days')} days from the planned start."]
    if finding.rule == "XR":
        if finding.data.get("oral_on_record"):
            return ["Oral naltrexone is on record (tolerated before)."]
        return [ORAL_NOT_REQUIRED]
    if finding.rule == "UNVERIFIED":  # in full: the summary is cut at 140 characters
        return [f"**Not checked:** {finding.data.get('what')}. **Why:** {finding.data.get('reason')}."]
    return []


def _detox_judged(finding: Finding, facts: Facts) -> str:
    """R6: the diagnosis and the detox the rule judged, and why the detox does not count."""
    if finding.data.get("in_progress"):
        return DETOX_IN_PROGRESS
    diagnosis, detox = finding.data.get("diagnosis"), finding.data.get("detox")
    if not isinstance(diagnosis, Evidence):
        return DETOX_PROBLEM["none"]
    said = f"{diagnosis.reference} ({diagnosis.what or 'opioid dependence'}, recorded {_day(diagnosis.when)})"
    problem = str(finding.data.get("detox_problem", "none"))
    days = facts.days_since(detox.when) if detox is not None and detox.when else "?"
    why = DETOX_PROBLEM.get(problem, DETOX_PROBLEM["none"]).format(
        days=days, min_days=finding.data.get("min_days")
    )
    if detox is None:
        return f"Judged: {said} - {why}."
    return f"Judged: {said} against the detox {detox.reference} (ended {_day(detox.when)}): {why}."


def _estimates(estimates: tuple[tuple[str, str], ...]) -> str:
    """R1-R3: how each last dose was estimated ("supply 14 d from the dispense of 2026-11-01")."""
    lines = [f"- {reference}: {how or 'as recorded'}" for reference, how in estimates]
    return "**How the last dose was estimated:**\n\n" + "\n".join(lines)
