"""The only import site of fhir.resources: R4B models, which read and write R4 JSON."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import orjson
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

__all__ = ["FhirValidationError", "validated"]

_MODELS = {"MedicationRequest": MedicationRequest, "ServiceRequest": ServiceRequest}

# Validation costs ~0.2-0.5 ms per resource, so it is done once per *shape*: the per-call strings of a
# suggestion (its id, calendar dates, "Type/id" references) are swapped for sentinels of the same kind,
# the sentinel resource is validated (cached), and the real strings are put back.  A real string is
# swapped only when it is certainly valid wherever the sentinel was (a real calendar date; a plain id),
# so the answer is exactly what validating the resource itself gives; anything else stays in the key.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_REFERENCE = re.compile(r"([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\-.]{1,64})")
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_SENTINEL_DAY = date(1801, 1, 1)  # sentinel dates are in the 1800s, sentinel ids "sentinel-<n>"
_SHAPES = 1024


class FhirValidationError(ValueError):
    """Raised when a resource we are about to emit is not valid FHIR R4."""


def _validate(resource: dict[str, Any]) -> dict[str, Any]:
    model = _MODELS[resource["resourceType"]]
    try:
        parsed = model.model_validate(resource)  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise FhirValidationError(f"invalid {resource['resourceType']}: {exc.error_count()} errors") from exc
    dumped: dict[str, Any] = parsed.model_dump(mode="json", exclude_none=True)
    return dumped


def _strings(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for value in node.values():
            _strings(value, found)
    elif isinstance(node, list):
        for value in node:
            _strings(value, found)
    elif isinstance(node, str):
        if node.startswith("sentinel-") or (node.startswith("18") and _DATE.match(node)):
            raise _Unshapeable
        found.add(node)


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _swaps(strings: set[str]) -> dict[str, str]:
    """Real string -> sentinel; dates keep their order (a rule comparing two dates sees the same)."""
    swaps = {
        value: (_SENTINEL_DAY + timedelta(days=n)).isoformat()
        for n, value in enumerate(sorted(v for v in strings if _is_date(v)))
    }
    for value in sorted(strings):
        reference = _REFERENCE.fullmatch(value)
        if reference:
            swaps[value] = f"{reference[1]}/sentinel-{len(swaps)}"
    return swaps


def _abstract(node: Any, swaps: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {k: _abstract(v, swaps) for k, v in node.items()}
    if isinstance(node, list):
        return [_abstract(v, swaps) for v in node]
    if isinstance(node, str):
        return swaps.get(node, node)
    return node


class _Unshapeable(Exception):
    """A value that could be confused with a sentinel: validate the resource itself."""


@lru_cache(maxsize=_SHAPES)
def _validated_shape(shape: bytes) -> bytes:
    return orjson.dumps(_validate(orjson.loads(shape)))


@lru_cache(maxsize=_SHAPES)
def _validated_exactly(resource: bytes) -> bytes:
    return orjson.dumps(_validated_by_shape(orjson.loads(resource)))


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate with the R4B model and return the round-tripped JSON (what the model accepted).

    The same resource (an order-select fires again and again while the clinician edits the same
    draft) is answered from its exact bytes; another resource of a known shape from the shape cache.
    """
    try:
        exact = orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # not JSON (cannot come from a request): let the model say why
        return _validate(resource)
    parsed: dict[str, Any] = orjson.loads(_validated_exactly(exact))
    return parsed


def _validated_by_shape(resource: dict[str, Any]) -> dict[str, Any]:
    strings: set[str] = set()
    try:
        _strings(resource, strings)
    except _Unshapeable:
        return _validate(resource)
    swaps = _swaps(strings)
    shape = _abstract(resource, swaps)
    resource_id = resource.get("id")
    if isinstance(resource_id, str) and _ID.fullmatch(resource_id) and resource_id not in swaps:
        shape["id"] = f"sentinel-{len(swaps)}"  # the resource's own id only: the same text elsewhere stays
        swaps[resource_id] = shape["id"]
    result = _validated_shape(orjson.dumps(shape))
    for value, sentinel in swaps.items():
        result = result.replace(orjson.dumps(sentinel), orjson.dumps(value))
    parsed: dict[str, Any] = orjson.loads(result)
    return parsed
