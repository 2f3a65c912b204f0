"""Build Facts directly for table-driven rule tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from plugin.clinical.facts.model import Evidence, Facts, NaltrexoneOrder, OpioidClass, OpioidExposure

NOW = date(2026, 11, 25)


def ago(days: int) -> date:
    return NOW - timedelta(days=days)


def ev(
    kind: str = "MedicationRequest", rid: str = "r1", when: date | None = None, what: str = "x"
) -> Evidence:
    return Evidence(kind, rid, when, what)


def exposure(
    opioid_class: OpioidClass, last_dose_days_ago: int | None, ongoing: bool = False
) -> OpioidExposure:
    last = None if last_dose_days_ago is None else ago(last_dose_days_ago)
    return OpioidExposure(ev(when=last), opioid_class, last, ongoing)


def order(
    form: str = "oral", selected: bool = True, tagged: bool = False, resource: Any = None
) -> NaltrexoneOrder:
    return NaltrexoneOrder(
        resource or {"resourceType": "MedicationRequest", "id": "nx"},
        "MedicationRequest/nx",
        form,
        selected,
        tagged,
        ((resource or {}).get("priorPrescription") or {}).get("reference"),
    )  # type: ignore[arg-type]


def facts(**overrides: Any) -> Facts:
    base = Facts(
        now=NOW,
        patient_id="p",
        orders=(order(),),
        opioid_exposures=(),
        positive_opioid_screens=(),
        negative_opioid_screens=(),
        failed_naloxone_challenges=(),
        dependence_conditions=(),
        completed_detox=(),
        alcohol_indication=False,
        checked={},
    )
    return replace(base, **overrides)
