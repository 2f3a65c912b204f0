"""The whole record read once: every resource to its view, by a dict lookup on its type.

``read_record`` is the only walk over the record's raw JSON.  What cannot be read is not dropped:
an entry whose essential part is unreadable becomes an ``Unreadable`` that the answer names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from plugin.fhir.clinical import (
    Activity,
    Condition,
    Observation,
    read_activity,
    read_condition,
    read_observation,
)
from plugin.fhir.medications import (
    MEDICATION_USE_TYPES,
    MedicationDef,
    MedicationUse,
    read_medication,
    read_medication_use,
)
from plugin.fhir.references import resource_key

ACTIVITY_TYPES = ("Procedure", "Encounter", "ServiceRequest", "Appointment", "EpisodeOfCare")


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An entry used with what could be read, whose essential part (``part``) could not be."""

    reference: str  # "MedicationRequest/x", or "entry 3 of medicationRequests" when it has no id
    key: str  # the prefetch key it came from
    part: str  # "drug", "date", "result", "code", "resource"


@dataclass(frozen=True)
class ReadRecord:
    medication_uses: tuple[MedicationUse, ...] = ()
    observations: tuple[Observation, ...] = ()
    conditions: tuple[Condition, ...] = ()
    activities: dict[str, tuple[Activity, ...]] = field(default_factory=dict)  # by resource type
    medications: dict[str, MedicationDef] = field(default_factory=dict)  # "Medication/id", fullUrl
    counts: dict[str, int] = field(default_factory=dict)  # resource type -> how many were read
    unreadable: tuple[Unreadable, ...] = ()

    def of(self, kind: str) -> tuple[Activity, ...]:
        return self.activities.get(kind, ())


def medication_index(
    resources: Iterable[Mapping[str, Any]], full_urls: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, MedicationDef]:
    """Medications by "Medication/id" and by the fullUrl of their Bundle entry (``urn:uuid:`` too)."""
    index: dict[str, MedicationDef] = {}
    for resource in resources:
        if resource.get("resourceType") == "Medication" and (key := resource_key(dict(resource))):
            index[key] = read_medication(resource)
    for url, resource in (full_urls or {}).items():
        if resource.get("resourceType") == "Medication":
            index[url] = read_medication(resource)
    return index


_Reader = Callable[[Mapping[str, Any], str, str], Any]
_READERS: dict[str, tuple[str, _Reader]] = {
    "Observation": ("observations", read_observation),
    "Condition": ("conditions", read_condition),
    **{kind: ("activities", read_activity) for kind in ACTIVITY_TYPES},
}


def read_record(
    by_key: Mapping[str, Iterable[Mapping[str, Any]]],
    full_urls: Mapping[str, Mapping[str, Any]] | None = None,
    unreadable: Iterable[Unreadable] = (),
) -> ReadRecord:
    """Every resource of the record to its view, once."""
    everything = [(key, r) for key, resources in by_key.items() for r in resources]
    medications = medication_index((r for _, r in everything), full_urls)
    uses: list[MedicationUse] = []
    found: dict[str, list[Any]] = {"observations": [], "conditions": []}
    activities: dict[str, list[Activity]] = {}
    lost = list(unreadable)
    counts: Counter[str] = Counter()
    for key, resource in everything:
        kind = resource.get("resourceType")
        if not isinstance(kind, str):
            continue
        counts[kind] += 1
        if kind in MEDICATION_USE_TYPES:
            use = read_medication_use(resource, key, medications, kind)
            uses.append(use)
            if not use.drug.readable or use.drug.damaged:
                lost.append(Unreadable(use.reference, key, "drug" if not use.drug.readable else "drug code"))
            elif use.drug.unresolved and not use.drug.display:
                lost.append(Unreadable(use.reference, key, f"drug: {use.drug.unresolved} not found"))
            continue
        reader = _READERS.get(kind)
        if reader is None:
            continue
        view = reader[1](resource, key, kind)
        if reader[0] == "activities":
            activities.setdefault(kind, []).append(view)
        else:
            found[reader[0]].append(view)
            if view.code is None or not view.code.readable or view.code.damaged:
                lost.append(Unreadable(view.reference, key, "code"))
    return ReadRecord(
        medication_uses=tuple(uses),
        observations=tuple(found["observations"]),
        conditions=tuple(found["conditions"]),
        activities={k: tuple(v) for k, v in activities.items()},
        medications=medications,
        counts=dict(sorted(counts.items())),
        unreadable=tuple(lost),
    )
