"""Value sets from fhir_profiles/valuesets, loaded once; membership tests by (system, code).

Python names value sets by id (e.g. ``"opioid-short-acting"``), never by code.  Text matching
(the last resort for free-text medications) uses the displays and designations of the small
ingredient-level sets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

PROFILES_DIR = Path(__file__).resolve().parent.parent / "fhir_profiles"

# Code systems are written several ways in the wild; fold the common aliases.
_SYSTEM_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.88": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "http://www.nlm.nih.gov/research/umls/rxnorm/": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "urn:oid:2.16.840.1.113883.6.96": "http://snomed.info/sct",
    "urn:oid:2.16.840.1.113883.6.1": "http://loinc.org",
    "urn:oid:2.16.840.1.113883.6.90": "http://hl7.org/fhir/sid/icd-10-cm",
    "http://hl7.org/fhir/sid/icd-10": "http://hl7.org/fhir/sid/icd-10-cm",
}


_DIGIT = re.compile(r"\d")


def normalise_system(system: object) -> str:
    """The canonical URL of a code system; anything that is not a string (bad input) is no system."""
    system = system.strip() if isinstance(system, str) else ""
    return _SYSTEM_ALIASES.get(system, system)


@dataclass(frozen=True)
class Coded:
    system: str
    code: str
    display: str


class Terminology:
    """All value sets of one directory, indexed for O(1) membership."""

    def __init__(self, valuesets: Iterable[dict[str, Any]]) -> None:
        self._sets: dict[str, dict[str, Any]] = {}
        self._index: dict[str, frozenset[tuple[str, str]]] = {}
        self._keywords: dict[str, re.Pattern[str]] = {}
        for vs in valuesets:
            contains = vs.get("expansion", {}).get("contains", [])
            self._sets[vs["id"]] = vs
            self._index[vs["id"]] = frozenset((normalise_system(c["system"]), c["code"]) for c in contains)
            # Keywords: designations, plus displays without digits (ingredient-level names).
            words = {d["value"].lower() for c in contains for d in c.get("designation", [])}
            words |= {
                c["display"].lower() for c in contains if c.get("display") and not _DIGIT.search(c["display"])
            }
            if words:
                alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                self._keywords[vs["id"]] = re.compile(rf"\b({alternatives})\b")

    @property
    def names(self) -> list[str]:
        return sorted(self._sets)

    def url(self, name: str) -> str:
        return str(self._sets[name]["url"])

    def contains(self, name: str, system: str | None, code: str | None) -> bool:
        return (normalise_system(system), (code or "").strip()) in self._index[name]

    def any_in(self, name: str, codings: Iterable[dict[str, Any]]) -> bool:
        index = self._index[name]
        return any(
            (normalise_system(c.get("system")), str(c.get("code", "")).strip()) in index for c in codings
        )

    def mentions(self, name: str, text: str) -> bool:
        """True when free text names a keyword (designation) of the value set."""
        pattern = self._keywords.get(name)
        return bool(pattern and pattern.search(text.lower()))

    def first(self, name: str) -> Coded:
        """The set's first concept: by convention the product used in suggestions."""
        c = self._sets[name]["expansion"]["contains"][0]
        return Coded(c["system"], c["code"], c.get("display", ""))

    def codes(self, name: str) -> list[Coded]:
        return [
            Coded(c["system"], c["code"], c.get("display", ""))
            for c in self._sets[name]["expansion"]["contains"]
        ]


def load_terminology(directory: Path = PROFILES_DIR / "valuesets") -> Terminology:
    return Terminology(json.loads(p.read_text()) for p in sorted(directory.glob("*.json")))


@lru_cache(maxsize=1)
def default_terminology() -> Terminology:
    """The shipped value sets, loaded once per process."""
    return load_terminology()
