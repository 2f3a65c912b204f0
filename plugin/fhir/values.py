"""Primitive readers for untrusted FHIR JSON: every function answers, none raises.

Real servers send a single object where FHIR says array, numbers as strings, and (under a fuzzer)
anything at all.  These are the only places that look at a raw JSON value's type.
"""

from __future__ import annotations

import math
from typing import Any

_EMPTY: dict[str, Any] = {}
# Beyond this a number is nonsense in a clinical record (and float("1e999") is inf).
_LARGEST = 1e12


def obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else _EMPTY


def items(value: Any) -> list[Any]:
    """An array's items; a lone value where FHIR says array is a one-item array (Postel)."""
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of an array (or of a lone object); anything else is unreadable and skipped."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def text(value: Any) -> str:
    """A string, stripped; anything else (number, object, null) is no text."""
    return value.strip() if isinstance(value, str) else ""


def number(value: Any) -> float | None:
    """A finite number, also from a numeric string ("30", " 2.5 "); booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        result = float(value) if abs(value) < _LARGEST else math.inf
    elif isinstance(value, str) and 0 < len(value) < 40:
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) and abs(result) < _LARGEST else None


def whole(value: Any) -> int | None:
    """A non-negative whole number (counts such as refills), also from "2" or 2.0."""
    found = number(value)
    if found is None or found < 0 or found != int(found):
        return None
    return int(found)
