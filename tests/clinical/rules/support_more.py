"""Builders for the facts: naltrexone on the record, opioid drafts, lab results."""

from __future__ import annotations

from datetime import date

from plugin.clinical.facts.model import Evidence, LabResult, NaltrexoneUse, OpioidDraft
from tests.clinical.rules.support import ago, ev


def use(
    form: str = "oral",
    last_days_ago: int | None = 1,
    until_days_ago: int | None = None,
    ongoing: bool = False,
    is_order: bool = False,
    rid: str = "nx-rec",
) -> NaltrexoneUse:
    last = None if last_days_ago is None else ago(last_days_ago)
    until = None if ongoing else (ago(until_days_ago) if until_days_ago is not None else last)
    kind = "MedicationRequest" if is_order else "MedicationAdministration"
    return NaltrexoneUse(ev(kind, rid, last), form, ongoing, last, until, is_order)  # type: ignore[arg-type]


def draft(
    product: str = "analgesic", systemic: bool = True, selected: bool = True, rid: str = "op"
) -> OpioidDraft:
    return OpioidDraft(ev("MedicationRequest", rid, None, product), product, systemic, selected)  # type: ignore[arg-type]


def lab(test: str, value: float, uln: float = 40.0, days_ago: int | None = 10) -> LabResult:
    when: date | None = None if days_ago is None else ago(days_ago)
    return LabResult(Evidence("Observation", f"{test}-{value}", when, test), test, value, uln, True)  # type: ignore[arg-type]
