"""Observations, Conditions, Procedures and Encounters (as views) turned into dated evidence."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from plugin.clinical.facts.model import Evidence
from plugin.clinical.facts.urine_screens import (
    Assay,
    KeptPositive,
    UrineTest,
    assay_of,
    kept_positives,
    load_assays,
    policy_cutoff,
    quantity_result,
    standing_positives,
    text_result,
)
from plugin.clinical.facts.urine_screens import Result as ScreenResult
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import Terminology
from plugin.fhir.clinical import Condition, Observation
from plugin.fhir.clinical import Result as Reading
from plugin.fhir.concepts import LOINC, Coding, Concept

_INACTIVE_CLINICAL = {"inactive", "remission", "resolved"}
_NOT_TRUE = {"refuted", "entered-in-error"}
NOT_RESULTS = frozenset({"entered-in-error", "cancelled"})  # an observation status that is no result
_CHALLENGE = "naloxone-challenge-failed"
_NONE: frozenset[str] = frozenset()


def codings_of(concept: Concept | None) -> tuple[Coding, ...]:
    return concept.codings if concept is not None else ()


class CodeSets:
    """The value sets of each distinct concept of one record, looked up once: a record's identical
    concepts are one object within a hook call (``plugin.fhir.concepts.one_request``), so the views
    that share a code share its answer.  Made per ``build_facts`` call and dropped with it; each entry
    holds its concept, so no id is reused while it lives."""

    def __init__(self, term: Terminology) -> None:
        self.term = term
        self._known: dict[int, tuple[Concept, frozenset[str]]] = {}  # by id: (concept, its sets)

    def of(self, concept: Concept | None) -> frozenset[str]:
        """``term.sets_of(codings_of(concept))``."""
        if concept is None:
            return _NONE
        known = self._known.get(id(concept))
        if known is None:
            known = self._known[id(concept)] = (concept, self.term.sets_of(concept.codings))
        return known[1]


class CodedIndex:
    """Views by the value sets their code is in (the observations with components too, when
    ``walk_observations`` makes it): one terminology lookup per distinct code, then each
    question about the record ("which conditions are opioid dependence?") is a dict lookup, not a
    re-walk."""

    def __init__(
        self, views: Iterable[Observation | Condition], term: Terminology, sets: CodeSets | None = None
    ) -> None:
        self._by_set: dict[str, list[Observation | Condition]] = {}
        self.with_components: list[Observation] = []  # observations: filled by ``walk_observations``
        of = (sets or CodeSets(term)).of
        for view in views:
            if coded := of(view.code):
                self.add(view, coded)

    def add(self, view: Observation | Condition, coded: frozenset[str]) -> None:
        """File ``view`` under the sets its code is in (``coded``)."""
        by_set = self._by_set
        for name in coded:
            found = by_set.get(name)
            if found is None:
                by_set[name] = [view]
            else:
                found.append(view)

    def coded(self, valueset: str) -> list[Any]:
        return self._by_set.get(valueset, [])


def _cutoff(part: Reading, assay: Assay, policy: Policy) -> float | None:
    """The lab's cutoff (referenceRange.high), else the policy cutoff of the analyte (ng/mL)."""
    for r in part.ranges:
        if r.high is not None:
            return r.high.value
    quantity = part.value_quantity
    unit = (quantity.code or quantity.unit) if quantity is not None else ""
    if unit.strip().lower() in ("", "ng/ml", "ug/l", "µg/l"):
        return policy_cutoff(assay, policy)
    return None


def screen_result(part: Reading, term: Terminology, assay: Assay, policy: Policy) -> ScreenResult:
    """Result of one urine test: coded value or interpretation, words, else a quantity against its cutoff."""
    value = part.value_concept
    codings = codings_of(value) + tuple(c for i in part.interpretations for c in i.codings)
    if term.any_in("urine-drug-screen-positive", codings):
        return "positive"
    if term.any_in("urine-drug-screen-negative", codings):
        return "negative"
    words = [str(part.value_boolean).lower()] if part.value_boolean is not None else []
    words += [t for t in (part.value_string, value.words if value is not None else "") if t]
    words += [i.words for i in part.interpretations if i.words]
    for words_said in words:
        if (said := text_result(words_said)) != "unknown":
            return said
    if part.value_quantity is not None:
        return quantity_result(part.value_quantity.value, _cutoff(part, assay, policy))
    return "unknown"


