"""The byte scan that lets most bodies skip the JSON shape walk never lets a body past the walk's limits.

``json_within_limits(raw, ...)`` True must imply ``check_json_shape(orjson.loads(raw), ...)`` passes;
False only means "walk it".  For plain documents (no duplicate keys) the two agree exactly.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.errors import BadHookRequest
from plugin.http.security import check_json_shape, json_within_limits

TRICKY_TEXT = st.text(alphabet='[]{}"\\/,:ab {}\n\u005b', max_size=8)
FINITE = st.floats(allow_nan=False, allow_infinity=False)  # JSON has no NaN or Infinity
SCALARS = st.none() | st.booleans() | st.integers() | FINITE | TRICKY_TEXT
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY_TEXT, inner, max_size=4),
    max_leaves=40,
)


def walk_allows(value: Any, max_depth: int, max_entries: int) -> bool:
    try:
        check_json_shape(value, max_depth, max_entries)
    except BadHookRequest:
        return False
    return True


def height(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((height(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((height(v) for v in value), default=0)
    return 0


def values(value: Any) -> int:
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return 1 + sum(values(v) for v in children)


@settings(max_examples=400, deadline=None)
@given(DOCUMENTS, st.integers(1, 8), st.integers(1, 60), st.booleans())
def test_scan_agrees_with_the_walk(document: Any, max_depth: int, max_entries: int, pretty: bool) -> None:
    raw = json.dumps(document, indent=2 if pretty else None, ensure_ascii=pretty).encode()
    parsed = orjson.loads(raw)
    allowed = walk_allows(parsed, max_depth, max_entries)
    scanned = json_within_limits(raw, max_depth, max_entries)
    assert not scanned or allowed
    assert values(parsed) <= (len(raw) + 1) // 2  # the bound the scan relies on (docstring proof)
    if height(parsed) <= max_depth and (len(raw) + 1) // 2 <= max_entries:
        assert scanned, "a document certainly within both limits is let through without a walk"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "]]]]]]]]", "b": [[[[[[[[1]]]]]]]]}',  # brackets in strings hide real depth
        b'{"a": "[[[[[[[[", "b": [[[[[[[[1]]]]]]]]}',
        b'["]", [[[[[[[[]]]]]]]], "["]',  # balanced string brackets, deep array between them
        b'["\\"]", [[[[[[[[]]]]]]]], "\\\\", "\\\\\\"[["]',  # escaped quotes and backslashes
        b'{"k": [[[[[[[[]]]]]]]], "k": 1}',  # a duplicate key hides a deep value from the parse
    ],
)
def test_hidden_depth_is_never_let_through(raw: bytes) -> None:
    assert not json_within_limits(raw, 4, 1000)


def test_limits_at_the_boundary() -> None:
    nested = b"[" * 64 + b"]" * 64
    assert json_within_limits(nested, 64, 1000)
    assert not json_within_limits(b"[" + nested + b"]", 64, 1000)
    wide = orjson.dumps(list(range(999)))  # 1000 values
    assert json_within_limits(wide, 64, 1000) is walk_allows(orjson.loads(wide), 64, 1000) is True
    wider = orjson.dumps(list(range(1000)))
    assert not json_within_limits(wider, 64, 1000)
    assert not walk_allows(orjson.loads(wider), 64, 1000)


def test_fhir_ucum_annotations_and_escapes_stay_on_the_fast_path() -> None:
    """Real records hold brackets in strings ("{tbl}") and escapes; they must not force the walk."""
    resource = {"doseQuantity": {"code": "{tbl}", "unit": "tablet"}, "note": [{"text": 'a "b" \\ [c]\n'}]}
    assert json_within_limits(orjson.dumps({"entry": [resource] * 50}), 64, 500_000)
