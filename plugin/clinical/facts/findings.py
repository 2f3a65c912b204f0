"""Observations, Conditions, Procedures and Encounters turned into dated evidence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Literal

from plugin.clinical.facts.model import Evidence
from plugin.clinical.terminology import Terminology
from plugin.fhir.dates import effective_date, parse_date, period_end, period_start

Result = Literal["positive", "negative", "unknown"]
_INACTIVE_CLINICAL = {"inactive", "remission", "resolved"}
_NOT_TRUE = {"refuted", "entered-in-error"}


def codings_of(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def _concept_text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    return " ".join(
        [str(concept.get("text") or "")] + [str(c.get("display") or "") for c in codings_of(concept)]
    )


def _text_result(text: str) -> Result:
    text = text.strip().lower()
    if text.startswith(("pos", "detected", "present", "reactive")):
        return "positive"
    if text.startswith(("neg", "not detected", "none detected", "absent", "non-reactive", "nonreactive")):
        return "negative"
    return "unknown"


def screen_result(part: Mapping[str, Any], term: Terminology) -> Result:
    """Result of one urine test: valueString, valueCodeableConcept or interpretation."""
    value = part.get("valueCodeableConcept")
    interpretations = [c for i in part.get("interpretation") or [] for c in codings_of(i)]
    codings = codings_of(value) + interpretations
    if term.any_in("urine-drug-screen-positive", codings):
        return "positive"
    if term.any_in("urine-drug-screen-negative", codings):
        return "negative"
    for text in (part.get("valueString"), _concept_text(value)):
        if isinstance(text, str) and _text_result(text) != "unknown":
            return _text_result(text)
    return "unknown"


def opioid_screens(
    observations: Iterable[dict[str, Any]], term: Terminology
) -> tuple[list[Evidence], list[Evidence]]:
    """(positive, negative) opioid urine screens; panel components are read one by one."""
    positive: list[Evidence] = []
    negative: list[Evidence] = []
    for obs in observations:
        if obs.get("status") in ("entered-in-error", "cancelled"):
            continue
        parts = [obs] + [c for c in obs.get("component") or [] if isinstance(c, dict)]
        for part in parts:
            if not term.any_in("opioid-urine-drug-screening", codings_of(part.get("code"))):
                continue
            result = screen_result(part, term)
            evidence = Evidence(
                "Observation",
                str(obs.get("id") or ""),
                effective_date(obs),  # only for screens: most observations are other tests
                _concept_text(part.get("code")).strip(),
            )
            if result == "positive":
                positive.append(evidence)
            elif result == "negative":
                negative.append(evidence)
    return positive, negative


def _condition_date(condition: Mapping[str, Any]) -> date | None:
    dates = [
        parse_date(condition.get("recordedDate")),
        parse_date(condition.get("onsetDateTime")),
        period_start(condition.get("onsetPeriod")),
    ]
    known = [d for d in dates if d]
    return max(known) if known else None


def _condition_is_active(condition: Mapping[str, Any]) -> bool:
    clinical = {str(c.get("code")) for c in codings_of(condition.get("clinicalStatus"))}
    verification = {str(c.get("code")) for c in codings_of(condition.get("verificationStatus"))}
    if verification & _NOT_TRUE:
        return False
    if clinical:
        return not clinical <= _INACTIVE_CLINICAL
    return not (condition.get("abatementDateTime") or condition.get("abatementPeriod"))


def conditions_in(conditions: Iterable[dict[str, Any]], valueset: str, term: Terminology) -> list[Evidence]:
    """Active, not refuted Conditions coded in ``valueset``."""
    return [
        Evidence(
            "Condition", str(c.get("id") or ""), _condition_date(c), _concept_text(c.get("code")).strip()
        )
        for c in conditions
        if term.any_in(valueset, codings_of(c.get("code"))) and _condition_is_active(c)
    ]


def conditions_ever(conditions: Iterable[dict[str, Any]], valueset: str, term: Terminology) -> list[Evidence]:
    """Conditions coded in ``valueset`` at any time (remission and resolved count), unless refuted."""
    out = []
    for c in conditions:
        verification = {str(x.get("code")) for x in codings_of(c.get("verificationStatus"))}
        if verification & _NOT_TRUE or not term.any_in(valueset, codings_of(c.get("code"))):
            continue
        out.append(
            Evidence(
                "Condition", str(c.get("id") or ""), _condition_date(c), _concept_text(c.get("code")).strip()
            )
        )
    return out


def failed_challenges(
    observations: Iterable[dict[str, Any]], conditions: Iterable[dict[str, Any]], term: Terminology
) -> list[Evidence]:
    out = conditions_in(conditions, "naloxone-challenge-failed", term)
    for obs in observations:
        if obs.get("status") in ("entered-in-error", "cancelled"):
            continue
        codings = codings_of(obs.get("code")) + codings_of(obs.get("valueCodeableConcept"))
        if term.any_in("naloxone-challenge-failed", codings):
            out.append(
                Evidence("Observation", str(obs.get("id") or ""), effective_date(obs), "naloxone challenge")
            )
    return out


def completed_detox(
    procedures: Iterable[dict[str, Any]], encounters: Iterable[dict[str, Any]], term: Terminology
) -> list[Evidence]:
    """Completed detoxification; ``when`` is the day it ended."""
    out = []
    for p in procedures:
        if p.get("status") == "completed" and term.any_in("opioid-detoxification", codings_of(p.get("code"))):
            end = period_end(p.get("performedPeriod")) or parse_date(p.get("performedDateTime"))
            out.append(
                Evidence("Procedure", str(p.get("id") or ""), end, _concept_text(p.get("code")).strip())
            )
    for e in encounters:
        types = [c for t in e.get("type") or [] for c in codings_of(t)]
        if e.get("status") == "finished" and term.any_in("opioid-detoxification", types):
            out.append(
                Evidence("Encounter", str(e.get("id") or ""), period_end(e.get("period")), "detox encounter")
            )
    return out
