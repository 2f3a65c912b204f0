"""The drug of a medication resource, resolved once whatever way it is named: a
``medicationCodeableConcept``, a contained ``#id`` Medication, a Bundle ``fullUrl`` / ``urn:uuid:``, or a
server-side ``Medication/<id>`` (resolved later from the record with ``Drug.resolve``).  A Medication
without a ``code`` is known by its ingredients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from plugin.fhir.concepts import EMPTY, Concept, concept, made_of_concepts, make_concept
from plugin.fhir.references import Ref, reference_of
from plugin.fhir.values import obj, objects, text


class MedicationDef(NamedTuple):
    """A Medication resource: its code, or (when it has none) its ingredients."""

    code: Concept
    ingredients: tuple[Concept, ...]
    damaged: bool = False  # its code or ingredients were sent with a wrong type

    @property
    def readable(self) -> bool:
        return self.code.readable or any(i.readable for i in self.ingredients)


def read_medication(resource: Mapping[str, Any]) -> MedicationDef:
    ingredients = tuple(
        found
        for ingredient in objects(resource.get("ingredient"))
        if (found := concept(ingredient.get("itemCodeableConcept"))) is not None
        or (found := _display_only(ingredient.get("itemReference"))) is not None
    )
    code = concept(resource.get("code"))
    damaged = ("code" in resource and (code is None or code.damaged)) or (
        "ingredient" in resource and len(ingredients) != len(objects(resource.get("ingredient")))
    )
    return MedicationDef(code or EMPTY, ingredients, damaged)


def _display_only(reference: Any) -> Concept | None:
    display = text(obj(reference).get("display"))
    return make_concept((), display) if display else None


class Drug(NamedTuple):
    """What a medication resource says its drug is."""

    concept: Concept  # the code (EMPTY when the drug is known only by ingredients or a display)
    ingredients: tuple[Concept, ...] = ()
    display: str = ""  # medicationReference.display
    reference: Ref | None = None  # a server-side Medication not yet resolved
    readable: bool = True  # False: no medication[x] at all, or one of the wrong type
    medication_damaged: bool = False  # the Medication it names was sent with a wrong-typed code

    @property
    def codings(self) -> tuple[Any, ...]:
        if self.concept.codings or not self.ingredients:
            return self.concept.codings
        return tuple(c for i in self.ingredients for c in i.codings)

    @property
    def name(self) -> str:
        """The drug named once (for evidence tables): code text/display, else the reference display,
        else the ingredients."""
        return self.concept.name or self.display or " / ".join(i.name for i in self.ingredients if i.name)

    @property
    def words(self) -> str:
        """All the drug's texts, for keyword search."""
        if not self.display and not self.ingredients:
            return self.concept.words
        parts = [self.concept.words, self.display] + [i.words for i in self.ingredients]
        return " ".join(p for p in parts if p)

    @property
    def damaged(self) -> bool:
        """Part of the drug's code was sent with a wrong type (what is readable is still used)."""
        if self.medication_damaged or self.concept.damaged:
            return True
        return bool(self.ingredients) and any(i.damaged for i in self.ingredients)

    @property
    def unresolved(self) -> str | None:
        return self.reference.raw if self.reference is not None else None

    def resolve(self, index: Mapping[str, MedicationDef]) -> Drug:
        """This drug with its server-side Medication filled in from ``index`` (when it is there)."""
        if self.reference is None:
            return self
        found = index.get(self.reference.key) or index.get(self.reference.raw)
        if found is None:
            return self
        return self._replace(
            concept=found.code,
            ingredients=found.ingredients,
            reference=None,
            readable=found.readable or bool(self.display),
            medication_damaged=found.damaged,
        )


def read_drug(resource: Mapping[str, Any], bundled: Mapping[str, MedicationDef]) -> Drug:
    """The drug of a medication resource; ``bundled`` holds Medications by fullUrl and "Medication/id"."""
    raw = resource.get("medicationCodeableConcept")
    if raw is not None:
        found = concept(raw)
        if found is None or not found.readable:
            return Drug(EMPTY, readable=False)
        made = made_of_concepts()  # a record repeats its drugs: one Drug per distinct one
        if made is None:
            return Drug(found)
        drug: Drug | None = made.get(id(found))
        if drug is None:
            drug = made[id(found)] = Drug(found)
        return drug
    raw = resource.get("medicationReference")
    if raw is None:
        return Drug(EMPTY, readable=False)
    ref = reference_of(raw)
    display = text(obj(raw).get("display"))
    if ref is None:
        return Drug(EMPTY, display=display, readable=bool(display))
    if ref.contained:
        for contained in objects(resource.get("contained")):
            if contained.get("id") == ref.id and contained.get("resourceType") == "Medication":
                medication = read_medication(contained)
                readable = medication.readable or bool(display)
                return Drug(
                    medication.code, medication.ingredients, display, None, readable, medication.damaged
                )
        return Drug(EMPTY, display=display, readable=bool(display))
    target = bundled.get(ref.raw) or bundled.get(ref.key)
    if target is not None:
        readable = target.readable or bool(display)
        return Drug(target.code, target.ingredients, display, None, readable, target.damaged)
    if ref.type is None and not ref.raw.startswith("urn:"):
        return Drug(EMPTY, display=display, readable=bool(display))  # "x": not a reference at all
    return Drug(EMPTY, display=display, reference=ref)
