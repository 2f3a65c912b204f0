"""CodeableConcepts and Codings, read once: codings normalised, text kept, a drug named once."""

from __future__ import annotations

from typing import Any, NamedTuple

from plugin.fhir.values import objects, text

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NDC = "http://hl7.org/fhir/sid/ndc"
# Code systems are written several ways in the wild; fold the common aliases.
_SYSTEM_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "http://www.nlm.nih.gov/research/umls/rxnorm/": RXNORM,
    "https://www.nlm.nih.gov/research/umls/rxnorm": RXNORM,
    "urn:oid:2.16.840.1.113883.6.96": "http://snomed.info/sct",
    "urn:oid:2.16.840.1.113883.6.1": "http://loinc.org",
    "urn:oid:2.16.840.1.113883.6.90": "http://hl7.org/fhir/sid/icd-10-cm",
    "http://hl7.org/fhir/sid/icd-10": "http://hl7.org/fhir/sid/icd-10-cm",
    "urn:oid:2.16.840.1.113883.6.69": NDC,
    "http://hl7.org/fhir/ndc": NDC,
}


def normalise_system(system: object) -> str:
    """The canonical URL of a code system; anything that is not a string (bad input) is no system."""
    value = system.strip() if isinstance(system, str) else ""
    return _SYSTEM_ALIASES.get(value, value)


class Coding(NamedTuple):
    system: str  # normalised
    code: str
    display: str


class Concept(NamedTuple):
    codings: tuple[Coding, ...]
    text: str
    words: str = ""  # every distinct text (text, then each display), for keyword search

    @property
    def name(self) -> str:
        """What a clinician calls it, once: the text, else the first display, else the first code."""
        if self.text:
            return self.text
        for coding in self.codings:
            if coding.display:
                return coding.display
        return self.codings[0].code if self.codings else ""

    @property
    def readable(self) -> bool:
        return bool(self.codings or self.text)

    def codes(self) -> set[str]:
        return {c.code for c in self.codings}


EMPTY = Concept((), "", "")
# Codings repeat within a record and across calls (the same drugs, tests, systems): a parsed coding is
# remembered by its raw (system, code, display), bounded so hostile input cannot grow it.
_CODINGS: dict[tuple[Any, Any, Any], Coding | None] = {}
_CODINGS_LIMIT = 8192
_MISSING = Coding("", "", "")
_CONCEPTS: dict[tuple[Any, ...], Concept] = {}


def _words(text: str, codings: tuple[Coding, ...]) -> str:
    seen = [text] if text else []
    for c in codings:
        if c.display and c.display not in seen:
            seen.append(c.display)
    return " ".join(seen)


def make_concept(codings: tuple[Coding, ...], text: str) -> Concept:
    return Concept(codings, text, _words(text, codings))


def coding(raw: dict[str, Any]) -> Coding | None:
    system, code, display = raw.get("system"), raw.get("code"), raw.get("display")
    if type(code) is not str or not (system is None or type(system) is str):
        return _read_coding(raw)
    if not (display is None or type(display) is str):
        return _read_coding(raw)
    key = (system, code, display)
    found = _CODINGS.get(key, _MISSING)
    if found is _MISSING:
        found = _read_coding(raw)
        if len(_CODINGS) >= _CODINGS_LIMIT:
            _CODINGS.clear()
        _CODINGS[key] = found
    return found


def _read_coding(raw: dict[str, Any]) -> Coding | None:
    code = raw.get("code")
    if type(code) is str:
        code = code.strip()
    elif isinstance(code, (int, float)) and not isinstance(code, bool):
        code = str(code)  # a numeric code (an RxCUI sent as a number) is still the code
    else:
        code = ""
    display = raw.get("display")
    display = display.strip() if type(display) is str else ""
    if not code and not display:
        return None
    system = raw.get("system")
    return Coding(normalise_system(system), code, display)


def concept(raw: Any) -> Concept | None:
    """A CodeableConcept; a lone Coding object is read as a concept of one coding.  None when the
    value is not an object at all (unreadable)."""
    if type(raw) is not dict:
        return None
    found = raw.get("coding")
    # The usual shape, one coding and a text, all strings: remembered whole (a record repeats them).
    if type(found) is list and len(found) == 1 and type(found[0]) is dict:
        one = found[0]
        key = (raw.get("text"), one.get("system"), one.get("code"), one.get("display"))
        if all(v is None or type(v) is str for v in key):
            known = _CONCEPTS.get(key)
            if known is None:
                known = _read_concept(raw, found)
                if len(_CONCEPTS) >= _CODINGS_LIMIT:
                    _CONCEPTS.clear()
                _CONCEPTS[key] = known
            return known
    if found is None and ("code" in raw or "system" in raw):
        single = coding(raw)
        return make_concept((single,) if single else (), "")
    return _read_concept(raw, found)


def _read_concept(raw: dict[str, Any], found: Any) -> Concept:
    if type(found) is list:
        codings = tuple(one for c in found if type(c) is dict and (one := coding(c)) is not None)
    elif type(found) is dict:
        single = coding(found)
        codings = (single,) if single is not None else ()
    else:
        codings = ()
    return make_concept(codings, text(raw.get("text")))


def concepts(raw: Any) -> tuple[Concept, ...]:
    """An array of CodeableConcepts (a lone one tolerated)."""
    return tuple(c for c in map(concept, objects(raw)) if c is not None)
