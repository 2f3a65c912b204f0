"""Type mutations of the scenario corpus: every field of every resource replaced by each JSON type, or
dropped.  Used by ``test_mutation_property`` (a sample in CI, every mutation under ``make fuzz``)."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.paths import SCENARIOS

# The JSON types a field can be replaced by (a huge number is the largest finite double), and dropping.
REPLACEMENTS: tuple[tuple[str, Any], ...] = (
    ("null", None),
    ("true", True),
    ("number", 3),
    ("huge", 1.7976931348623157e308),
    ("string", "x"),
    ("array", []),
    ("object", {}),
)
DROP = "drop"
SAFETY_RULES = frozenset({"R1", "R2", "R3", "R4", "R5", "R6"})
FIGURES: Counter[str] = Counter()  # printed at the end of the run (tests/fuzz/conftest.py)


@dataclass(frozen=True)
class Mutation:
    scenario: str
    path: tuple[str | int, ...]  # from the request's root
    kind: str  # a REPLACEMENTS name or DROP

    def __str__(self) -> str:
        return f"{self.scenario}: {'.'.join(map(str, self.path))} -> {self.kind}"


def scenario_files() -> list[Path]:
    return sorted(SCENARIOS.rglob("*.json"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _fields(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key), value
            yield from _fields(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _fields(value, (*path, i))


def resource_fields(request: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every field (at any depth) of the draft orders and the prefetched Bundles and resources."""
    context = request.get("context", {})
    for key in ("draftOrders", "medications"):
        if key in context:
            yield from _fields(context[key], ("context", key))
    for key, value in (request.get("prefetch") or {}).items():
        yield from _fields(value, ("prefetch", key))


def mutations(path: Path) -> Iterator[tuple[Mutation, bool]]:
    """(mutation, changes the field's JSON type or drops it) for every field of the scenario."""
    for field_path, original in resource_fields(load(path)["request"]):
        for name, _ in REPLACEMENTS:
            yield Mutation(path.stem, field_path, name), name != _type_of(original)
        yield Mutation(path.stem, field_path, DROP), True


def apply(request: dict[str, Any], mutation: Mutation) -> dict[str, Any]:
    body = copy.deepcopy(request)
    node: Any = body
    for step in mutation.path[:-1]:
        node = node[step]
    last = mutation.path[-1]
    if mutation.kind == DROP:
        del node[last]
    else:
        node[last] = dict(REPLACEMENTS)[mutation.kind]
        if isinstance(node[last], (list, dict)):
            node[last] = type(node[last])()
    return body


def expected_hazards(scenario: dict[str, Any]) -> frozenset[str]:
    return frozenset(e["rule"] for e in scenario["expected"]) & SAFETY_RULES
