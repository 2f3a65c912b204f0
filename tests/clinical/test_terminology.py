"""The reverse index (``sets_of``, ``mentioned_sets``) answers exactly what per-set checks answered.

The reference below is the original implementation: one frozenset of (system, code) per value set
probed coding by coding, and one keyword regex per set.  Every code and keyword of every shipped
set is tried, plus the spellings that must normalise (aliases, blanks) and input that must not match.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.clinical.facts.medications import _BY_CODE, _OPIOID_SETS, classify_medicine
from plugin.clinical.terminology import PROFILES_DIR, Terminology, _runs, normalise_system
from plugin.fhir.concepts import _SYSTEM_ALIASES

VALUESETS = [json.loads(p.read_text()) for p in sorted((PROFILES_DIR / "valuesets").glob("*.json"))]
TERM = Terminology(VALUESETS)
_DIGIT = re.compile(r"\d")
_BRAND = re.compile(r"\[([^\[\]]{2,60})\]\s*$")


def _reference_index() -> dict[str, frozenset[tuple[str, str]]]:
    return {
        vs["id"]: frozenset(
            (normalise_system(c["system"]), c["code"]) for c in vs.get("expansion", {}).get("contains", [])
        )
        for vs in VALUESETS
    }


def _reference_keywords() -> dict[str, re.Pattern[str]]:
    patterns = {}
    for vs in VALUESETS:
        contains = vs.get("expansion", {}).get("contains", [])
        words = {d["value"].lower() for c in contains for d in c.get("designation", [])}
        words |= {
            c["display"].lower() for c in contains if c.get("display") and not _DIGIT.search(c["display"])
        }
        # branded products: "... Oral Tablet [Percocet]" makes "percocet" a keyword of the set
        words |= {m.group(1).strip().lower() for c in contains if (m := _BRAND.search(c.get("display", "")))}
        if words:
            alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
            patterns[vs["id"]] = re.compile(rf"\b({alternatives})\b")
    return patterns


INDEX = _reference_index()
KEYWORDS = _reference_keywords()


def reference_sets(codings: list[dict[str, Any]]) -> frozenset[str]:
    return frozenset(
        name
        for name, index in INDEX.items()
        if any((normalise_system(c.get("system")), str(c.get("code", "")).strip()) in index for c in codings)
    )


def reference_mentioned(text: str) -> frozenset[str]:
    return frozenset(name for name, pattern in KEYWORDS.items() if pattern.search(text.lower()))


def _every_coding() -> list[dict[str, Any]]:
    """Each code of each set as written, under every alias of its system, padded, and miscoded."""
    aliases: dict[str, list[str]] = {}
    for alias, canonical in _SYSTEM_ALIASES.items():
        aliases.setdefault(canonical, []).append(alias)
    out: list[dict[str, Any]] = []
    for vs in VALUESETS:
        for c in vs.get("expansion", {}).get("contains", []):
            system, code = c["system"], c["code"]
            for spelling in [system, f" {system} ", *aliases.get(normalise_system(system), [])]:
                out.append({"system": spelling, "code": code})
            out += [
                {"system": system, "code": f" {code}\t"},
                {"system": "http://example.org/other", "code": code},
                {"system": None, "code": code},
                {"system": [system], "code": code},
                {"code": code},
                {"system": system, "code": code + "0"},
                {"system": system},
            ]
    return out + [{}, {"system": "http://loinc.org", "code": 19295}, {"code": None}]


CODINGS = _every_coding()


def test_every_single_coding_matches_the_per_set_check() -> None:
    for coding in CODINGS:
        expected = reference_sets([coding])
        assert TERM.sets_of([coding]) == expected, coding
        assert {name for name in INDEX if TERM.any_in(name, [coding])} == expected, coding


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CODINGS), max_size=6))
def test_coding_lists_match_the_per_set_check(codings: list[dict[str, Any]]) -> None:
    assert TERM.sets_of(codings) == reference_sets(codings)


def _every_keyword() -> list[str]:
    words = set()
    for vs in VALUESETS:
        for c in vs.get("expansion", {}).get("contains", []):
            words |= {d["value"] for d in c.get("designation", [])}
            words.add(c.get("display") or "")
    return sorted(words)


KEYWORD_TEXTS = _every_keyword()
EDGE_TEXTS = [
    "",
    "morphine sulfate / naltrexone ER capsule",
    "MORPHINE/naltrexone",
    "xnaltrexone",
    "naltrexonex 50 mg",
    "Sublocade 300 mg",
    "naloxone 4 mg nasal spray",
    "lisinopril 10 MG Oral Tablet",
    "x" * 500 + " naltrexone",
]


# Groups of sets asked about together (``mentioned_among``): each is scanned with its own keywords only.
GROUPS = [
    frozenset({"naltrexone-ingredient", "opioid-short-acting", "opioid-overdose-rescue", "clonidine"}),
    frozenset({"opioid-urine-drug-screening", "urine-drug-screen-panel", "opioid-long-acting"}),
    frozenset({"route-oral"}),
    frozenset({"no-such-set"}),
]


def test_every_keyword_text_matches_the_per_set_check() -> None:
    for text in KEYWORD_TEXTS + EDGE_TEXTS + [w.upper() + " tab" for w in KEYWORD_TEXTS]:
        assert TERM.mentioned_sets(text) == reference_mentioned(text), text
        for group in GROUPS:
            assert TERM.mentioned_among(group, text) == reference_mentioned(text) & group, (group, text)
        for name in KEYWORDS:
            assert TERM.mentions(name, text) == bool(KEYWORDS[name].search(text.lower())), (name, text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(KEYWORD_TEXTS) | st.text(max_size=12), max_size=4).map(" ".join))
def test_free_text_matches_the_per_set_check(text: str) -> None:
    assert TERM.mentioned_sets(text) == reference_mentioned(text)


def test_classification_order_names_real_sets() -> None:
    assert {name for name, _ in _BY_CODE} | {name for name, _ in _OPIOID_SETS} <= set(TERM.names)


def test_classify_medicine_agrees_with_the_per_set_order() -> None:
    """Code first, in the documented order, for every coding (text classification has its own rows)."""
    order = ["naltrexone-bupropion", "naltrexone-xr-injectable", "naltrexone-oral"]
    order += [name for name, _ in _OPIOID_SETS]
    for coding in CODINGS:
        held = reference_sets([coding])
        first = next((name for name in order if name in held), None)
        medicine = classify_medicine([coding], "", TERM)
        if first is not None:
            assert medicine == dict(_BY_CODE)[first], coding
        elif "naltrexone-ingredient" in held:
            assert medicine == ("naltrexone", "oral"), coding
        else:
            assert medicine is None, coding


SEPARATORS = ["", " ", "/", "-", "_", "x", "(", ")", "é", "1", "[", "]", ",", ".", "İ", "\u00b2"]


@settings(max_examples=1500, deadline=None)
@given(
    st.sampled_from(KEYWORD_TEXTS),
    st.sampled_from(KEYWORD_TEXTS),
    st.integers(0, 80),
    st.sampled_from(SEPARATORS),
    st.sampled_from(SEPARATORS),
    st.booleans(),
)
def test_keywords_inside_other_text_match_the_per_set_check(
    text: str, keyword: str, at: int, before: str, after: str, upper: bool
) -> None:
    """A keyword (or a piece of one) put anywhere in other text, glued or separated: word boundaries
    are where the per-set regexes have them."""
    inserted = keyword.upper() if upper else keyword[: max(1, len(keyword) - at % 3)]
    mixed = text[:at] + before + inserted + after + text[at:]
    assert TERM.mentioned_sets(mixed) == reference_mentioned(mixed), mixed
    for group in GROUPS:
        assert TERM.mentioned_among(group, mixed) == reference_mentioned(mixed) & group, mixed


def test_nothing_about_a_text_or_a_coding_is_remembered() -> None:
    """No per-process memo keyed on what a request sends: the terminology's state does not grow."""
    term = Terminology(VALUESETS)
    term.mentioned_among(GROUPS[0], "")  # the narrowed indexes are made once per group of sets
    term.mentions("naltrexone-ingredient", "")
    before = {name: len(value) for name, value in vars(term).items() if hasattr(value, "__len__")}
    for i in range(500):
        term.mentioned_sets(f"drug {i} naltrexone")
        term.mentioned_among(GROUPS[0], f"drug {i} naltrexone")
        term.mentions("naltrexone-ingredient", f"drug {i}")
        term.sets_of([{"system": f"http://example.org/{i}", "code": "7243"}])
    assert {name: len(value) for name, value in vars(term).items() if hasattr(value, "__len__")} == before
    assert term.sets_of([{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "7243"}])


@settings(max_examples=1000, deadline=None)
@given(st.text() | st.lists(st.sampled_from([*SEPARATORS, " ", "\t", "\u2003", "ab", "1"])).map("".join))
def test_word_runs_are_the_regex_runs(text: str) -> None:
    """The keyword scan's word runs: exactly ``\\w+``'s, in order, whatever the text."""
    assert _runs(text) == re.findall(r"\w+", text)
