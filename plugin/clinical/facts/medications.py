"""Which medicine an order/record entry is, and when its last dose probably was."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from plugin.clinical.facts.model import Evidence, NaltrexoneForm, OpioidClass, OpioidExposure
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology
from plugin.fhir.dates import (
    duration_days,
    effective_date,
    obj,
    parse_date,
    period_end,
    period_start,
    plus_days,
    supply_days,
)

IGNORED_STATUS = {
    "MedicationRequest": {"entered-in-error", "cancelled", "draft"},
    "MedicationDispense": {"entered-in-error", "cancelled", "declined"},
    "MedicationStatement": {"entered-in-error", "not-taken"},
    "MedicationAdministration": {"entered-in-error", "not-done"},
}
ONGOING_STATUS = {
    "MedicationRequest": {"active", "on-hold"},
    "MedicationDispense": {"in-progress", "preparation"},
    "MedicationStatement": {"active", "intended"},
    "MedicationAdministration": {"in-progress"},
}
# Most specific first: the XR buprenorphine products are also buprenorphine.
_OPIOID_SETS: tuple[tuple[str, OpioidClass], ...] = (
    ("buprenorphine-extended-release-injectable", "xr-buprenorphine"),
    ("opioid-long-acting", "long-acting"),
    ("opioid-short-acting", "short-acting"),
)

Medicine = tuple[str, str]  # ("naltrexone", NaltrexoneForm) | ("opioid", OpioidClass)


# Code-first classification, in order: the first set holding one of the codings decides.
_BY_CODE: tuple[tuple[str, Medicine], ...] = (
    ("naltrexone-bupropion", ("naltrexone", "bupropion-combination")),
    ("naltrexone-xr-injectable", ("naltrexone", "xr-injectable")),
    ("naltrexone-oral", ("naltrexone", "oral")),
    *((name, ("opioid", opioid_class)) for name, opioid_class in _OPIOID_SETS),
)


def _naltrexone_form(text: str, routes: Iterable[dict[str, Any]], term: Terminology) -> NaltrexoneForm:
    if term.any_in("route-intramuscular", routes) or term.mentions("naltrexone-xr-injectable", text):
        return "xr-injectable"
    return "oral"


def classify_medicine(
    codings: Iterable[dict[str, Any]], text: str, term: Terminology, routes: Iterable[dict[str, Any]] = ()
) -> Medicine | None:
    """Naltrexone form or opioid class, by code first and by text only as a last resort."""
    return classify_coded(term.sets_of(codings), text, term, routes)


def classify_coded(
    coded: frozenset[str], text: str, term: Terminology, routes: Iterable[dict[str, Any]] = ()
) -> Medicine | None:
    """``classify_medicine`` of codings already looked up (``coded`` = ``term.sets_of(codings)``)."""
    if coded:
        for name, medicine in _BY_CODE:
            if name in coded:
                return medicine
        if "naltrexone-ingredient" in coded:
            return ("naltrexone", _naltrexone_form(text, routes, term))
    return _classify_text(text, term, routes)


def _classify_text(text: str, term: Terminology, routes: Iterable[dict[str, Any]]) -> Medicine | None:
    if not text:
        return None
    mentioned = term.mentioned_sets(text)
    if not mentioned:
        return None
    naltrexone = "naltrexone-ingredient" in mentioned
    if naltrexone and "naltrexone-bupropion" in mentioned:
        return ("naltrexone", "bupropion-combination")
    # Opioid names win over naltrexone: morphine/naltrexone (Embeda) is an opioid (clinical_rules.md 1.9).
    for name, opioid_class in _OPIOID_SETS:
        if name in mentioned:
            return ("opioid", opioid_class)
    if naltrexone:
        return ("naltrexone", _naltrexone_form(text, routes, term))
    return None


def routes_of(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    routes: list[dict[str, Any]] = []
    for dosage in resource.get("dosageInstruction") or resource.get("dosage") or []:
        if isinstance(dosage, dict) and isinstance(dosage.get("route"), dict):
            routes.extend(c for c in dosage["route"].get("coding") or [] if isinstance(c, dict))
    return routes


def medication_parts(
    resource: Mapping[str, Any], medications: Mapping[str, dict[str, Any]]
) -> tuple[list, str]:
    """(codings, text) of a medication resource's drug: concept, contained or referenced Medication."""
    concept = resource.get("medicationCodeableConcept")
    ref = resource.get("medicationReference")
    display = ""
    if not isinstance(concept, dict) and isinstance(ref, dict):
        target = str(ref.get("reference") or "")
        display = str(ref.get("display") or "")
        medication = None
        if target.startswith("#"):
            medication = next(
                (
                    c
                    for c in resource.get("contained") or []
                    if isinstance(c, dict) and c.get("id") == target[1:]
                ),
                None,
            )
        elif target:
            medication = medications.get("/".join(target.rstrip("/").split("/")[-2:]))
        concept = medication.get("code") if isinstance(medication, dict) else None
    if not isinstance(concept, dict):
        return [], display
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    texts = [str(concept.get("text") or ""), display] + [str(c.get("display") or "") for c in codings]
    return codings, " ".join(t for t in texts if t)


