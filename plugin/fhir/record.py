"""The whole record read once: every resource to its view, by a dict lookup on its type.

``read_record`` is the only walk over the record's raw JSON.  What cannot be read is not dropped:
an entry whose essential part is unreadable becomes an ``Unreadable`` that the answer names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from plugin.fhir.clinical import Activity, Condition, Observation
from plugin.fhir.concepts import concept
from plugin.fhir.medications import (
    MEDICATION_USE_TYPES,
    MedicationDef,
    MedicationUse,
    read_drug,
    read_medication,
)
from plugin.fhir.references import resource_key
from plugin.fhir.view import View

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


# The views made by kind (one lookup per resource); True: its code is read when the view is made.
_VIEWS: dict[str, tuple[type[View], bool]] = {
    "Observation": (Observation, True),
    "Condition": (Condition, True),
    **{kind: (Activity, False) for kind in ACTIVITY_TYPES},
}
_new = object.__new__


def _drug_unreadable(use: MedicationUse, key: str) -> Unreadable | None:
    drug = use.drug
    if not drug.readable or drug.damaged:
        return Unreadable(use.reference, key, "drug" if not drug.readable else "drug code")
    if drug.reference is not None and not drug.display:
        return Unreadable(use.reference, key, f"drug: {drug.reference.raw} not found")
    return None


def read_record(
    by_key: Mapping[str, Iterable[Mapping[str, Any]]],
    full_urls: Mapping[str, Mapping[str, Any]] | None = None,
    unreadable: Iterable[Unreadable] = (),
) -> ReadRecord:
    """Every resource of the record to its view, once: one walk, each resource routed by a dict lookup
    on its type.  The Medications are indexed before the first entry that names its drug by reference
    (an order can name one that comes after it), else at the end: a record of coded drugs is walked
    once.  A view is made here without its constructor (one call less per resource): its ``__dict__``
    gets what ``View.__init__`` (``MedicationUse.__init__``) would put there, and the fields read
    here; tests/fhir/test_record_views.py holds the two ways equal."""
    medications: dict[str, MedicationDef] | None = None
    medication_resources: list[Mapping[str, Any]] = []
    uses: list[MedicationUse] = []
    views: dict[str, list[Any]] = {}  # resource type -> its views, in record order
    lost = list(unreadable)
    kinds: list[str] = []  # counted at the end
    checked: set[int] = set()  # drugs found readable (a record's entries of one coded drug share it)
    for key, resources in by_key.items():
        for resource in resources:
            kind = resource.get("resourceType")
            if type(kind) is not str:
                continue
            kinds.append(kind)
            if kind in MEDICATION_USE_TYPES:
                if medications is None and resource.get("medicationCodeableConcept") is None:
                    medications = _medications(by_key, full_urls)  # its drug may be a Medication
                drug = read_drug(resource, medications or _NONE)  # one Drug per coded drug in a call
                use = _new(MedicationUse)
                fields = use.__dict__
                fields["_raw"], fields["key"], fields["kind"], fields["drug"] = resource, key, kind, drug
                uses.append(use)
                if id(drug) in checked:
                    continue
                if drug.damaged or not drug.readable or drug.reference is not None:
                    if (why := _drug_unreadable(use, key)) is not None:
                        lost.append(why)
                else:
                    checked.add(id(drug))  # the entries hold it: its id is not reused meanwhile
                continue
            made = _VIEWS.get(kind)
            if made is None:
                if kind == "Medication":
                    medication_resources.append(resource)
                continue
            view = _new(made[0])
            fields = view.__dict__
            fields["_raw"], fields["key"], fields["kind"] = resource, key, kind
            if (found := views.get(kind)) is None:
                found = views[kind] = []
            found.append(view)
            if made[1]:  # what the view's lazy ``code`` reads, given to it
                code = fields["code"] = concept(resource.get("code"))
                if code is None or code.damaged or not code.readable:
                    lost.append(Unreadable(view.reference, key, "code"))
                if kind == "Observation":  # and its coded value, which every hook call asks
                    value = resource.get("valueCodeableConcept")
                    fields["value_concept"] = None if value is None else concept(value)
    return ReadRecord(
        medication_uses=tuple(uses),
        observations=tuple(views.pop("Observation", ())),
        conditions=tuple(views.pop("Condition", ())),
        activities={k: tuple(v) for k, v in views.items()},
        medications=medication_index(medication_resources, full_urls) if medications is None else medications,
        counts=dict(sorted(Counter(kinds).items())),
        unreadable=tuple(lost),
    )


_NONE: dict[str, MedicationDef] = {}


def _medications(
    by_key: Mapping[str, Iterable[Mapping[str, Any]]], full_urls: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, MedicationDef]:
    """Every Medication of the record, indexed (``medication_index``)."""
    return medication_index(
        (r for resources in by_key.values() for r in resources if r.get("resourceType") == "Medication"),
        full_urls,
    )
