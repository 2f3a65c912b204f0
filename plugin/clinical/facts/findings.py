"""Observations, Conditions, Procedures and Encounters turned into dated evidence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from plugin.clinical.facts.model import Evidence
from plugin.clinical.facts.urine_screens import (
    Assay,
    Result,
    UrineTest,
    assay_of,
    load_assays,
    policy_cutoff,
    quantity_result,
    standing_positives,
    text_result,
)
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology, normalise_system
from plugin.fhir.dates import effective_date, obj, parse_date, period_end, period_start

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


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _cutoff(part: Mapping[str, Any], assay: Assay, policy: Policy) -> float | None:
    """The lab's cutoff (referenceRange.high), else the policy cutoff of the analyte (ng/mL)."""
    for ranges in (part.get("referenceRange"),):
        for r in ranges if isinstance(ranges, list) else [ranges]:
            high = _number(obj(obj(r).get("high")).get("value"))
            if high is not None:
                return high
    unit = str(obj(part.get("valueQuantity")).get("code") or obj(part.get("valueQuantity")).get("unit") or "")
    if unit.strip().lower() in ("", "ng/ml", "ug/l", "µg/l"):
        return policy_cutoff(assay, policy)
    return None


def screen_result(part: Mapping[str, Any], term: Terminology, assay: Assay, policy: Policy) -> Result:
    """Result of one urine test: coded value or interpretation, words, else a quantity against its cutoff."""
    interpretations = part.get("interpretation")
    interpretations = interpretations if isinstance(interpretations, list) else [interpretations]
    value = part.get("valueCodeableConcept")
    codings = codings_of(value) + [c for i in interpretations for c in codings_of(i)]
    if term.any_in("urine-drug-screen-positive", codings):
        return "positive"
    if term.any_in("urine-drug-screen-negative", codings):
        return "negative"
    boolean = part.get("valueBoolean")
    words = [str(boolean).lower()] if isinstance(boolean, bool) else []
    words += [t for t in (part.get("valueString"), _concept_text(value)) if isinstance(t, str)]
    for text in words:
        if (said := text_result(text)) != "unknown":
            return said
    amount = _number(obj(part.get("valueQuantity")).get("value"))
    if amount is not None:
        return quantity_result(amount, _cutoff(part, assay, policy))
    return "unknown"


def urine_tests(observations: Iterable[dict[str, Any]], term: Terminology, policy: Policy) -> list[UrineTest]:
    """Every opioid urine test result; panel components are read one by one."""
    assays = load_assays()
    tests: list[UrineTest] = []
    for obs in observations:
        if obs.get("status") in ("entered-in-error", "cancelled"):
            continue
        parts = [obs] + [c for c in obs.get("component") or [] if isinstance(c, dict)]
        for part in parts:
            codings = codings_of(part.get("code"))
            if not term.any_in("opioid-urine-drug-screening", codings):
                continue
            assay = assay_of(
                ((normalise_system(c.get("system")), str(c.get("code"))) for c in codings), assays
            )
            if assay is None:
                continue
            evidence = Evidence(
                "Observation",
                str(obs.get("id") or ""),
                effective_date(obs),  # only for screens: most observations are other tests
                _concept_text(part.get("code")).strip(),
            )
            tests.append(UrineTest(evidence, assay, screen_result(part, term, assay, policy)))
    return tests


def opioid_screens(
    observations: Iterable[dict[str, Any]], term: Terminology, policy: Policy, now: date
) -> tuple[list[Evidence], list[Evidence]]:
    """(positives that still stand, negatives): analyte by analyte (docs/urine-drug-screens.md)."""
    tests = urine_tests(observations, term, policy)
    standing = standing_positives(tests, now, policy.urine_screen_lookback_days)
    return [t.evidence for t in standing], [t.evidence for t in tests if t.result == "negative"]


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
