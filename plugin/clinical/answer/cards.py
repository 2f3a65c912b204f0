"""Finding -> CDS Hooks card: summary, detail, source, override reasons (text from wording.py, phrases.py)."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from typing import Any

from plugin.clinical.answer import phrases as ph
from plugin.clinical.answer import wording as w
from plugin.clinical.answer.suggestions import new_uuid
from plugin.clinical.answer.texts import fill, finished
from plugin.clinical.facts.model import Evidence, Facts
from plugin.clinical.facts.urine_screens import UNNAMED
from plugin.clinical.policy import Policy
from plugin.clinical.rules import START_BLOCKING
from plugin.clinical.rules.finding import Finding
from plugin.clinical.terminology import PROFILES_DIR

RULE_SYSTEM = "https://fhir.naltrexone-cds.org/CodeSystem/rules"


@lru_cache(maxsize=1)
def _override_displays() -> dict[str, str]:
    data = json.loads((PROFILES_DIR / "codesystems" / "override-reasons.json").read_text())
    return {c["code"]: c["display"] for c in data["concept"]}


def override_reasons(codes: tuple[str, ...]) -> list[dict[str, str]]:
    url = "https://fhir.naltrexone-cds.org/CodeSystem/override-reasons"
    return [{"system": url, "code": c, "display": _override_displays()[c]} for c in codes]


def day(d: date | None) -> str:
    return d.isoformat() if d else "undated"


def clean_note(facts: Facts) -> str:
    """What the clean card checked, the latest opioid and negative screen on record, what was not sent."""
    checked = ", ".join([f"{n} {kind}" for kind, n in facts.checked.items()]) or "no resources (empty record)"
    lines = [f"Checked {checked}."]
    past = [e for e in facts.opioid_exposures if e.last_dose]
    if past:
        latest = max(past, key=lambda e: e.last_dose or date.min)
        lines.append(
            f"Latest opioid on record: {latest.evidence.reference}, estimated last dose "
            f"{day(latest.last_dose)} (outside every window{'; ' + latest.how if latest.how else ''})."
        )
    if facts.unidentified_medications:
        named = ", ".join(facts.unidentified_medications[:5])
        more = len(facts.unidentified_medications) - 5
        lines.append(
            f"{len(facts.unidentified_medications)} medication entries could not be identified (no RxNorm "
            f"code or drug name): {named}{f' and {more} more' if more > 0 else ''} - check them by hand."
        )
    if facts.not_checked:
        missing = sorted({ph.KEY_MEANING.get(key, key) for key in facts.not_checked})
        lines.append(f"Not checked (data not sent): {', '.join(missing)}.")
    if facts.negative_opioid_screens:
        latest_neg = max(facts.negative_opioid_screens, key=lambda e: e.when or date.min)
        lines.append(f"Latest negative opioid screen: {latest_neg.reference} on {day(latest_neg.when)}.")
    return " ".join(lines)


def cut(text: str, limit: int = 80) -> str:
    """``text`` whole when it fits, else cut at the last word boundary before ``limit`` with "..."."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 3]
    return (head.rsplit(" ", 1)[0] if " " in head else head).rstrip(" ,;/-") + "..."


def evidence_table(evidence: tuple[Evidence, ...]) -> str:
    rows = [f"| {e.reference} | {day(e.when)} | {cut(e.what.replace('|', '/')) or '-'} |" for e in evidence]
    return "\n".join(["| Resource | Date | What |", "|---|---|---|", *rows])


def summary_what(finding: Finding, policy: Policy) -> str:
    """The ``{what}`` of a summary: a phrase chosen from the finding's data, never built by a rule."""
    if finding.rule == "R14":
        return "; ".join(fill(ph.DUPLICATE_PHRASES[k], policy) for k in finding.data.get("kinds", ()))
    if finding.rule == "R12":
        return ph.REVERSE_PHRASES[bool(finding.data.get("blockade"))]
    if finding.rule == "XR":
        return day(finding.data.get("next_dose"))
    if finding.rule == "R6":
        return ph.DETOX_SUMMARY[bool(finding.data.get("in_progress"))]
    if finding.rule == "UNVERIFIED":
        return " and ".join(sorted({ph.KEY_MEANING.get(k, k) for k in finding.data.get("keys", ())}))
    return finding.evidence[0].what if finding.evidence else "the record"


def summary_for(finding: Finding, policy: Policy) -> str:
    template = w.WORDING[finding.rule].summary
    text = finished(template, policy)
    if text is None:
        text = _summary_filled(template, finding, policy)
    return text if len(text) < 140 else text[:136] + "..."


def _summary_filled(template: str, finding: Finding, policy: Policy) -> str:
    first = finding.evidence[0] if finding.evidence else None
    return fill(
        template,
        policy,
        date=day(first.when if first else None),
        days=finding.data.get("days", "?"),
        safe=day(finding.safe_start),
        what=summary_what(finding, policy),
        reason=finding.data.get("reason", "unknown error"),
    )