def _request_supply_end(mr: Mapping[str, Any], policy: Policy) -> date | None:
    """authoredOn + expected supply (x fills), else the validity period end, else a default supply."""
    dispense = obj(mr.get("dispenseRequest"))
    start = parse_date(mr.get("authoredOn")) or period_start(dispense.get("validityPeriod"))
    supply = supply_days(dispense)
    if start and supply is not None:
        return plus_days(start, supply)
    end = period_end(dispense.get("validityPeriod"))
    for dosage in mr.get("dosageInstruction") or []:
        repeat = obj(obj(obj(dosage).get("timing")).get("repeat"))
        end = end or period_end(repeat.get("boundsPeriod"))
        bounds = duration_days(repeat.get("boundsDuration"))
        if start and bounds is not None:
            end = end or plus_days(start, bounds)
    if end:
        return end
    return plus_days(start, policy.default_supply_days) if start else None


def _last_dose(resource: Mapping[str, Any], policy: Policy) -> date | None:
    kind = resource.get("resourceType")
    if kind == "MedicationRequest":
        return _request_supply_end(resource, policy)
    if kind == "MedicationDispense":
        handed = parse_date(resource.get("whenHandedOver")) or parse_date(resource.get("whenPrepared"))
        supply = duration_days(resource.get("daysSupply"))
        if handed is None:
            return None
        return plus_days(handed, supply if supply is not None else policy.default_supply_days)
    if kind == "MedicationStatement":
        return effective_date(resource) or parse_date(resource.get("dateAsserted"))
    return effective_date(resource)


def _started(resource: Mapping[str, Any]) -> date | None:
    return (
        parse_date(resource.get("authoredOn"))
        or parse_date(resource.get("whenHandedOver"))
        or period_start(resource.get("effectivePeriod"))
        or parse_date(resource.get("effectiveDateTime"))
    )


def opioid_exposure(
    resource: Mapping[str, Any], opioid_class: OpioidClass, what: str, policy: Policy
) -> OpioidExposure | None:
    """The exposure one record entry documents, or None when it documents none."""
    kind = str(resource.get("resourceType"))
    status = str(resource.get("status") or "")
    if status in IGNORED_STATUS.get(kind, ()):
        return None
    ongoing = status in ONGOING_STATUS.get(kind, ())
    last = None if ongoing else _last_dose(resource, policy)
    if not ongoing and last is None:
        return None
    when = _started(resource) if ongoing else last
    evidence = Evidence(kind, str(resource.get("id") or ""), when, what)
    return OpioidExposure(evidence, opioid_class, last, ongoing)
