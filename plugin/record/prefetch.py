"""Read prefetch values, telling absent, null, OperationOutcome, unreadable and incomplete apart.

CDS Hooks 2.0: an absent key or an OperationOutcome means "not provided" (fetch it, else 412); null
means "no data".  Beyond the spec, what real EHRs send: a value that is not a resource is unreadable
(fetched when possible, else the could-not-verify card names the key); a searchset with a ``next``
link or a ``total`` above its entries is only the first page (the rest is fetched, else named).
Entries that are not resources are counted, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from plugin.fhir.record import Unreadable
from plugin.fhir.values import items, objects, text

UNREADABLE_VALUE = "the prefetched data could not be read"
INCOMPLETE = "the prefetched search was only partly sent (more pages) and could not be completed"


@dataclass(frozen=True)
class PrefetchResult:
    resources: dict[str, list[dict[str, Any]]]  # key -> resources (empty list for null = no data)
    missing: tuple[str, ...]  # keys not provided: absent or an OperationOutcome
    unreadable_keys: tuple[str, ...] = ()  # keys whose value is not a FHIR resource
    incomplete: dict[str, str] = field(default_factory=dict)  # key -> next page URL ("" when unknown)
    full_urls: dict[str, dict[str, Any]] = field(default_factory=dict)  # Bundle fullUrl -> Medication
    unreadable: tuple[Unreadable, ...] = ()  # entries that are not resources


def _is_outcome(entry: dict[str, Any], resource: dict[str, Any]) -> bool:
    search = entry.get("search")
    return resource["resourceType"] == "OperationOutcome" or (
        isinstance(search, dict) and search.get("mode") == "outcome"
    )


def entry_resources(entries: Iterable[Any]) -> list[dict[str, Any]]:
    """The resources of searchset entries; OperationOutcome (search warnings) and junk dropped."""
    out = []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            continue
        if not _is_outcome(entry, resource):
            out.append(resource)
    return out


def resources_in(value: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Resources of a searchset Bundle (outcome entries dropped) or a single resource."""
    if value.get("resourceType") != "Bundle":
        return [dict(value)]
    return entry_resources(objects(value.get("entry")))


def next_page(bundle: Mapping[str, Any]) -> str | None:
    """The URL of the next page of a searchset, when it says there is one."""
    for link in objects(bundle.get("link")):
        if text(link.get("relation")) == "next":
            return text(link.get("url"))
    return None


_APART = frozenset({"OperationOutcome", "Medication"})  # search warnings; Medications by fullUrl


@dataclass
class _Reading:
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    unreadable_keys: list[str] = field(default_factory=list)
    incomplete: dict[str, str] = field(default_factory=dict)
    full_urls: dict[str, dict[str, Any]] = field(default_factory=dict)
    unreadable: list[Unreadable] = field(default_factory=list)

    def bundle(self, key: str, bundle: Mapping[str, Any]) -> None:
        entries = bundle.get("entry")
        if entries is not None and not isinstance(entries, list | dict):
            self.unreadable_keys.append(key)
            return
        out: list[dict[str, Any]] = []
        lost = len(self.unreadable)
        for position, entry in enumerate(items(entries)):
            try:  # of decoded JSON only an object has .get: no type test per entry when all is well
                resource = entry.get("resource")
                kind = resource.get("resourceType")
            except AttributeError:
                kind = None
            if type(kind) is not str:
                self.unreadable.append(Unreadable(f"entry {position + 1} of {key}", key, "resource"))
                continue
            search = entry.get("search")
            if type(search) is dict and search.get("mode") == "outcome":
                continue
            if kind in _APART:
                if kind == "OperationOutcome":
                    continue
                if url := text(entry.get("fullUrl")):
                    self.full_urls[url] = resource
            out.append(resource)
        self.resources[key] = out
        matches = len(out) + len(self.unreadable) - lost  # the resources and the unreadable entries
        total = bundle.get("total")
        # total counts matches; some servers count _include'd resources too: compare with both.
        more = isinstance(total, int | float) and not isinstance(total, bool) and total > matches
        following = next_page(bundle)
        if following is not None or more:
            self.incomplete[key] = following or ""


def read_prefetch(prefetch: Mapping[str, Any], keys: Iterable[str]) -> PrefetchResult:
    reading = _Reading()
    for key in keys:
        if key not in prefetch:
            reading.missing.append(key)
            continue
        value = prefetch[key]
        if value is None:
            reading.resources[key] = []
        elif not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
            reading.unreadable_keys.append(key)
        elif value["resourceType"] == "OperationOutcome":
            reading.missing.append(key)
        elif value["resourceType"] == "Bundle":
            reading.bundle(key, value)
        else:
            reading.resources[key] = [value]
    return PrefetchResult(
        reading.resources,
        tuple(reading.missing),
        tuple(reading.unreadable_keys),
        reading.incomplete,
        reading.full_urls,
        tuple(reading.unreadable),
    )
