"""The in-line reading of the usual CodeableConcept gives what the general reader gives, for every
mix of types and absences of its text, system, code and display; and nothing is remembered."""

from __future__ import annotations

import itertools
from typing import Any

from plugin.fhir import concepts
from plugin.fhir.concepts import _read_concept, concept

VALUES: list[Any] = [
    None,
    "",
    " x ",
    "POS",
    3,
    True,
    {},
    " http://loinc.org ",
    "urn:oid:2.16.840.1.113883.6.1",
]


def test_every_shape_of_one_coding_reads_as_the_general_reader_reads_it() -> None:
    for said, system, code, display in itertools.product(VALUES, repeat=4):
        for absent in range(16):
            one: dict[str, Any] = {}
            if not absent & 1:
                one["system"] = system
            if not absent & 2:
                one["code"] = code
            if not absent & 4:
                one["display"] = display
            raw: dict[str, Any] = {"coding": [one]}
            if not absent & 8:
                raw["text"] = said
            assert concept(raw) == _read_concept(raw, raw["coding"]), raw


def test_no_memo_of_what_requests_send() -> None:
    state = {name: len(v) for name, v in vars(concepts).items() if isinstance(v, dict)}
    for i in range(300):
        concept(
            {"coding": [{"system": "http://x.org", "code": f"c{i}", "display": f"d{i}"}], "text": f"t{i}"}
        )
    assert {name: len(v) for name, v in vars(concepts).items() if isinstance(v, dict)} == state


def _shapes() -> list[dict[str, Any]]:
    out = []
    for said, system, code, display in itertools.product(VALUES, repeat=4):
        for absent in range(16):
            one: dict[str, Any] = {}
            for bit, name, value in ((1, "system", system), (2, "code", code), (4, "display", display)):
                if not absent & bit:
                    one[name] = value
            raw: dict[str, Any] = {"coding": [one]}
            if not absent & 8:
                raw["text"] = said
            out.append(raw)
    return out


def test_within_one_request_every_shape_reads_as_without_the_memo_first_and_second_time() -> None:
    shapes = _shapes()
    plain = [concept(raw) for raw in shapes]
    with concepts.one_request():
        assert [concept(raw) for raw in shapes] == plain
        assert [concept(raw) for raw in shapes] == plain  # answered from the memo now


def test_the_memo_is_the_requests_own_and_gone_after_it() -> None:
    def said(display: str) -> dict[str, Any]:
        return {"coding": [{"system": "http://loinc.org", "code": "1-1", "display": display}], "text": "t"}

    assert concepts._MEMO.get() is None
    with concepts.one_request():
        first = concept(said("Morphine screen"))
        assert concept(said("Morphine screen")) is first  # read once within the request
        with concepts.one_request():  # a nested call starts clean, and gives the outer memo back
            assert concept(said("Morphine screen")) is not first
        assert concept(said("Morphine screen")) is first
    assert concepts._MEMO.get() is None
    with concepts.one_request():  # the next request: same shape, other content, its own answer
        second = concept(said("Fentanyl screen"))
        again = concept(said("Morphine screen"))
    assert first is not None and second is not None and again is not None
    assert (first.text, first.codings[0].display) == ("t", "Morphine screen")
    assert second.codings[0].display == "Fentanyl screen" and second.words == "t Fentanyl screen"
    assert again == first and again is not first  # equal content, read again: nothing carried over
    assert concepts._MEMO.get() is None


def test_concepts_of_one_code_are_told_apart_by_their_whole_content() -> None:
    def said(text: Any, display: Any, system: Any = "http://loinc.org") -> dict[str, Any]:
        return {"coding": [{"system": system, "code": "19295-5", "display": display}], "text": text}

    # The memo finds a concept by its code, then compares the rest: texts that differ, texts of
    # another JSON type that print alike (1 and "1", True and "True"), another system.
    shapes = [
        said("Opiates", "Opiates screen"),
        said("Opiates", "Opiates confirm"),
        said("1", "x"),
        said(1, "x"),
        said("True", "x"),
        said(True, "x"),
        said("Opiates", "Opiates screen", "urn:oid:2.16.840.1.113883.6.1"),
        said("Opiates", "Opiates screen", 7),
    ]
    plain = [concept(raw) for raw in shapes]
    with concepts.one_request():
        for _ in range(2):
            for raw in shapes * 2 + shapes[::-1]:
                assert concept(raw) == plain[shapes.index(raw)], raw
        first = [concept(raw) for raw in shapes]
        assert [concept(raw) for raw in shapes] == first
        remembered = [i for i, raw in enumerate(shapes) if type(raw["text"]) is str and not first[i].damaged]
        assert remembered == [0, 1, 2, 4, 6]  # all-string concepts are read once each
        assert all(concept(shapes[i]) is first[i] for i in remembered)
