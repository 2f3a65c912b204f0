"""The phrases card details are put together from: duplicates, reversal, liver, blockade, how the
last dose was estimated, negative screens that do not cancel a positive, detox, earliest start, what
could not be checked.  Same rule as wording.py: every number comes from ``Policy`` (``{p.<key>}``).
"""

from __future__ import annotations

DUPLICATE_PHRASES = {
    "combination": "bupropion/naltrexone (Contrave) with naltrexone",
    "combination-active": "bupropion/naltrexone (Contrave) active on the record",
    "two-drafts": "two naltrexone drafts",
    "other-form": "oral and XR naltrexone together",
    "active-oral": "an active naltrexone prescription already exists",
    "early-xr": "XR injection given within the last {p.xr_interval_days} days",
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
    "Naltrexone blocks opioids for up to {p.oral_blockade_days} days after an oral dose and up to "
    "{p.xr_blockade_days} days after an injection. The opioid will not work at usual doses; trying to "
    "overcome the blockade with large doses can cause fatal respiratory depression."
)
ORAL_NOT_REQUIRED = (
    "No oral naltrexone on record: this is not a block. The XR label does not require an oral lead-in; "
    "the opioid-free interval still applies."
)
ORAL_ON_RECORD = "Oral naltrexone is on record (tolerated before)."
ESTIMATES = "**How the last dose was estimated:**\n\n"
# R4: why a later negative result did not cancel a positive (docs/urine-drug-screens.md).
KEPT = "**Negative results that do not cancel it:**\n\n"
KEPT_LINE = (
    "- {positive} ({test}, {day}) still counts: the later negative {negative} ({other}, {other_day}) - {why}."
)
NOT_RULED_OUT = (
    "The negative opioid urine tests of the last {p.oud_negative_screen_days} days ({tests}) {why}: they do "
    "not show that the patient is free of those opioids."
)
KEPT_CANNOT = "cannot detect {analytes}"
KEPT_PARTLY = "detects {analytes} only partly or variably"
KEPT_OUTRANKED = "a screen does not overrule a confirmation"
OTHER_OPIOID = "the opioid it names"
HOLD_WINDOW = "Hold window checked: {days} days from the planned start."
MINIMUM_REACHED = "The minimum of {p.short_acting_critical_days} opioid-free days is reached on {day}."
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
    "too-recent": (
        "it ended {days} days ago, fewer than the {p.detox_completed_min_days} opioid-free days required"
    ),
    "opioid-since": "opioid use is recorded after it ended",
    "withdrawal-since": "opioid withdrawal was recorded after it ended (new use)",
}
EARLIEST_SAFE_START = "**Earliest safe start:** {day} (from the estimated last dose)."
ALCOHOL_INDICATION = (
    "Alcohol use disorder indication: no alcohol-detox wait is required, but the patient must still be "
    "opioid-free (tramadol included)."
)
R15_SHORT_COURSE = "Draft course: {course:g} days (minimum {p.course_minimum_days})."
R15_OFF_LABEL = "The draft's dose or schedule matches no documented regimen."
NOT_VERIFIED = "**Not checked:** {what}.\n\n**Why:**\n\n{reasons}"
# What a failed prefetch key or query would have told (UNVERIFIED, and "not checked" on the clean card).
KEY_MEANING = {
    "medicationRequests": "recent opioid use",
    "medicationDispenses": "recent opioid use",
    "medicationStatements": "recent opioid use",
    "medicationAdministrations": "recent opioid use",
    "medications": "which medicines the orders contain",
    "conditions": "opioid dependence or withdrawal diagnoses",
    "observations": "opioid urine screens and naloxone challenges",
    "procedures": "completed detox",
    "encounters": "completed detox",
    "serviceRequests": "planned surgery",
    "appointments": "planned surgery",
    "naltrexone-active": "whether naltrexone is active",
}
