"""Each searchset entry read by ``read_prefetch``: a resource is kept, a search warning dropped, a
Medication's fullUrl indexed, and every entry that is not a resource named (never dropped)."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.record.prefetch import read_prefetch

_OBS = {"resourceType": "Observation", "id": "o1"}
_MED = {"resourceType": "Medication", "id": "m1"}
_WARNING = {"resourceType": "OperationOutcome", "issue": []}

# (entry, kept, named as unreadable, why)
ROWS: list[tuple[Any, bool, bool, str]] = [
    ({"resource": _OBS, "search": {"mode": "match"}}, True, False, "the usual entry"),
    ({"resource": _OBS}, True, False, "no search part"),
    ({"resource": _OBS, "search": None}, True, False, "search null"),
    ({"resource": _OBS, "search": "outcome"}, True, False, "search not an object: not a warning"),
    ({"resource": _OBS, "search": {"mode": "outcome"}}, False, False, "a search warning"),
    ({"resource": _WARNING}, False, False, "an OperationOutcome"),
    ({"resource": _MED, "fullUrl": "urn:uuid:1"}, True, False, "a Medication, indexed by fullUrl"),
    ({"resource": {"resourceType": 7}}, False, True, "resourceType not a string"),
    ({"resource": {"id": "x"}}, False, True, "no resourceType"),
    ({"resource": None}, False, True, "resource null"),
    ({"resource": ["Observation"]}, False, True, "resource an array"),
    ({"resource": "Observation/o1"}, False, True, "resource a reference string"),
    ({"fullUrl": "urn:uuid:2"}, False, True, "no resource"),
    (["resource"], False, True, "entry an array"),
    ("Observation/o1", False, True, "entry a string"),
    (5, False, True, "entry a number"),
    (None, False, True, "entry null"),
]


@pytest.mark.parametrize(("entry", "kept", "named", "why"), ROWS, ids=[r[3] for r in ROWS])
def test_each_entry(entry: Any, kept: bool, named: bool, why: str) -> None:
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": _OBS}, entry]}
    read = read_prefetch({"observations": bundle}, ["observations"])
    assert read.resources["observations"] == [_OBS] + ([entry["resource"]] if kept else []), why
    assert [(u.reference, u.key, u.part) for u in read.unreadable] == (
        [("entry 2 of observations", "observations", "resource")] if named else []
    ), why
    medication = type(entry) is dict and entry.get("resource") is _MED
    assert read.full_urls == ({"urn:uuid:1": _MED} if medication else {}), why
    assert not read.incomplete and not read.unreadable_keys and not read.missing, why
