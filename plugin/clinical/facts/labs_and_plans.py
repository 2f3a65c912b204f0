"""Liver tests (R9, R10) and planned surgery (R13) read from the record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Literal

from plugin.clinical.facts.findings import codings_of
from plugin.clinical.facts.model import Evidence, LabResult
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology
from plugin.fhir.dates import effective_date, parse_date, period_start

LabTest = Literal["alt", "ast", "bilirubin"]
_LAB_SETS: tuple[tuple[str, LabTest], ...] = (
    ("alanine-aminotransferase", "alt"),
    ("aspartate-aminotransferase", "ast"),
    ("bilirubin-total", "bilirubin"),
)
_MICROMOLAR = {"umol/l", "µmol/l", "micromol/l"}
_NOT_RESULTS = {"entered-in-error", "cancelled", "registered"}
# Statuses of a scheduled, not yet done, surgery (FHIR R4 value sets of each resource).
PLANNED_STATUS = {
    "ServiceRequest": {"draft", "active", "on-hold"},
    "Procedure": {"preparation", "in-progress"},
    "Appointment": {"proposed", "pending", "booked", "arrived", "checked-in", "waitlist"},
}


def _uln(obs: Mapping[str, Any], test: LabTest, unit: str, policy: Policy) -> tuple[float, bool]:
    for rng in obs.get("referenceRange") or []:
        high = rng.get("high") if isinstance(rng, dict) else None
        if isinstance(high, dict) and isinstance(high.get("value"), (int, float)) and high["value"] > 0:
            return float(high["value"]), True
    if test == "alt":
        return policy.alt_uln_default, False
    if test == "ast":
        return policy.ast_uln_default, False
    if unit.lower() in _MICROMOLAR:
        return policy.bilirubin_uln_umol_l_default, False
    return policy.bilirubin_uln_mg_dl_default, False


def liver_tests(observations: Iterable[dict[str, Any]], policy: Policy, term: Terminology) -> list[LabResult]:
    """ALT, AST and total bilirubin results with a numeric value; ULN from referenceRange.high."""
    out = []
    for obs in observations:
        if obs.get("status") in _NOT_RESULTS:
            continue
        coded = term.sets_of(codings_of(obs.get("code")))
        test = next((t for name, t in _LAB_SETS if name in coded), None)
        quantity = obs.get("valueQuantity")
        if test is None or not isinstance(quantity, dict):
            continue
        value = quantity.get("value")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        unit = str(quantity.get("unit") or quantity.get("code") or "")
        uln, from_range = _uln(obs, test, unit, policy)
        what = f"{test.upper()} {value:g} {unit} = {value / uln:.1f} x ULN {uln:g}" + (
            "" if from_range else " (default ULN)"
        )
        evidence = Evidence("Observation", str(obs.get("id") or ""), effective_date(obs), what)
        out.append(LabResult(evidence, test, float(value), uln, from_range))
    return out


def _concepts(resource: Mapping[str, Any]) -> list[Any]:
    concepts: list[Any] = [resource.get("code"), resource.get("appointmentType")]
    for key in ("category", "serviceCategory", "serviceType", "specialty", "reasonCode"):
        value = resource.get(key)
        concepts += value if isinstance(value, list) else [value]
    return [c for c in concepts if isinstance(c, dict)]


def _is_surgery(resource: Mapping[str, Any], term: Terminology) -> bool:
    concepts = _concepts(resource)
    if term.any_in("surgical-procedure", [c for concept in concepts for c in codings_of(concept)]):
        return True
    texts = [str(c.get("text") or "") for c in concepts] + [str(resource.get("description") or "")]
    texts += [str(c.get("display") or "") for concept in concepts for c in codings_of(concept)]
    return term.mentions("surgical-procedure", " ".join(texts))


def _scheduled_day(resource: Mapping[str, Any]) -> date | None:
    requested = resource.get("requestedPeriod")
    first_requested = requested[0] if isinstance(requested, list) and requested else None
    return (
        parse_date(resource.get("occurrenceDateTime"))
        or period_start(resource.get("occurrencePeriod"))
        or parse_date(resource.get("performedDateTime"))
        or period_start(resource.get("performedPeriod"))
        or parse_date(resource.get("start"))
        or period_start(first_requested)
    )


def planned_surgery(
    resources_by_type: Mapping[str, Iterable[dict[str, Any]]], now: date, term: Terminology
) -> list[Evidence]:
    """Surgery scheduled today or later (ServiceRequest, Procedure, Appointment); undated ones are skipped."""
    out = []
    for kind, statuses in PLANNED_STATUS.items():
        for resource in resources_by_type.get(kind, ()):
            if resource.get("status") not in statuses or not _is_surgery(resource, term):
                continue
            day = _scheduled_day(resource)
            if day is None or day < now:
                continue
            what = " ".join(
                str(c.get("text") or next((x.get("display") for x in codings_of(c)), "") or "")
                for c in _concepts(resource)[:1]
            ) or str(resource.get("description") or "surgery")
            out.append(Evidence(kind, str(resource.get("id") or ""), day, what.strip() or "surgery"))
    return out
