"""Which medicine an order/record entry is, and when its last dose probably was (from the views)."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from datetime import date

from plugin.clinical.facts.model import Evidence, NaltrexoneForm, OpioidClass, OpioidExposure
from plugin.clinical.facts.supply import estimate
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology
from plugin.fhir.concepts import Coding, Concept
from plugin.fhir.medications import Drug, MedicationUse

IGNORED_STATUS = {
    "MedicationRequest": {"entered-in-error", "cancelled", "draft"},
    "MedicationOrder": {"entered-in-error", "cancelled", "draft"},
    "MedicationDispense": {"entered-in-error", "cancelled", "declined"},
    "MedicationStatement": {"entered-in-error", "not-taken"},
    "MedicationAdministration": {"entered-in-error", "not-done"},
}
ONGOING_STATUS = {
    "MedicationRequest": {"active", "on-hold"},
    "MedicationOrder": {"active", "on-hold"},
    "MedicationDispense": {"in-progress", "preparation"},
    "MedicationStatement": {"active", "intended"},
    "MedicationAdministration": {"in-progress"},
}
ORDER_TYPES = frozenset({"MedicationRequest", "MedicationOrder"})
# Most specific first: the XR buprenorphine products are also buprenorphine.
_OPIOID_SETS: tuple[tuple[str, OpioidClass], ...] = (
    ("buprenorphine-extended-release-injectable", "xr-buprenorphine"),
    ("opioid-long-acting", "long-acting"),
    ("opioid-short-acting", "short-acting"),
)

# The sets whose keywords can make a text a naltrexone or an opioid (``_classify_text``).
TEXT_SETS = frozenset({"naltrexone-ingredient", "naltrexone-bupropion", *(n for n, _ in _OPIOID_SETS)})

Medicine = tuple[str, str]  # ("naltrexone", NaltrexoneForm) | ("opioid", OpioidClass)


# Code-first classification, in order: the first set holding one of the codings decides.
_BY_CODE: tuple[tuple[str, Medicine], ...] = (
    ("naltrexone-bupropion", ("naltrexone", "bupropion-combination")),
    ("naltrexone-xr-injectable", ("naltrexone", "xr-injectable")),
    ("naltrexone-oral", ("naltrexone", "oral")),
    *((name, ("opioid", opioid_class)) for name, opioid_class in _OPIOID_SETS),
)


def _route_codings(routes: Iterable[Concept]) -> list[Coding]:
    return [c for route in routes for c in route.codings]


Routes = Iterable[Concept] | Callable[[], Iterable[Concept]]  # a callable: read only when needed


def _naltrexone_form(text: str, given: Routes, term: Terminology) -> NaltrexoneForm:
    routes = tuple(given() if callable(given) else given)
    if term.any_in("route-intramuscular", _route_codings(routes)) or term.mentions(
        "naltrexone-xr-injectable", " ".join([text, *(r.words for r in routes)])
    ):
        return "xr-injectable"
    return "oral"


def classify_drug(drug: Drug, term: Terminology, routes: Routes = ()) -> Medicine | None:
    """Naltrexone form or opioid class of a drug, by code first and by text only as a last resort."""
    coded = term.sets_of(drug.codings)
    if coded:
        for name, medicine in _BY_CODE:
            if name in coded:
                return medicine
    return classify_coded(coded, drug.words, term, routes)


def classify_medicine(
    codings: Iterable[Coding | dict[str, object]],
    text: str,
    term: Terminology,
    routes: Iterable[Concept] = (),
) -> Medicine | None:
    """``classify_drug`` of loose codings and text."""
    return classify_coded(term.sets_of(codings), text, term, routes)


def classify_coded(
    coded: frozenset[str],
    text: str,
    term: Terminology,
    routes: Routes = (),
    mentioned: frozenset[str] | None = None,
) -> Medicine | None:
    """``classify_drug`` of codings already looked up (``coded`` = ``term.sets_of(codings)``;
    ``mentioned``, when given, holds at least ``term.mentioned_among(TEXT_SETS, text)``)."""
    if not coded and text:
        coded = term.displayed_sets(text)  # no known code, but the text is a product's display
    if coded:
        for name, medicine in _BY_CODE:
            if name in coded:
                return medicine
        if "naltrexone-ingredient" in coded:
            return ("naltrexone", _naltrexone_form(text, routes, term))
    return _classify_text(text, term, routes, mentioned)


def _classify_text(
    text: str, term: Terminology, routes: Routes, mentioned: frozenset[str] | None = None
) -> Medicine | None:
    if not text:
        return None
    if mentioned is None:
        mentioned = term.mentioned_among(TEXT_SETS, text)
    if not mentioned:
        return None
    naltrexone = "naltrexone-ingredient" in mentioned
    if naltrexone and "naltrexone-bupropion" in mentioned:
        return ("naltrexone", "bupropion-combination")
    # Opioid names win over naltrexone: morphine/naltrexone (Embeda) is an opioid (docs/clinical-rules.md).
    for name, opioid_class in _OPIOID_SETS:
        if name in mentioned:
            return ("opioid", opioid_class)
    if naltrexone:
        return ("naltrexone", _naltrexone_form(text, routes, term))
    return None


def last_dose(use: MedicationUse, policy: Policy) -> date | None:
    """The estimated day of the last dose an entry documents; None when it carries no readable date."""
    found = estimate(use, policy.default_supply_days)
    return found.last_dose if found else None


def started(use: MedicationUse) -> date | None:
    return use.authored or use.handed_over or use.effective.start or use.effective_at


def is_ignored(use: MedicationUse) -> bool:
    return use.status in IGNORED_STATUS.get(use.kind, ())


def is_ongoing(use: MedicationUse) -> bool:
    return use.status in ONGOING_STATUS.get(use.kind, ())


def opioid_exposure(
    use: MedicationUse, opioid_class: OpioidClass, policy: Policy, filled: Container[str] = frozenset()
) -> OpioidExposure | None:
    """The exposure one record entry documents, or None when it documents none (or no date: the
    caller names it as unreadable).  Every exposure says how its last dose was estimated."""
    if is_ignored(use):
        return None
    if is_ongoing(use):
        evidence = Evidence(use.kind, use.id, started(use), use.drug.name)
        return OpioidExposure(evidence, opioid_class, None, True, how=f"{use.kind} {use.status}: ongoing")
    found = estimate(use, policy.default_supply_days, filled)
    if found is None:
        return None
    evidence = Evidence(use.kind, use.id, found.last_dose, use.drug.name)
    return OpioidExposure(evidence, opioid_class, found.last_dose, False, how=found.how)
