"""A small checker for our StructureDefinition differentials (fhir.resources validates base R4 only).

Checks per element path: min/max cardinality (within each present parent), fixed[x] (equal) and
pattern[x] (contained) values, and required bindings to our own value sets (a coding must be in the
set).  Choice elements ``x[x]`` with one type map to ``xType``.
"""

from __future__ import annotations

from typing import Any

from plugin.clinical.terminology import Terminology

OUR_VALUESETS = "https://fhir.naltrexone-cds.org/ValueSet/"


def _segment(element: dict[str, Any], name: str) -> str:
    if name.endswith("[x]"):
        kind = element["type"][0]["code"]
        return name[:-3] + kind[0].upper() + kind[1:]
    return name


def _children(parents: list[Any], name: str) -> list[list[Any]]:
    out = []
    for parent in parents:
        value = parent.get(name) if isinstance(parent, dict) else None
        out.append([] if value is None else value if isinstance(value, list) else [value])
    return out


def _contains(value: Any, pattern: Any) -> bool:
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_contains(value.get(k), v) for k, v in pattern.items())
    if isinstance(pattern, list):
        return isinstance(value, list) and all(any(_contains(v, p) for v in value) for p in pattern)
    return value == pattern


def check(resource: dict[str, Any], profile: dict[str, Any], term: Terminology) -> list[str]:
    """Problems of ``resource`` against ``profile``'s differential (empty list = conforms)."""
    problems: list[str] = []
    by_id = {e["id"]: e for e in profile["differential"]["element"]}
    by_url = {term.url(name): name for name in term.names}
    for element in profile["differential"]["element"]:
        parts = element["path"].split(".")
        nodes: list[Any] = [resource]
        for depth, name in enumerate(parts[1:], start=1):
            defined = by_id.get(".".join(parts[: depth + 1]), {"type": [{"code": "?"}]})
            groups = _children(nodes, _segment(defined, name))
            nodes = [v for g in groups for v in g]
        path = element["path"]
        for group in groups if len(parts) > 1 else []:
            if len(group) < element.get("min", 0):
                problems.append(f"{path}: {len(group)} < min {element['min']}")
            if element.get("max", "*") != "*" and len(group) > int(element["max"]):
                problems.append(f"{path}: {len(group)} > max {element['max']}")
        for key, expected in element.items():
            if key.startswith("fixed") and any(v != expected for v in nodes):
                problems.append(f"{path}: not fixed {expected!r}")
            if key.startswith("pattern") and not all(_contains(v, expected) for v in nodes):
                problems.append(f"{path}: does not match pattern {expected!r}")
        binding = element.get("binding", {})
        url = str(binding.get("valueSet", "")).split("|")[0]
        if binding.get("strength") == "required" and url.startswith(OUR_VALUESETS):
            for value in nodes:
                if not term.any_in(by_url[url], value.get("coding") or []):
                    problems.append(f"{path}: no coding in {url}")
    return problems
