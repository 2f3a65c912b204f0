"""Observations, Conditions, Procedures, Encounters, ServiceRequests and Appointments as views.

Each field is read on first use, once: a record's hundred observations are asked their code (one
dict lookup in the terminology), and only the few that matter are read further.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from plugin.fhir.concepts import Concept, concept, concepts
from plugin.fhir.dates import Period, parse_date, period
from plugin.fhir.quantities import Quantity, quantity
from plugin.fhir.values import objects, text
from plugin.fhir.view import Part, View, lazy


class Range(NamedTuple):
    low: Quantity | None
    high: Quantity | None
    text: str


class Result(Part):
    """An Observation or one of its components: what was measured and what was found."""

    @lazy
    def code(self) -> Concept | None:
        """None: unreadable."""
        return concept(self._raw.get("code"))

    @lazy
    def value_concept(self) -> Concept | None:
        return concept(self._raw.get("valueCodeableConcept"))

    @lazy
    def value_string(self) -> str:
        return text(self._raw.get("valueString"))

    @lazy
    def value_quantity(self) -> Quantity | None:
        return quantity(self._raw.get("valueQuantity"))

    @lazy
    def value_boolean(self) -> bool | None:
        value = self._raw.get("valueBoolean")
        return value if isinstance(value, bool) else None

    @lazy
    def interpretations(self) -> tuple[Concept, ...]:
        return concepts(self._raw.get("interpretation"))

    @lazy
    def ranges(self) -> tuple[Range, ...]:
        return tuple(
            Range(quantity(r.get("low")), quantity(r.get("high")), text(r.get("text")))
            for r in objects(self._raw.get("referenceRange"))
        )

    @property
    def damaged(self) -> bool:
        """A value or interpretation was sent with a wrong type (what is readable is still used)."""
        raw = self._raw
        wrong = (
            ("valueString" in raw and type(raw["valueString"]) is not str)
            or ("valueBoolean" in raw and type(raw["valueBoolean"]) is not bool)
            or ("valueQuantity" in raw and self.value_quantity is None)
            or ("valueCodeableConcept" in raw and (self.value_concept is None or self.value_concept.damaged))
            or ("interpretation" in raw and len(self.interpretations) != len(objects(raw["interpretation"])))
            or ("interpretation" in raw and not isinstance(raw["interpretation"], list | dict))
        )
        # An interpretation that says nothing readable ({}, no coding nor text) is damaged, not absent.
        return bool(wrong or any(i.damaged or not i.readable for i in self.interpretations))

    @property
    def has_value(self) -> bool:
        return bool(
            self.value_concept is not None
            or self.value_string
            or self.value_quantity is not None
            or self.value_boolean is not None
            or self.interpretations
        )


class Observation(View):
    @lazy
    def result(self) -> Result:
        result = Result(self._raw)
        result.__dict__["code"] = self.code  # the same fields, read once
        result.__dict__["value_concept"] = self.value_concept
        return result

    @lazy
    def code(self) -> Concept | None:
        """None: unreadable."""
        return concept(self._raw.get("code"))

    @lazy
    def value_concept(self) -> Concept | None:
        """valueCodeableConcept, read without making the result (which is then handed this one)."""
        raw = self._raw.get("valueCodeableConcept")
        return None if raw is None else concept(raw)

    @property
    def components_damaged(self) -> bool:
        """component was sent (null, ``{}``, ``[]`` included) but none of it is a readable object."""
        return "component" in self._raw and not any(c._raw for c in self.components)

    @property
    def has_components(self) -> bool:
        return bool(self._raw.get("component"))

    @lazy
    def components(self) -> tuple[Result, ...]:
        return tuple(Result(c) for c in objects(self._raw.get("component")))

    @lazy
    def effective(self) -> Period:
        return period(self._raw.get("effectivePeriod"))

    @lazy
    def effective_at(self) -> date | None:
        return parse_date(self._raw.get("effectiveDateTime"))

    @lazy
    def issued(self) -> date | None:
        return parse_date(self._raw.get("issued"))

    @property
    def when(self) -> date | None:
        """End of the effective period, else the instant, else its start, else when issued."""
        return self.effective.end or self.effective_at or self.effective.start or self.issued


def read_observation(resource: Mapping[str, Any], key: str, kind: str | None = None) -> Observation:
    return Observation(resource, key, kind)


def _status_codes(raw: Any) -> frozenset[str]:
    found = concept(raw)
    if found is None:
        return frozenset({text(raw).lower()} - {""})  # R3-era plain code string
    return frozenset(c.code.lower() for c in found.codings if c.code)


def _status_unreadable(raw: Any) -> bool:
    if isinstance(raw, str):
        return not raw.strip()
    found = concept(raw)
    return found is None or found.damaged or not found.codings


class Condition(View):
    @lazy
    def code(self) -> Concept | None:
        """None: unreadable."""
        return concept(self._raw.get("code"))

    @lazy
    def clinical(self) -> frozenset[str]:
        """clinicalStatus codes."""
        return _status_codes(self._raw.get("clinicalStatus"))

    @lazy
    def verification(self) -> frozenset[str]:
        return _status_codes(self._raw.get("verificationStatus"))

    @lazy
    def recorded(self) -> date | None:
        return parse_date(self._raw.get("recordedDate")) or parse_date(self._raw.get("assertedDate"))

    @lazy
    def onset(self) -> date | None:
        """onsetDateTime, else onsetPeriod.start."""
        return parse_date(self._raw.get("onsetDateTime")) or period(self._raw.get("onsetPeriod")).start

    @lazy
    def abated(self) -> bool:
        """Some abatement[x] is present."""
        return any(k.startswith("abatement") and v not in (None, False) for k, v in self._raw.items())

    @lazy
    def abatement(self) -> date | None:
        raw = self._raw
        return parse_date(raw.get("abatementDateTime")) or period(raw.get("abatementPeriod")).end

    @property
    def status_damaged(self) -> bool:
        """clinicalStatus or verificationStatus sent but unreadable."""
        return any(
            name in self._raw and _status_unreadable(self._raw[name])
            for name in ("clinicalStatus", "verificationStatus")
        )

    @lazy
    def categories(self) -> tuple[Concept, ...]:
        return concepts(self._raw.get("category"))


def read_condition(resource: Mapping[str, Any], key: str, kind: str | None = None) -> Condition:
    return Condition(resource, key, kind)


_CONCEPT_FIELDS = (
    "code",
    "type",
    "appointmentType",
    "category",
    "serviceCategory",
    "serviceType",
    "specialty",
    "reasonCode",
)


class Activity(View):
    """A Procedure, Encounter, ServiceRequest, Appointment or EpisodeOfCare: coded, dated activity."""

    @lazy
    def code(self) -> Concept | None:
        """code (Procedure, ServiceRequest), else the first type (Encounter), else appointmentType."""
        raw = self._raw
        return concept(raw.get("code")) or next(iter(self.types), None) or concept(raw.get("appointmentType"))

    @lazy
    def concepts(self) -> tuple[Concept, ...]:
        """Every concept that says what it is (code, type, category, service, specialty, reason)."""
        return tuple(c for name in _CONCEPT_FIELDS for c in concepts(self._raw.get(name)))

    @lazy
    def types(self) -> tuple[Concept, ...]:
        """Encounter.type / EpisodeOfCare.type."""
        return concepts(self._raw.get("type"))

    @lazy
    def description(self) -> str:
        return text(self._raw.get("description"))

    @lazy
    def period(self) -> Period:
        """performedPeriod / Encounter.period / occurrencePeriod / Appointment start-end."""
        raw = self._raw
        when = period(raw.get("performedPeriod") or raw.get("period") or raw.get("occurrencePeriod"))
        start = parse_date(raw.get("start"))
        if start and when.start is None:
            return Period(start, parse_date(raw.get("end")))
        return when

    @lazy
    def at(self) -> date | None:
        """performedDateTime / occurrenceDateTime."""
        raw = self._raw
        return parse_date(raw.get("performedDateTime")) or parse_date(raw.get("occurrenceDateTime"))

    @lazy
    def requested(self) -> Period:
        """Appointment.requestedPeriod[0]."""
        return period(next(iter(objects(self._raw.get("requestedPeriod"))), None))

    @property
    def words(self) -> str:
        return " ".join(w for w in [*(c.words for c in self.concepts), self.description] if w)


def read_activity(resource: Mapping[str, Any], key: str, kind: str | None = None) -> Activity:
    return Activity(resource, key, kind)
