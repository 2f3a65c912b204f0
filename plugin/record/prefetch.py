"""Read prefetch values, telling absent, null and OperationOutcome apart (CDS Hooks 2.0)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from plugin.errors import BadHookRequest


@dataclass(frozen=True)
class PrefetchResult:
    resources: dict[str, list[dict[str, Any]]]  # key -> resources (empty list for null = no data)
    missing: tuple[str, ...]  # keys not provided: absent or an OperationOutcome


def resources_in(value: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Resources of a searchset Bundle (outcome entries dropped) or a single resource."""
    if value.get("resourceType") != "Bundle":
        return [dict(value)]
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        raise BadHookRequest("a prefetch Bundle's entry must be an array")
    if not all(isinstance(entry, dict) for entry in entries):
        raise BadHookRequest("a prefetch Bundle entry must be an object")
    return entry_resources(entries)


def entry_resources(entries: list[Any]) -> list[dict[str, Any]]:
    """The resources of searchset entries; OperationOutcome (search warnings) and junk dropped."""
    out = []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            continue
        if (
            resource["resourceType"] == "OperationOutcome"
            or (entry.get("search") or {}).get("mode") == "outcome"
        ):
            continue
        out.append(resource)
    return out


def read_prefetch(prefetch: Mapping[str, Any], keys: Iterable[str]) -> PrefetchResult:
    resources: dict[str, list[dict[str, Any]]] = {}
    missing: list[str] = []
    for key in keys:
        if key not in prefetch:
            missing.append(key)
            continue
        value = prefetch[key]
        if value is None:
            resources[key] = []
        elif not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
            raise BadHookRequest(f"prefetch '{key}' must be a FHIR resource or null")
        elif value["resourceType"] == "OperationOutcome":
            missing.append(key)
        else:
            resources[key] = resources_in(value)
    return PrefetchResult(resources, tuple(missing))
