"""Value sets from fhir_profiles/valuesets, loaded once; membership tests by (system, code).

Python names value sets by id (e.g. ``"opioid-short-acting"``), never by code.  Text matching
(the last resort for free-text medications) uses the designations, the displays without digits
(ingredient-level names) and the brand names RxNorm puts in brackets at the end of branded products'
displays ("... Oral Tablet [Percocet]").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from plugin.fhir.concepts import Coding, normalise_system

__all__ = ["Coded", "Terminology", "default_terminology", "load_terminology", "normalise_system"]

_PACKAGE = Path(__file__).resolve().parents[1]
# A source checkout keeps fhir_profiles/ beside the package; an installed wheel carries it inside.
PROFILES_DIR = next(
    (d for d in (_PACKAGE.parent / "fhir_profiles", _PACKAGE / "fhir_profiles") if d.is_dir()),
    _PACKAGE.parent / "fhir_profiles",
)

_DIGIT = re.compile(r"\d")
_BRAND = re.compile(r"\[([^\[\]]{2,60})\]\s*$")
_NONE: frozenset[str] = frozenset()
_MEMO_TEXT_CHARS = 200


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
        keywords: dict[str, set[str]] = {}
        for vs in valuesets:
            contains = vs.get("expansion", {}).get("contains", [])
            self._sets[vs["id"]] = vs
            self._index[vs["id"]] = frozenset((normalise_system(c["system"]), c["code"]) for c in contains)
            # Keywords: designations, plus displays without digits (ingredient-level names).
            words = {d["value"].lower() for c in contains for d in c.get("designation", [])}
            words |= {
                c["display"].lower() for c in contains if c.get("display") and not _DIGIT.search(c["display"])
            }
            # Brand names: RxNorm's branded products (SBD, BPCK) end their display with "[Brand]".
            brands = (_BRAND.search(c.get("display", "")) for c in contains)
            words |= {m.group(1).strip().lower() for m in brands if m}
            if words:
                keywords[vs["id"]] = words
        self._code_sets = {name: frozenset(code for _, code in pairs) for name, pairs in self._index.items()}
        self._by_code = _reverse_index(self._index)
        self._by_display = _display_index(self._sets.values())
        self._keywords = _KeywordIndex(keywords)
        self._keyword_sets = keywords
        # The same index narrowed to a few sets, per distinct group of names the code asks about (a
        # constant of the caller, never anything a request sent): made on first use, then reused.
        self._narrowed: dict[frozenset[str], _KeywordIndex] = {}

    @property
    def names(self) -> list[str]:
        return sorted(self._sets)

    def url(self, name: str) -> str:
        return str(self._sets[name]["url"])

    def contains(self, name: str, system: str | None, code: str | None) -> bool:
        return (normalise_system(system), (code or "").strip()) in self._index[name]

    def any_in(self, name: str, codings: Iterable[Coding | dict[str, Any]]) -> bool:
        if name not in self._index:
            raise KeyError(name)
        for coding in codings:
            if name in self._sets_of_coding(coding):
                return True
        return False

    def sets_of(self, codings: Iterable[Coding | dict[str, Any]]) -> frozenset[str]:
        """Names of every value set holding one of ``codings``: one index probe per coding.

        The same answer as ``any_in`` asked of each set in turn, for the price of one question; the
        classifiers read a coding list once instead of once per candidate set.
        """
        found: frozenset[str] = _NONE
        for coding in codings:
            names = self._sets_of_coding(coding)
            if names:
                found = found | names if found else names
        return found

    def _sets_of_coding(self, coding: Coding | dict[str, Any]) -> frozenset[str]:
        if isinstance(coding, Coding):  # read by plugin.fhir: code stripped, system normalised
            by_system = self._by_code.get(coding.code)
            if by_system is None:
                return _NONE
            if not coding.system and len(by_system) == 1:
                # No (readable) system: the code is taken at its word when one code system has it.
                return next(iter(by_system.values()))
            return by_system.get(coding.system, _NONE)
        by_system = self._by_code.get(str(coding.get("code", "")).strip())
        if by_system is None:  # the usual case: a code no value set holds, the system never looked at
            return _NONE
        return by_system.get(self._system(coding.get("system")), _NONE)

    def _system(self, raw: object) -> str:
        return normalise_system(raw) if isinstance(raw, str) else ""

    def displayed_sets(self, text: str) -> frozenset[str]:
        """Names of every value set with a concept whose display is exactly ``text`` (case and spacing
        aside): a drug whose coding was lost but whose text copies it ("1.5 ML buprenorphine 200 MG/ML
        Prefilled Syringe") is the product that display names, not just its ingredient; a test or
        finding whose text is a display ("6-Monoacetylmorphine [Presence] in Urine by Screen method") is
        recognised as what it may be."""
        if len(text) > _MEMO_TEXT_CHARS:
            return _NONE
        return self._by_display.get(" ".join(text.lower().split()), _NONE)

    def mentions(self, name: str, text: str) -> bool:
        """True when free text names a keyword (designation) of the value set."""
        return bool(self.mentioned_among(frozenset((name,)), text))

    def mentioned_sets(self, text: str) -> frozenset[str]:
        """Names of every value set whose keywords ``text`` mentions (``mentions`` for all sets at once):
        each word of the text looked up in an index made at start-up; nothing about the text is kept."""
        return self._keywords.sets(text.lower())

    def mentioned_among(self, names: frozenset[str], text: str) -> frozenset[str]:
        """``mentioned_sets(text) & names``, scanned with the keywords of those sets alone: a text that
        names none of them (a statin's name, "Oral Tablet") costs a lookup per word and nothing more."""
        index = self._narrowed.get(names)
        if index is None:
            kept = {name: words for name, words in self._keyword_sets.items() if name in names}
            index = self._narrowed[names] = _KeywordIndex(kept)
        return index.sets(text.lower())

    def first(self, name: str) -> Coded:
        """The set's first concept: by convention the product used in suggestions."""
        c = self._sets[name]["expansion"]["contains"][0]
        return Coded(c["system"], c["code"], c.get("display", ""))

    def code_set(self, name: str) -> frozenset[str]:
        """The codes of a set (any system), worked out at start-up."""
        return self._code_sets[name]

    def codes(self, name: str) -> list[Coded]:
        return [
            Coded(c["system"], c["code"], c.get("display", ""))
            for c in self._sets[name]["expansion"]["contains"]
        ]


_RUN = re.compile(r"\w+")


def _runs(text: str) -> list[str]:
    r"""The runs of word characters of ``text`` (``\w+``): a whitespace-separated word made of word
    characters only (the usual one) is a run itself; only the others are searched with the regex."""
    found: list[str] = []
    for word in text.split():  # whitespace is no word character: a run never crosses it
        if word.isalnum():  # letters and digits, as ``\w`` has them ("_" goes to the regex)
            found.append(word)
        else:
            found += _RUN.findall(word)
    return found


def _is_word(char: str) -> bool:
    """A word character for one character, as the regex module has it (Unicode letters, digits, "_")."""
    return char.isalnum() or char == "_"


class _KeywordIndex:
    r"""Where free text names a keyword, at word boundaries (``\b(keyword)\b`` of each set), found by
    dictionary lookups: a keyword that starts with a word character can only start where a run of word
    characters starts, and that run must be the keyword's own first run; so each run of the text is
    looked up, and the few keywords it starts are compared in place.  The rare keywords that start with
    another character keep a regex per set."""

    def __init__(self, keywords: dict[str, set[str]]) -> None:
        by_head: dict[str, dict[str, set[str]]] = {}
        self._odd: dict[str, re.Pattern[str]] = {}
        for name, words in keywords.items():
            odd = []
            for word in words:
                head = _RUN.match(word)
                if head is None:
                    odd.append(word)
                else:
                    by_head.setdefault(head.group(), {}).setdefault(word, set()).add(name)
            if odd:
                alternatives = "|".join(re.escape(w) for w in sorted(odd, key=len, reverse=True))
                self._odd[name] = re.compile(rf"\b({alternatives})\b")
        self._by_head = {
            head: tuple((word, frozenset(names), _is_word(word[-1])) for word, names in found.items())
            for head, found in by_head.items()
        }

    def sets(self, lowered: str) -> frozenset[str]:
        found: frozenset[str] = _NONE
        by_head = self._by_head
        heads = by_head.keys() & _runs(lowered)
        for head in heads:  # usually none: the text names no keyword
            at = lowered.find(head)
            while at != -1:
                if at == 0 or not _is_word(lowered[at - 1]):  # a word boundary before it
                    found = self._at(lowered, at, by_head[head], found)
                at = lowered.find(head, at + 1)
        return self._odd_sets(lowered, found)

    @staticmethod
    def _at(
        lowered: str,
        start: int,
        candidates: tuple[tuple[str, frozenset[str], bool], ...],
        found: frozenset[str],
    ) -> frozenset[str]:
        """``found`` and the sets of every candidate keyword written at ``start``, ending on a word
        boundary (its last character and the next one differ in wordness; the end of text counts as
        not a word)."""
        size = len(lowered)
        for word, names, word_end in candidates:
            if not lowered.startswith(word, start):
                continue
            end = start + len(word)
            if (_is_word(lowered[end]) == word_end) if end < size else not word_end:
                continue
            found = found | names if found else names
        return found

    def _odd_sets(self, lowered: str, found: frozenset[str]) -> frozenset[str]:
        for name, pattern in self._odd.items():
            if name not in found and pattern.search(lowered):
                found = found | {name}
        return found


def _reverse_index(
    index: dict[str, frozenset[tuple[str, str]]],
) -> dict[str, dict[str, frozenset[str]]]:
    """code -> normalised system -> names of the sets holding (system, code)."""
    names: dict[tuple[str, str], set[str]] = {}
    for name, pairs in index.items():
        for pair in pairs:
            names.setdefault(pair, set()).add(name)
    by_code: dict[str, dict[str, frozenset[str]]] = {}
    for (system, code), holders in names.items():
        by_code.setdefault(code, {})[system] = frozenset(holders)
    return by_code


def _display_index(valuesets: Iterable[dict[str, Any]]) -> dict[str, frozenset[str]]:
    """normalised display -> names of the sets with a concept of that display."""
    names: dict[str, set[str]] = {}
    for vs in valuesets:
        for c in vs.get("expansion", {}).get("contains", []):
            display = " ".join(c.get("display", "").lower().split())
            if display:
                names.setdefault(display, set()).add(vs["id"])
    return {display: frozenset(found) for display, found in names.items()}


def load_terminology(directory: Path = PROFILES_DIR / "valuesets") -> Terminology:
    return Terminology(json.loads(p.read_text()) for p in sorted(directory.glob("*.json")))


@lru_cache(maxsize=1)
def default_terminology() -> Terminology:
    """The shipped value sets, loaded once per process."""
    return load_terminology()
