"""CodeableConcepts and Codings, read once: codings normalised, text kept, a drug named once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple

from plugin.fhir.values import objects, text

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NDC = "http://hl7.org/fhir/sid/ndc"
LOINC = "http://loinc.org"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# Code systems are written several ways in the wild; fold the common aliases.
_SYSTEM_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "http://www.nlm.nih.gov/research/umls/rxnorm/": RXNORM,
    "https://www.nlm.nih.gov/research/umls/rxnorm": RXNORM,
    "urn:oid:2.16.840.1.113883.6.96": "http://snomed.info/sct",
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "urn:oid:2.16.840.1.113883.6.90": "http://hl7.org/fhir/sid/icd-10-cm",
    "http://hl7.org/fhir/sid/icd-10": "http://hl7.org/fhir/sid/icd-10-cm",
    "urn:oid:2.16.840.1.113883.6.69": NDC,
    "http://hl7.org/fhir/ndc": NDC,
    # v2 table 0078 and the v3 ObservationInterpretation code system share their codes (POS, NEG, DET,
    # ND, A, H, N...): v3 was derived from the v2 table; older servers still send the v2 URLs.
    "http://hl7.org/fhir/v2/0078": V3_INTERPRETATION,
    "http://terminology.hl7.org/CodeSystem/v2-0078": V3_INTERPRETATION,
    "http://hl7.org/fhir/v3/ObservationInterpretation": V3_INTERPRETATION,
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
    damaged: bool = False  # some coding or text was there but of the wrong type: unreadable

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
# One request's memo of the usual concept (text, system, code, display -> Concept): a record repeats
# its routes, categories and statuses.  Made by ``one_request`` and dropped when it ends: nothing a
# request sent is remembered after it.
# Keyed by the code ((whole key, Concept)), and by the whole key for a further concept of one code.
_MEMO: ContextVar[dict[Any, Any] | None] = ContextVar("naltrexone_cds_concepts", default=None)


# And what is made of a concept (a Drug), by the concept's id: each value holds its concept, so no
# id is reused while the memo lives.
_MADE: ContextVar[dict[int, Any] | None] = ContextVar("naltrexone_cds_made", default=None)


@contextmanager
def one_request() -> Iterator[None]:
    """Within: identical usual concepts of this request are read once.  The memo is this block's own
    and is gone when it ends (a nested block gets its own too)."""
    token, made = _MEMO.set({}), _MADE.set({})
    try:
        yield
    finally:
        _MADE.reset(made)
        _MEMO.reset(token)


def made_of_concepts() -> dict[int, Any] | None:
    """This hook call's memo of what is made of a concept, keyed by ``id(concept)``; the caller keeps
    the concept in the value.  None outside ``one_request``."""
    return _MADE.get()


def _words(text: str, codings: tuple[Coding, ...]) -> str:
    seen = [text] if text else []
    for c in codings:
        if c.display and c.display not in seen:
            seen.append(c.display)
    return " ".join(seen)


def make_concept(codings: tuple[Coding, ...], text: str, damaged: bool = False) -> Concept:
    return Concept(codings, text, _words(text, codings), damaged)


def _coding_damaged(raw: dict[str, Any]) -> bool:
    """A system, code or display sent with a wrong type, or a system without a code: the coding says
    something we cannot read.  A numeric code is read as its digits (an RxCUI sent as a number) but is
    still damaged: a string code replaced by a number reads as another, readable code, so the entry is
    named as unreadable where its code is what matters."""
    if "code" not in raw and "system" in raw:
        return True
    for name in ("system", "code", "display"):
        if name in raw and type(raw[name]) is not str:
            return True
    return False


def coding(raw: dict[str, Any]) -> Coding | None:
    return _read_coding(raw)


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
    value is not an object at all (unreadable).  Nothing is remembered between requests: within
    ``one_request`` the usual shape is read once per distinct content."""
    if type(raw) is not dict:
        return None
    found = raw.get("coding")
    # The usual shape, one coding and a text, all strings: read in line (what _read_concept gives).
    if type(found) is list and len(found) == 1 and type(one := found[0]) is dict:
        code = one.get("code", "")
        if type(code) is str:
            said, system, display = raw.get("text", ""), one.get("system", ""), one.get("display", "")
            # All the answer reads: the four strings, and whether a system came without its code.
            key = (said, system, code, display, "code" in one or "system" not in one)
            memo = _MEMO.get()
            if memo is not None:
                # Found by its code (a short string to hash), then compared whole: hashing every
                # text of every concept cost more.  A remembered key holds only strings, so what
                # equals it is strings too.  A second concept of one code is kept by its whole key.
                hit = memo.get(code)
                if hit is not None and hit[0] == key:
                    return hit[1]  # type: ignore[no-any-return]
            if type(said) is str and type(system) is str and type(display) is str:
                if memo is None:
                    return _usual(*key, raw, found)
                if (known := memo.get(key)) is None:
                    known = _usual(*key, raw, found)
                    if hit is None:
                        memo[code] = (key, known)
                    else:
                        memo[key] = known
                return known
    if "coding" not in raw and ("code" in raw or "system" in raw):
        single = coding(raw)
        return make_concept((single,) if single else (), "", _coding_damaged(raw))
    return _read_concept(raw, found)


def _usual(
    said: str, system: str, code: str, display: str, coded: bool, raw: dict[str, Any], found: list[Any]
) -> Concept:
    """A concept of one coding, all strings: read in line (what _read_concept gives)."""
    code, display = code.strip(), display.strip()
    if (code or display) and coded:
        system, said = system.strip(), said.strip()
        words = said if not display or display == said else (f"{said} {display}" if said else display)
        return Concept((Coding(_SYSTEM_ALIASES.get(system, system), code, display),), said, words, False)
    return _read_concept(raw, found)


def _read_concept(raw: dict[str, Any], found: Any) -> Concept:
    damaged = "text" in raw and type(raw["text"]) is not str
    if type(found) is list:
        codings = tuple(one for c in found if type(c) is dict and (one := coding(c)) is not None)
        damaged = damaged or len(codings) != len(found) or any(_coding_damaged(c) for c in found)
    elif type(found) is dict:
        single = coding(found)
        codings = (single,) if single is not None else ()
        damaged = damaged or single is None or _coding_damaged(found)
    else:
        codings = ()
        damaged = damaged or "coding" in raw
    return make_concept(codings, text(raw.get("text")), damaged)


def concepts(raw: Any) -> tuple[Concept, ...]:
    """An array of CodeableConcepts (a lone one tolerated)."""
    return tuple(c for c in map(concept, objects(raw)) if c is not None)
