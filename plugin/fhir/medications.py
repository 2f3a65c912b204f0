"""Medication resources read once: MedicationRequest/Order, Dispense, Statement, Administration.

The drug is resolved once, when the view is made, whatever way the resource names it
(``plugin.fhir.drugs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from plugin.fhir.concepts import Concept, concepts
from plugin.fhir.dates import Period, parse_date, period
from plugin.fhir.dosage import Dosage, read_dosage
from plugin.fhir.drugs import Drug, MedicationDef, read_drug, read_medication
from plugin.fhir.quantities import Quantity, duration_days, quantity
from plugin.fhir.references import Ref, reference_of
from plugin.fhir.values import obj, objects, text, whole
from plugin.fhir.view import View, lazy

MEDICATION_USE_TYPES = frozenset(
    {
        "MedicationRequest",
        "MedicationOrder",
        "MedicationDispense",
        "MedicationStatement",
        "MedicationAdministration",
    }
)
__all__ = ["MEDICATION_USE_TYPES", "SUGGESTION_TAG", "Drug", "MedicationDef", "MedicationUse"]
__all__ += ["read_drug", "read_medication", "read_medication_use"]
SUGGESTION_TAG = ("https://fhir.naltrexone-cds.org/CodeSystem/tags", "suggested-by-naltrexone-cds")


class MedicationUse(View):
    """A medication order, fill, statement or administration, normalised.

    The type, id, status and drug are read when the view is made (every entry is classified by its
    drug); the rest is read on first use, once (most entries of a record are not opioids and are
    never asked when they were taken).
    """

    def __init__(
        self,
        resource: Mapping[str, Any],
        key: str,
        bundled: Mapping[str, MedicationDef],
        kind: str | None = None,
    ) -> None:
        fields = self.__dict__  # View.__init__, inlined: a record holds many of these
        fields["_raw"] = resource
        fields["key"] = key
        if kind is not None:
            fields["kind"] = kind
        fields["drug"] = read_drug(resource, bundled)

    drug: Drug

    @lazy
    def intent(self) -> str:
        return text(self._raw.get("intent")).lower()

    @lazy
    def dosages(self) -> tuple[Dosage, ...]:
        raw = self._raw.get("dosageInstruction")
        if raw is None:
            raw = self._raw.get("dosage")  # Statement: array; Administration: one object
        return tuple(read_dosage(d) for d in objects(raw))

    @lazy
    def authored(self) -> date | None:
        """authoredOn (dateWritten in DSTU2 MedicationOrder)."""
        return parse_date(self._raw.get("authoredOn")) or parse_date(self._raw.get("dateWritten"))

    @lazy
    def handed_over(self) -> date | None:
        return parse_date(self._raw.get("whenHandedOver"))

    @lazy
    def prepared(self) -> date | None:
        return parse_date(self._raw.get("whenPrepared"))

    @lazy
    def effective(self) -> Period:
        return period(self._raw.get("effectivePeriod"))

    @lazy
    def effective_at(self) -> date | None:
        return parse_date(self._raw.get("effectiveDateTime"))

    @lazy
    def asserted(self) -> date | None:
        return parse_date(self._raw.get("dateAsserted"))

    @lazy
    def _dispense(self) -> dict[str, Any]:
        return obj(self._raw.get("dispenseRequest"))

    @lazy
    def validity(self) -> Period:
        return period(self._dispense.get("validityPeriod"))

    @lazy
    def expected_supply_days(self) -> float | None:
        return duration_days(self._dispense.get("expectedSupplyDuration"))

    @lazy
    def repeats(self) -> int | None:
        """numberOfRepeatsAllowed (refills)."""
        return whole(self._dispense.get("numberOfRepeatsAllowed"))

    @lazy
    def dispense_quantity(self) -> Quantity | None:
        """dispenseRequest.quantity (orders) or quantity (dispenses)."""
        return quantity(self._dispense.get("quantity")) or quantity(self._raw.get("quantity"))

    @lazy
    def days_supply(self) -> Quantity | None:
        return quantity(self._raw.get("daysSupply"))

    @lazy
    def reasons(self) -> tuple[Concept, ...]:
        return concepts(self._raw.get("reasonCode"))

    @property
    def reasons_damaged(self) -> bool:
        """reasonCode sent but not all readable: null, a number, ``{}``, a reason with a wrong-typed part."""
        raw = self._raw.get("reasonCode")
        sent = raw if type(raw) is list else [raw]
        return "reasonCode" in self._raw and (
            not sent
            or len(self.reasons) != len(sent)
            or any(r.damaged or not r.readable for r in self.reasons)
        )

    @lazy
    def authorizing(self) -> tuple[Ref, ...]:
        """MedicationDispense.authorizingPrescription: the orders a fill was made for."""
        raw = self._raw.get("authorizingPrescription")
        if raw is None:
            return ()
        return tuple(ref for r in objects(raw) if (ref := reference_of(r)) is not None)

    def may_authorize(self, order_id: str) -> bool:
        """False when no authorizingPrescription reference can name the order ``order_id`` (its text
        does not hold the id): what ``authorizing`` would read, without parsing each reference."""
        raw = self._raw.get("authorizingPrescription")
        if raw is None:
            return False
        return any(type(ref := r.get("reference")) is str and order_id in ref for r in objects(raw))

    @lazy
    def prior_prescription(self) -> Ref | None:
        return reference_of(self._raw.get("priorPrescription"))

    @lazy
    def tagged(self) -> bool:
        """Carries our suggestion tag."""
        return any(
            (t.get("system"), t.get("code")) == SUGGESTION_TAG
            for t in objects(obj(self._raw.get("meta")).get("tag"))
        )

    @property
    def routes(self) -> tuple[Concept, ...]:
        return tuple(d.route for d in self.dosages if d.route is not None)

    def route_list(self) -> tuple[Concept, ...]:
        """``routes`` as a call, for classifiers that read the route only when they need it."""
        return self.routes

    @property
    def when_damaged(self) -> bool:
        """A date, period or supply duration that says when it was taken was sent but cannot be read."""
        return (
            self.dates_damaged(
                "authoredOn",
                "dateWritten",
                "whenHandedOver",
                "whenPrepared",
                "effectiveDateTime",
                "effectivePeriod",
                "dateAsserted",
                "daysSupply",
            )
            or ("dispenseRequest" in self._raw and not isinstance(self._raw["dispenseRequest"], dict))
            or (bool(self._dispense) and self._dispense_damaged)
        )

    @lazy
    def _dispense_damaged(self) -> bool:
        dispense = self._dispense
        return ("validityPeriod" in dispense and period(dispense["validityPeriod"]).damaged) or (
            "expectedSupplyDuration" in dispense and self.expected_supply_days is None
        )

    @property
    def supply_days(self) -> float | None:
        """Expected supply x (1 + refills), for orders."""
        if self.expected_supply_days is None:
            return None
        return self.expected_supply_days * (1 + (self.repeats or 0))


def read_medication_use(
    resource: Mapping[str, Any], key: str, bundled: Mapping[str, MedicationDef], kind: str | None = None
) -> MedicationUse:
    return MedicationUse(resource, key, bundled, kind)