def urine_tests(
    observations: Iterable[Observation], term: Terminology, policy: Policy, now: date | None = None
) -> tuple[list[UrineTest], list[tuple[Observation, str]]]:
    """(every opioid urine test result, (screen, why) for screens with no readable result); panel
    components one by one.

    A screen with no readable result at all (no value, or values of the wrong type) is returned so that
    the answer names it: it may be the positive one.  So is a screen still registered or preliminary
    without a result, undated or within the look-back: the decision waits for it ("result pending").
    """
    assays = load_assays()
    tests: list[UrineTest] = []
    unreadable: list[tuple[Observation, str]] = []
    for obs in observations:
        if obs.status in NOT_RESULTS:
            continue
        for part in (obs.result, *obs.components):
            codings = codings_of(part.code)
            if not term.any_in("opioid-urine-drug-screening", codings):
                continue
            assay = assay_of(((c.system or LOINC, c.code) for c in codings), assays)
            if assay is None:
                continue
            what = part.code.name if part.code is not None else ""
            evidence = Evidence("Observation", obs.id, obs.when, what)
            result = screen_result(part, term, assay, policy)
            tests.append(UrineTest(evidence, assay, result))
            # A result sent in a form that cannot be read (and did not say positive) may hide the
            # positive, whatever the status; a test still pending may be the positive to come.
            pending = not part.has_value and obs.status in ("registered", "preliminary")
            empty = part.value_concept is not None and not part.value_concept.readable and result == "unknown"
            hidden = (not part.has_value and not pending) or (
                (part.damaged or empty) and result != "positive"
            )
            why = "result" if hidden else "result pending" if pending and _recent(obs, now, policy) else ""
            if why and all(o is not obs for o, _ in unreadable):
                unreadable.append((obs, why))
    return tests, unreadable


def _recent(obs: Observation, now: date | None, policy: Policy) -> bool:
    """Undated, or dated within the urine screen look-back (a test pending for months is abandoned)."""
    when = obs.when
    return when is None or now is None or (now - when).days <= policy.urine_screen_lookback_days


def opioid_screens(
    observations: Iterable[Observation], term: Terminology, policy: Policy, now: date
) -> tuple[list[Evidence], list[UrineTest], list[tuple[Observation, str]], list[KeptPositive]]:
    """(positives that still stand, negative tests, (screen, unreadable part), why later negatives did
    not cancel): analyte by analyte (docs/urine-drug-screens.md)."""
    tests, named = urine_tests(observations, term, policy, now)
    unreadable = [o for o, _ in named]
    # A positive without a readable date cannot be placed in the look-back: named, not dropped.
    undated = {t.evidence.resource_id for t in tests if t.result == "positive" and t.evidence.when is None}
    named += [(o, "date") for o in observations if o.id in undated and o not in unreadable]
    standing = standing_positives(tests, now, policy.urine_screen_lookback_days)
    negatives = [t for t in tests if t.result == "negative"]
    return [t.evidence for t in standing], negatives, named, kept_positives(standing, tests)


def _condition_date(condition: Condition) -> date | None:
    known = [d for d in (condition.recorded, condition.onset) if d]
    return max(known) if known else None


def _condition_is_active(condition: Condition) -> bool:
    if condition.verification & _NOT_TRUE:
        return False
    if condition.clinical:
        return not condition.clinical <= _INACTIVE_CLINICAL
    return not condition.abated


def _condition_evidence(c: Condition) -> Evidence:
    return Evidence("Condition", c.id, _condition_date(c), c.code.name if c.code is not None else "")


def conditions_in(conditions: Iterable[Condition], valueset: str, term: Terminology) -> list[Evidence]:
    """Active, not refuted Conditions coded in ``valueset``."""
    return [
        _condition_evidence(c)
        for c in conditions
        if term.any_in(valueset, codings_of(c.code)) and _condition_is_active(c)
    ]


def conditions_ever(conditions: Iterable[Condition], valueset: str, term: Terminology) -> list[Evidence]:
    """Conditions coded in ``valueset`` at any time (remission and resolved count), unless refuted."""
    return [
        _condition_evidence(c)
        for c in conditions
        if term.any_in(valueset, codings_of(c.code)) and not (c.verification & _NOT_TRUE)
    ]


def failed_challenges(
    conditions: Iterable[Condition], term: Terminology, observations: Iterable[Evidence] = ()
) -> list[Evidence]:
    """Failed naloxone challenges: conditions, then the observations whose code or coded value says so
    (``observations``: found by ``walk_observations``)."""
    return conditions_in(conditions, _CHALLENGE, term) + list(observations)