def _rule_details(finding: Finding, facts: Facts, policy: Policy) -> list[str]:
    """Detail paragraphs particular to one rule."""
    data = finding.data
    if finding.rule == "R9" and data.get("hys_law"):
        return [ph.HYS_LAW]
    if finding.rule == "R12" and data.get("blockade"):
        return [fill(ph.BLOCKADE, policy)]
    if finding.rule == "R6":
        return [_detox_judged(finding, facts, policy)]
    if finding.rule == "R7" and data.get("negatives"):
        return [_not_ruled_out(data, policy)]
    if finding.rule == "R4" and data.get("kept"):
        return [ph.KEPT + "\n".join(_kept_line(k) for k in data["kept"])]
    if data.get("estimates"):  # R1-R3: how each last dose was estimated
        lines = [f"- {reference}: {how or 'as recorded'}" for reference, how in data["estimates"]]
        return [ph.ESTIMATES + "\n".join(lines)]
    if finding.rule == "R13":
        return [fill(ph.HOLD_WINDOW, policy, days=data.get("days"))]
    if finding.rule == "R15":
        return [
            fill(ph.R15_SHORT_COURSE, policy, course=d.course_days)
            if d.state == "short-course"
            else ph.R15_OFF_LABEL
            for d in data.get("drafts", ())
        ]
    if finding.rule == "XR":
        return [ph.ORAL_ON_RECORD if data.get("oral_on_record") else ph.ORAL_NOT_REQUIRED]
    if finding.rule == "CLEAN":
        return [clean_note(facts)]
    if finding.rule == "UNVERIFIED":  # in full: the summary is cut at 140 characters
        reasons = "\n".join(f"- {key}: {reason}" for key, reason in data.get("failed", ()))
        return [fill(ph.NOT_VERIFIED, policy, what=summary_what(finding, policy), reasons=reasons)]
    return []


def _kept_line(kept: Any) -> str:
    """R4: one positive that still counts, the later negative that could not cancel it, and why."""

    def names(analytes: tuple[str, ...]) -> str:
        return ", ".join(ph.OTHER_OPIOID if a == UNNAMED else a for a in analytes)

    reasons = [ph.KEPT_CANNOT.format(analytes=names(kept.undetected))] if kept.undetected else []
    reasons += [ph.KEPT_PARTLY.format(analytes=names(kept.partly))] if kept.partly else []
    return ph.KEPT_LINE.format(
        positive=kept.positive.reference,
        test=kept.positive.what or "opioid test",
        day=day(kept.positive.when),
        negative=kept.negative.reference,
        other=kept.negative.what or "test",
        other_day=day(kept.negative.when),
        why="that test " + " and ".join(reasons) if reasons else ph.KEPT_OUTRANKED,
    )


def _not_ruled_out(data: dict[str, Any], policy: Policy) -> str:
    """R7: the recent negative tests, and the opioids they cannot (or only partly) detect."""
    tests = ", ".join(f"{e.reference}: {e.what or 'opioid test'}, {day(e.when)}" for e in data["negatives"])
    why = [ph.KEPT_CANNOT.format(analytes=", ".join(data["cannot"]))] if data.get("cannot") else []
    why += [ph.KEPT_PARTLY.format(analytes=", ".join(data["partly"]))] if data.get("partly") else []
    return fill(ph.NOT_RULED_OUT, policy, tests=tests, why=" and ".join(why))


def _detox_judged(finding: Finding, facts: Facts, policy: Policy) -> str:
    """R6: the diagnosis and the detox the rule judged, and why the detox does not count."""
    if finding.data.get("in_progress"):
        return ph.DETOX_IN_PROGRESS
    diagnosis, detox = finding.data.get("diagnosis"), finding.data.get("detox")
    if not isinstance(diagnosis, Evidence):
        return ph.DETOX_PROBLEM["none"]
    said = f"{diagnosis.reference} ({diagnosis.what or 'opioid dependence'}, recorded {day(diagnosis.when)})"
    problem = str(finding.data.get("detox_problem", "none"))
    days = facts.days_since(detox.when) if isinstance(detox, Evidence) and detox.when else "?"
    why = fill(ph.DETOX_PROBLEM.get(problem, ph.DETOX_PROBLEM["none"]), policy, days=days)
    if not isinstance(detox, Evidence):
        return f"Judged: {said} - {why}."
    return f"Judged: {said} against the detox {detox.reference} (ended {day(detox.when)}): {why}."


def detail_for(finding: Finding, facts: Facts, policy: Policy) -> str:
    parts = []
    if finding.evidence:
        parts.append("**Found in the record:**\n\n" + evidence_table(finding.evidence))
    if finding.safe_start:
        parts.append(ph.EARLIEST_SAFE_START.format(day=finding.safe_start.isoformat()))
    if "minimum_reached" in finding.data:  # R2
        parts.append(fill(ph.MINIMUM_REACHED, policy, day=day(finding.data["minimum_reached"])))
    if finding.rule in START_BLOCKING:
        parts.append(fill(w.WITHDRAWAL_WARNING, policy))
    parts += _rule_details(finding, facts, policy)
    if facts.alcohol_indication and (finding.rule in START_BLOCKING or finding.rule == "CLEAN"):
        parts.append(ph.ALCOHOL_INDICATION)
    parts.append(fill(w.WORDING[finding.rule].advice, policy, safe=day(finding.safe_start)))
    parts.append(f"Checked on {facts.now.isoformat()}.")
    return "\n\n".join(parts)


def make_card(
    finding: Finding, facts: Facts, policy: Policy, suggestions: list[dict[str, Any]]
) -> dict[str, Any]:
    wording = w.WORDING[finding.rule]
    card: dict[str, Any] = {
        "uuid": new_uuid(),
        "summary": summary_for(finding, policy),
        "indicator": finding.indicator,
        "detail": detail_for(finding, facts, policy),
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
