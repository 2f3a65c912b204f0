"""The only import site of fhir.resources: R4B models, which read and write R4 JSON.

Validation costs ~0.2-1 ms per resource, so what we emit is validated in two parts:

- our own resources (codes from our value sets, our wording, our dosing) are *templates*: built once
  with sentinels where a call's values go (a plain patient or order id, calendar dates we computed),
  validated once and remembered by the template's own bytes - never by anything a request sent;
- the fields a call copies from the clinician's draft are validated on every call, without a cache:
  a plain ``Type/id`` reference or a calendar date by its FHIR pattern, anything else with the model.

A call's values are put in only where they are certainly valid wherever the sentinel was (a plain
FHIR id, a date we computed); anything else is validated with the whole resource, as the model says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import orjson
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

__all__ = [
    "FhirValidationError",
    "PLAIN_ID",
    "Template",
    "fill_template",
    "model_order",
    "validated",
    "validated_fields",
    "validated_template",
]

_MODELS: dict[str, Any] = {"MedicationRequest": MedicationRequest, "ServiceRequest": ServiceRequest}
# JSON order of the model's output: resourceType, then the elements in the order R4 defines them.
_ORDER = {name: ("resourceType", *model.elements_sequence()) for name, model in _MODELS.items()}
PLAIN_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_PLAIN_REFERENCE = re.compile(r"[A-Z][A-Za-z]{1,63}/[A-Za-z0-9\-.]{1,64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_REFERENCES = frozenset({"subject", "requester", "encounter"})  # single Reference fields of a request
_TEMPLATES = 128  # our own resources: regimens x intents x forms, companion orders
# The smallest valid resource of each type: what a call's draft fields are validated inside.
_CARRIERS: dict[str, dict[str, Any]] = {
    "MedicationRequest": {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"text": "carrier"},
        "subject": {"reference": "Patient/carrier"},
    },
}


class FhirValidationError(ValueError):
    """Raised when a resource we are about to emit is not valid FHIR R4."""


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate with the R4B model and return the round-tripped JSON (what the model accepted)."""
    model = _MODELS[resource["resourceType"]]
    try:
        parsed = model.model_validate(resource)
    except ValidationError as exc:
        raise FhirValidationError(f"invalid {resource['resourceType']}: {exc.error_count()} errors") from exc
    dumped: dict[str, Any] = parsed.model_dump(mode="json", exclude_none=True)
    return dumped


@dataclass(frozen=True)
class Template:
    """One of our own resources, validated, compiled into ``build``: a function whose body is the
    resource written out as Python literals, each sentinel (a whole JSON string) read from its argument
    as ``values.get(sentinel, sentinel)``; ``slots`` lists the sentinels it holds, in document order."""

    build: Callable[[dict[str, str]], dict[str, Any]]
    slots: tuple[str, ...]


def _source(value: Any, sentinels: frozenset[str], slots: list[str]) -> str:
    """Python source that builds ``value`` (JSON data) afresh on every evaluation."""
    if type(value) is dict:
        items = (f"{key!r}: {_source(item, sentinels, slots)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    if type(value) is list:
        return "[" + ", ".join(_source(item, sentinels, slots) for item in value) + "]"
    if type(value) is str and value in sentinels:
        slots.append(value)
        return f"values.get({value!r}, {value!r})"
    if value is None or type(value) in (str, int, float, bool):
        return repr(value)
    raise TypeError(f"not JSON data: {type(value).__name__}")


@lru_cache(maxsize=_TEMPLATES)
def validated_template(template: bytes, sentinels: tuple[str, ...]) -> Template:
    """One of our own resources (serialised, ``sentinels`` in place of a call's values), validated once
    and compiled: a call builds it from literals instead of parsing JSON (our own text only is compiled;
    a call's values are arguments, never source)."""
    slots: list[str] = []
    source = _source(validated(orjson.loads(template)), frozenset(sentinels), slots)
    code = compile(f"lambda values: {source}", "<validated template>", "eval")
    build: Callable[[dict[str, str]], dict[str, Any]] = eval(code, {"__builtins__": {}})
    return Template(build, tuple(slots))


def fill_template(template: Template, values: dict[str, str]) -> dict[str, Any]:
    """A validated template with each sentinel it holds replaced by its value (left as it is when
    ``values`` does not name it).

    Callers pass only values valid wherever their sentinel is (plain ids, calendar dates), so the
    result is what validating the filled resource itself gives."""
    return template.build(values)


def _plain(name: str, value: Any) -> bool:
    """A draft field certainly valid, and written back unchanged, by the model: a reference that is
    only a plain ``Type/id``, or a calendar date."""
    if type(value) is dict and name in _REFERENCES:
        return (
            len(value) == 1
            and type(ref := value.get("reference")) is str
            and bool(_PLAIN_REFERENCE.fullmatch(ref))
        )
    if type(value) is str and name == "authoredOn" and _DATE.fullmatch(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True
    return False


def validated_fields(resource_type: str, fields: dict[str, Any]) -> dict[str, Any] | None:
    """Fields of a ``resource_type`` (copied from a request) as the model writes them back; None when
    one of them is not valid R4.  Validated every call: nothing a request sends is remembered."""
    rest = {name: value for name, value in fields.items() if not _plain(name, value)}
    if not rest:
        return dict(fields)
    try:
        checked = validated({**_CARRIERS[resource_type], **rest})
    except FhirValidationError:
        return None
    return {
        name: checked[name] if name in rest else value
        for name, value in fields.items()
        if name in checked or name not in rest
    }


def model_order(resource_type: str, names: set[str]) -> tuple[str, ...]:
    """``names`` in the order the model writes the elements of a ``resource_type``."""
    return tuple(name for name in _ORDER[resource_type] if name in names)
