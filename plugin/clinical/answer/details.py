"""Summary phrases and detail paragraphs of the issue-8 cards (R7-R13, R14 kinds, R16, R17, XR)."""

from __future__ import annotations

from datetime import date

from plugin.clinical.facts.model import Facts
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
    return finding.evidence[0].what if finding.evidence else "the record"


def more_details(finding: Finding, facts: Facts) -> list[str]:
    """Extra detail paragraphs for the issue-8 rules."""
    if finding.rule == "R9" and finding.data.get("hys_law"):
        return [HYS_LAW]
    if finding.rule == "R12" and finding.data.get("blockade"):
        return [BLOCKADE]
    if finding.rule == "R13":
        return [f"Hold window checked: {finding.data.get('days')} days from the planned start."]
    if finding.rule == "XR":
        if finding.data.get("oral_on_record"):
            return ["Oral naltrexone is on record (tolerated before)."]
        return [ORAL_NOT_REQUIRED]
    return []
