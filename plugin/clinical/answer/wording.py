"""The text of the cards: titles, summaries, advice and detail paragraphs per rule; the phrases the
details are put together from are in phrases.py.  cards.py fills both in; the clean card's account
of what was checked is composed there from the facts.

Every number in this text comes from ``Policy`` (``{p.<key>}``) or from a named constant below that
quotes a label or guideline, so a threshold changed in the policy file changes every sentence that
states it.  Suggestion labels sit next to the resources they build (responses.py, companion_orders.py).
Rules, thresholds and sources: docs/clinical-rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from plugin.clinical.policy import REGIMENS

# Quoted from the labels and guidelines (not thresholds the service applies):
CHALLENGE_REPEAT_HOURS = 24  # a failed naloxone challenge may be repeated after 24 h [L3]
SWITCH_AFTER_ORAL_DAYS = 1  # from oral naltrexone to methadone/buprenorphine [A2]
SWITCH_AFTER_XR_DAYS = 30  # from the XR injectable to methadone/buprenorphine [A2]
XR_MG = next(r.doses[0].mg for r in REGIMENS if r.form == "xr-injectable")  # the only XR dose [L4]

ORAL_LABEL = (
    "Naltrexone tablets label (DailyMed)",
    "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=adb7c4dc-221a-4d91-9687-0d78913a92ad",
)
XR_LABEL = (
    "VIVITROL prescribing information (DailyMed)",
    "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=cd11c435-b0f0-4bb9-ae78-60f101f3703f",
)
TIP63 = (
    "SAMHSA TIP 63: Medications for Opioid Use Disorder",
    "https://www.ncbi.nlm.nih.gov/books/NBK574913/",
)
LIVERTOX = ("LiverTox: Naltrexone (NIH)", "https://www.ncbi.nlm.nih.gov/books/n/livertox/Naltrexone/")
ASAM_SURGERY = (
    "ASAM National Practice Guideline (pocket guide)",
    "https://eguideline.guidelinecentral.com/i/1019954/22",
)

WITHDRAWAL_WARNING = (
    "Naltrexone is an opioid antagonist. Given to a patient who still has opioids on board or is "
    "physically dependent, it can cause abrupt, severe withdrawal within minutes (vomiting, diarrhoea, "
    "agitation or delirium, tachycardia); patients have needed hospital care. Required opioid-free "
    "interval: {p.short_acting_critical_days}-{p.short_acting_warning_days} days after short-acting "
    "opioids, {p.long_acting_critical_days} days after methadone, buprenorphine or extended-release opioids."
)


@dataclass(frozen=True)
class Wording:
    title: str  # rule topic display
    summary: str  # may use {date}, {days}, {safe}, {what}, {reason} and {p.<policy key>}
    advice: str  # may use {safe}, {p.<policy key>} and the named constants below
    source: tuple[str, str]
    override_codes: tuple[str, ...]


WORDING: dict[str, Wording] = {
    "R1": Wording(
        "Active opioid therapy",
        "Active opioid therapy - naltrexone now would precipitate severe opioid withdrawal",
        "Do not start naltrexone while the patient takes opioids. Stop the opioid (or keep it and do "
        "not start naltrexone), wait the opioid-free interval, then confirm with a urine screen.",
        ORAL_LABEL,
        ("record-outdated", "supervised-induction", "not-applicable"),
    ),
    "R2": Wording(
        "Recent short-acting opioid",
        "Last short-acting opioid {days} days before the start; "
        "{p.short_acting_critical_days}-{p.short_acting_warning_days} opioid-free days are required",
        "Defer the start to {safe} or later. Order a urine drug screen; consider a naloxone "
        "challenge once {p.short_acting_critical_days} days have passed.",
        ORAL_LABEL,
        ("opioid-free-confirmed", "negative-challenge-documented", "supervised-induction"),
    ),
    "R3": Wording(
        "Recent methadone, buprenorphine or long-acting opioid",
        "Long-acting opioid {days} days before the start - withdrawal risk; defer naltrexone to {safe}",
        "Methadone, buprenorphine and extended-release opioids can precipitate withdrawal for up to "
        "{p.long_acting_critical_days} days; extended-release buprenorphine injections release drug for "
        "months. Defer the start, "
        "plan a specialist-supervised transition, urine screen and naloxone challenge.",
        XR_LABEL,
        ("opioid-free-confirmed", "supervised-induction", "record-outdated"),
    ),
    "R4": Wording(
        "Positive opioid urine screen",
        "Positive opioid urine screen on {date} - naltrexone is contraindicated",
        "Do not start. Repeat the urine drug screen after abstinence; consider a naloxone challenge "
        "only once the screen is negative.",
        ORAL_LABEL,
        ("screen-false-positive", "supervised-induction"),
    ),
    "R5": Wording(
        "Failed naloxone challenge",
        "Failed naloxone challenge on {date} - do not start naltrexone",
        "Withdrawal signs on the challenge mean the patient is still opioid-dependent. The challenge "
        "can be repeated after at least {challenge_repeat_hours} hours.",
        ORAL_LABEL,
        ("supervised-induction", "not-applicable"),
    ),
    "R6": Wording(
        "Opioid dependence without completed detox",
        "{what} - do not start naltrexone",
        "Document detox completion and the date of last opioid use, order a urine drug screen and a "
        "naloxone challenge - or consider buprenorphine or methadone instead.",
        TIP63,
        ("detox-completed", "not-opioid-dependent", "supervised-induction"),
    ),
    "R7": Wording(
        "Opioid use disorder: opioid-free status undocumented",
        "Opioid use disorder on record - confirm "
        "{p.short_acting_critical_days}-{p.short_acting_warning_days} opioid-free days "
        "({p.long_acting_critical_days} after methadone/buprenorphine)",
        "No negative opioid urine test in the last {p.oud_negative_screen_days} days rules out every "
        "opioid that matters (a negative counts only for the opioids its test can detect). Confirm the date "
        "of last opioid use (tramadol, cough and antidiarrhoeal medicines count), order a urine drug screen "
        "that includes what an opiates immunoassay misses (fentanyl, methadone, buprenorphine, oxycodone) "
        "and consider a naloxone challenge before the first dose.",
        TIP63,
        ("opioid-free-confirmed", "negative-challenge-documented"),
    ),
    "R8": Wording(
        "Acute hepatitis or liver failure",
        "Acute hepatitis/liver failure documented - naltrexone hepatotoxicity risk",
        "Older oral naltrexone labels list acute hepatitis and liver failure as contraindications; the XR "
        "label moved hepatotoxicity to its warnings. Get specialist review and liver tests before "
        "starting; for alcohol use disorder consider acamprosate.",
        LIVERTOX,
        ("specialist-reviewed", "not-applicable"),
    ),
    "R9": Wording(
        "Transaminases raised",
        "Liver injury signal: {what} on {date} - evaluate before starting naltrexone",
        "Repeat the liver tests and ask for hepatology input. Stop or do not start naltrexone if there are "
        "signs of acute hepatitis.",
        LIVERTOX,
        ("labs-repeated-normal", "specialist-reviewed"),
    ),
    "R10": Wording(
        "No baseline liver tests",
        "No ALT/AST in the last {p.liver_test_lookback_days} days - obtain baseline liver tests before "
        "naltrexone",
        "Take baseline ALT, AST and bilirubin and repeat them periodically; naltrexone caused "
        "hepatocellular injury at excessive doses.",
        ORAL_LABEL,
        (),
    ),
    "R11": Wording(
        "Loss of opioid tolerance",
        "Loss of opioid tolerance - co-prescribe naloxone (no rescue product on record)",
        "Once naltrexone is stopped, a dose is missed, or an injection wears off, the patient may overdose "
        "on opioid doses they used to tolerate; trying to overcome the blockade can also be fatal. Provide "
        "naloxone and counsel patient and family.",
        XR_LABEL,
        ("naloxone-on-hand", "not-applicable"),
    ),
    "R12": Wording(
        "Opioid order and naltrexone",
        "{what}",
        "Remove the opioid, or use a non-opioid alternative (non-opioid analgesic, antitussive or "
        "antidiarrhoeal). If opioid analgesia is unavoidable, it needs specialist supervision and "
        "monitoring for respiratory depression.",
        XR_LABEL,
        ("naltrexone-stopped", "supervised-analgesia"),
    ),
    "R13": Wording(
        "Planned surgery",
        "Surgery planned on {date} - hold oral naltrexone {p.surgery_window_oral_days} days before (XR: "
        "{p.surgery_window_xr_days} days); plan analgesia",
        "Plan non-opioid analgesia and record a hold date. Switching to methadone or buprenorphine needs "
        "about {switch_after_oral_days} day after oral and about {switch_after_xr_days} days after XR "
        "naltrexone (ASAM).",
        ASAM_SURGERY,
        ("surgery-plan-documented",),
    ),
    "R14": Wording(
        "Duplicate naltrexone",
        "Duplicate naltrexone - {what}; cancel one",
        "Bupropion/naltrexone (Contrave) contains naltrexone; oral naltrexone and the XR injectable are "
        "not given together. Cancel one of the orders.",
        ORAL_LABEL,
        ("intended-duplicate",),
    ),
    "R16": Wording(
        "Alcohol use disorder: opioid-free still required",
        "AUD: no alcohol-detox wait required, but confirm the patient is opioid-free (incl. tramadol)",
        "No opioid use disorder and no recent opioid on record. Ask about opioid use, including tramadol, "
        "codeine cough medicines and opioid antidiarrhoeals; consider a urine drug screen.",
        ORAL_LABEL,
        (),
    ),
    "R17": Wording(
        "XR naltrexone while drinking",
        "Vivitrol requires outpatient abstinence before the first injection - recent intoxication/withdrawal",
        "Defer the injection until the patient can abstain as an outpatient; manage withdrawal first.",
        XR_LABEL,
        ("abstinent-confirmed",),
    ),
    "XR": Wording(
        "Extended-release naltrexone guidance",
        "XR naltrexone: {xr_mg:g} mg deep IM gluteal every {p.xr_interval_days} days - next dose due {what}",
        "Given by a healthcare professional with the kit needles, alternating buttocks. Injection-site "
        "reactions can be severe (induration, cellulitis, necrosis needing surgery): check the site and "
        "ask the patient to report pain or swelling.",
        XR_LABEL,
        (),
    ),
    "R15": Wording(
        "Non-standard naltrexone regimen",
        "Naltrexone dose, schedule or course is not a documented regimen",
        "Documented regimens: {regimens}. Usual course {p.course_usual_days} days, minimum "
        "{p.course_minimum_days}.",
        ORAL_LABEL,
        ("regimen-intended",),
    ),
    "CLEAN": Wording(
        "Naltrexone safety check passed",
        "Naltrexone check: no active or recent opioid use, dependence or positive screen found",
        "Still confirm opioid-free status with the patient (tramadol and cough medicines count).",
        ORAL_LABEL,
        (),
    ),
    "UNVERIFIED": Wording(
        "Naltrexone safety check incomplete",
        "Could not verify {what}: {reason}",
        "Check by hand: recent opioid and naltrexone prescriptions, fills and injections (and the PDMP), "
        "opioid dependence/withdrawal diagnoses, urine drug screens, detox records.",
        ORAL_LABEL,
        ("checked-manually",),
    ),
}
