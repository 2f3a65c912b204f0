"""Urine drug tests, analyte by analyte: what each result means and which positives still stand.

A test's LOINC code says which opioids it can detect (reliably, or only partly) and whether it is a
confirmation; that knowledge is data (fhir_profiles/conceptmaps/urine-drug-test-analytes.json, sources in
docs/urine-drug-screens.md).  A later negative cancels only the positives it could have detected; a
confirmation outranks a screen of the same day.  Positive: a positive/detected/present value or text,
an interpretation POS/DET/A/H, or a quantity at or above the cutoff (the result's reference range, else
the policy's cutoff for the analyte).  "Possible", "inconclusive" and the like are not results.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from plugin.clinical.facts.model import Evidence
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import PROFILES_DIR

Result = Literal["positive", "negative", "unknown"]
CONCEPT_MAP = PROFILES_DIR / "conceptmaps" / "urine-drug-test-analytes.json"
_CONFIRMATION = "confirmation"
UNNAMED = "other-opioid"  # the map's analyte for opioids it does not name one by one


@dataclass(frozen=True)
class Assay:
    """What one urine test can detect."""

    code: str  # the test's code in the map
    detects: frozenset[str]  # reliably
    partly: frozenset[str]  # only partly or variably
    confirmation: bool

    @property
    def could_detect(self) -> frozenset[str]:
        return self.detects | self.partly


@dataclass(frozen=True)
class UrineTest:
    """One read urine drug test result (an Observation or one of its components)."""

    evidence: Evidence
    assay: Assay
    result: Result


@cache
def load_assays(path: Path = CONCEPT_MAP) -> Mapping[tuple[str, str], Assay]:
    """(system, code) -> Assay from the ConceptMap."""
    data = json.loads(path.read_text())
    out: dict[tuple[str, str], Assay] = {}
    for group in data.get("group", []):
        for element in group.get("element", []):
            targets = element.get("target", [])
            out[(group["source"], element["code"])] = Assay(
                element["code"],
                frozenset(t["code"] for t in targets if t.get("equivalence") == "equivalent"),
                frozenset(t["code"] for t in targets if t.get("equivalence") == "inexact"),
                any(p.get("value") == _CONFIRMATION for t in targets for p in t.get("product", [])),
            )
    return out


def assay_of(codings: Iterable[tuple[str, str]], assays: Mapping[tuple[str, str], Assay]) -> Assay | None:
    """The first coding the map knows (local codes before LOINC are skipped)."""
    for key in codings:
        found = assays.get(key)
        if found is not None:
            return found
    return None


# Hedged wording is not a result ("possible opiate presence", "equivocal"); a leading result word with a
# note after it still is ("Positive, confirmation pending", "Negative - see comment").
_HEDGED = re.compile(r"\b(possible|possibly|inconclusive|indeterminate|equivocal|invalid|borderline)\b")
_NEGATIVE = re.compile(
    r"^\s*(neg(ative)?|not detected|none detected|not present|absent|non-?reactive|false|no)\b"
)
_POSITIVE = re.compile(
    r"^\s*((presumptive(ly)?|preliminary|confirmed)\s+)?(pos(itive)?|detected|present|reactive|true|yes)\b"
)


def text_result(text: str) -> Result:
    """A result written as words: 'POS', 'Presumptive positive', 'Detected', 'true', 'Negative (cutoff…)'."""
    lowered = text.strip().lower()
    if not lowered or _HEDGED.search(lowered):
        return "unknown"
    if _NEGATIVE.search(lowered):
        return "negative"
    if _POSITIVE.search(lowered):
        return "positive"
    return "unknown"


def quantity_result(value: float, cutoff: float | None) -> Result:
    """At or above the cutoff is positive, below it negative; no cutoff known: unknown."""
    if cutoff is None or cutoff <= 0:
        return "unknown"
    return "positive" if value >= cutoff else "negative"


def policy_cutoff(assay: Assay, policy: Policy) -> float | None:
    """The policy cutoff (ng/mL) of the analytes the test names reliably; several: the highest."""
    known = [
        cutoff
        for analyte in assay.detects
        if isinstance(cutoff := getattr(policy, f"urine_cutoff_{analyte}_ng_ml", None), float)
    ]
    return max(known) if known else None


def _cancels(negative: UrineTest, positive: UrineTest) -> bool:
    """A negative cancels a positive it could have detected, when it is the later (or outranking) test."""
    neg_day, pos_day = negative.evidence.when, positive.evidence.when
    if neg_day is None or pos_day is None or neg_day < pos_day:
        return False
    if neg_day == pos_day and not (negative.assay.confirmation and not positive.assay.confirmation):
        return False  # same day: only a confirmation outranks a screen
    pos, neg = positive.assay, negative.assay
    if pos.code == neg.code:
        return True
    if UNNAMED in pos.could_detect:  # "another opioid": only the same test can rule it out again
        return False
    same_kind = (pos.detects, pos.partly) == (neg.detects, neg.partly)
    return same_kind or pos.could_detect <= neg.detects


def standing_positives(tests: Iterable[UrineTest], now: date, lookback_days: int) -> list[UrineTest]:
    """Positives within the look-back that no later (or outranking) negative could have cancelled."""
    tests = list(tests)
    negatives = [t for t in tests if t.result == "negative"]
    return [
        t
        for t in tests
        if t.result == "positive"
        and t.evidence.when is not None
        and 0 <= (now - t.evidence.when).days <= lookback_days
        and not any(_cancels(n, t) for n in negatives)
    ]


@dataclass(frozen=True)
class KeptPositive:
    """A positive that a later (or same-day) negative did not cancel, and why (shown on the R4 card)."""

    positive: Evidence
    negative: Evidence
    undetected: tuple[str, ...]  # opioids the positive test could find that the negative test cannot
    partly: tuple[str, ...] = ()  # ... that the negative test detects only partly or variably


def kept_positives(standing: Iterable[UrineTest], tests: Iterable[UrineTest]) -> list[KeptPositive]:
    """For each standing positive, the negatives on or after its day that could not cancel it."""
    negatives = [t for t in tests if t.result == "negative" and t.evidence.when is not None]
    out = []
    for p in standing:
        for n in negatives:
            if (
                p.evidence.when is not None
                and n.evidence.when is not None
                and n.evidence.when >= p.evidence.when
            ):
                missing = p.assay.could_detect - n.assay.detects
                out.append(
                    KeptPositive(
                        p.evidence,
                        n.evidence,
                        tuple(sorted(missing - n.assay.partly)),
                        tuple(sorted(missing & n.assay.partly)),
                    )
                )
    return out
