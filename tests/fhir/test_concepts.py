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
