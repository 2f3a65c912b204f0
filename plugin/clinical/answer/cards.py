"""Finding -> CDS Hooks card.  All clinician-facing wording lives here."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from plugin.clinical.answer.details import more_details, summary_what
from plugin.clinical.facts.model import Evidence, Facts
from plugin.clinical.rules.finding import Finding
from plugin.clinical.terminology import PROFILES_DIR

RULE_SYSTEM = "https://fhir.naltrexone-cds.org/CodeSystem/rules"

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
    "agitation or delirium, tachycardia); patients have needed hospital care. The labels require 7-10 "
    "opioid-free days after short-acting opioids and up to 14 days after methadone or buprenorphine."
)


@dataclass(frozen=True)
class Wording:
    title: str  # rule topic display
    summary: str  # may use {date}, {days}, {safe}
    advice: str
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
        "Last short-acting opioid {days} days before the start; the label requires 7-10 opioid-free days",
        "Defer the start to {safe} or later. Order a urine drug screen; consider a naloxone "
        "challenge once 7 days have passed.",
        ORAL_LABEL,
        ("opioid-free-confirmed", "negative-challenge-documented", "supervised-induction"),
    ),
    "R3": Wording(
        "Recent methadone, buprenorphine or long-acting opioid",
        "Long-acting opioid {days} days before the start - withdrawal risk; defer naltrexone to {safe}",
        "Methadone, buprenorphine and extended-release opioids can precipitate withdrawal for up to two "
        "weeks; extended-release buprenorphine injections release drug for months. Defer the start, "
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
        "can be repeated after at least 24 hours.",
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
        "Opioid use disorder on record - confirm 7-10 opioid-free days (14 after methadone/buprenorphine)",
        "No recent negative opioid urine screen is on record. Confirm the date of last opioid use "
        "(tramadol, cough and antidiarrhoeal medicines count), order a urine drug screen and consider a "
        "naloxone challenge before the first dose.",
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
        "No ALT/AST in the last {days} days - obtain baseline liver tests before naltrexone",
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
        "Surgery planned on {date} - hold oral naltrexone 72 h before (XR: about 30 days); plan analgesia",
        "Plan non-opioid analgesia and record a hold date. Switching to methadone or buprenorphine needs "
        "about 1 day after oral and about 30 days after XR naltrexone.",
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
        "XR naltrexone: 380 mg deep IM gluteal every 4 weeks - next dose due {what}",
        "Given by a healthcare professional with the kit needles, alternating buttocks. Injection-site "
        "reactions can be severe (induration, cellulitis, necrosis needing surgery): check the site and "
        "ask the patient to report pain or swelling.",
        XR_LABEL,
        (),
    ),
    "R15": Wording(
        "Non-standard naltrexone regimen",
        "Naltrexone dose, schedule or course is not a documented regimen",
        "Documented regimens: 50 mg daily; 100 mg every other day; 150 mg every third day; 50 mg "
        "Mon-Fri + 100 mg Sat; XR 380 mg IM every 4 weeks. Usual course 12 months, minimum 6.",
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


@lru_cache(maxsize=1)
def _override_displays() -> dict[str, str]:
    data = json.loads((PROFILES_DIR / "codesystems" / "override-reasons.json").read_text())
    return {c["code"]: c["display"] for c in data["concept"]}


def override_reasons(codes: tuple[str, ...]) -> list[dict[str, str]]:
    url = "https://fhir.naltrexone-cds.org/CodeSystem/override-reasons"
    return [{"system": url, "code": c, "display": _override_displays()[c]} for c in codes]


def _day(d: date | None) -> str:
    return d.isoformat() if d else "undated"


def cut(text: str, limit: int = 80) -> str:
    """``text`` whole when it fits, else cut at the last word boundary before ``limit`` with "..."."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 3]
    return (head.rsplit(" ", 1)[0] if " " in head else head).rstrip(" ,;/-") + "..."


def evidence_table(evidence: tuple[Evidence, ...]) -> str:
    rows = [f"| {e.reference} | {_day(e.when)} | {cut(e.what.replace('|', '/')) or '-'} |" for e in evidence]
    return "\n".join(["| Resource | Date | What |", "|---|---|---|", *rows])


def summary_for(finding: Finding, wording: Wording) -> str:
    first = finding.evidence[0] if finding.evidence else None
    text = wording.summary.format(
        date=_day(first.when if first else None),
        days=finding.data.get("days", "?"),
        safe=_day(finding.safe_start),
        what=summary_what(finding),
        reason=finding.data.get("reason", "unknown error"),
    )
    return text if len(text) < 140 else text[:136] + "..."


def detail_for(finding: Finding, wording: Wording, facts: Facts) -> str:
    parts = []
    if finding.evidence:
        parts.append("**Found in the record:**\n\n" + evidence_table(finding.evidence))
    if finding.safe_start:
        parts.append(
            f"**Earliest safe start:** {finding.safe_start.isoformat()} (from the estimated last dose)."
        )
    if "label_minimum" in finding.data:
        parts.append(
            f"Label minimum (7 opioid-free days) is reached on {finding.data['label_minimum'].isoformat()}."
        )
    if finding.rule in ("R1", "R2", "R3", "R4", "R5", "R6"):
        parts.append(WITHDRAWAL_WARNING)
    parts += more_details(finding, facts)
    if finding.data.get("note"):
        parts.append(str(finding.data["note"]))
    if facts.alcohol_indication and finding.rule in ("CLEAN", "R1", "R2", "R3", "R4", "R6"):
        parts.append(
            "Alcohol use disorder indication: no alcohol-detox wait is required, but the patient must "
            "still be opioid-free (tramadol included)."
        )
    parts.append(wording.advice.format(safe=_day(finding.safe_start)))
    parts.append(f"Checked on {facts.now.isoformat()}.")
    return "\n\n".join(parts)


def make_card(finding: Finding, facts: Facts, suggestions: list[dict[str, Any]]) -> dict[str, Any]:
    wording = WORDING[finding.rule]
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": summary_for(finding, wording),
        "indicator": finding.indicator,
        "detail": detail_for(finding, wording, facts),
        "source": {
            "label": wording.source[0],
            "url": wording.source[1],
            "topic": {"system": RULE_SYSTEM, "code": finding.rule, "display": wording.title},
        },
    }
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "at-most-one"
    if wording.override_codes:
        card["overrideReasons"] = override_reasons(wording.override_codes)
    return card
