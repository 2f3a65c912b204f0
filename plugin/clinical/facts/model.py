"""Frozen facts extracted from the record; each fact keeps the evidence that produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Literal

from plugin.fhir.medications import MedicationUse

OpioidClass = Literal["short-acting", "long-acting", "xr-buprenorphine"]
NaltrexoneForm = Literal["oral", "xr-injectable", "bupropion-combination"]


@dataclass(frozen=True)
class Evidence:
    """A resource that made a rule fire: what, which one, and when."""

    resource_type: str
    resource_id: str
    when: date | None
    what: str

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.resource_id}" if self.resource_id else self.resource_type


@dataclass(frozen=True)
class OpioidExposure:
    evidence: Evidence
    opioid_class: OpioidClass
    last_dose: date | None  # estimated; None when ongoing
    ongoing: bool
    in_this_session: bool = False  # a draft order of the current ordering session
    how: str = ""  # how the last dose was estimated ("supply 14 d from the dispense of 2026-11-01")


@dataclass(frozen=True)
class NaltrexoneOrder:
    """A draft naltrexone order the hook is deciding on (or co-ordered with)."""

    resource: dict[str, Any] = field(repr=False)
    reference: str | None
    form: NaltrexoneForm
    selected: bool
    tagged_by_us: bool  # carries our suggestion tag: do not re-alert on it
    prior_prescription: str | None = None  # the reference text of priorPrescription (a renewal)
    view: MedicationUse | None = field(default=None, repr=False, compare=False)  # the draft, read


OpioidProduct = Literal["analgesic", "antitussive", "antidiarrheal"]


@dataclass(frozen=True)
class OpioidDraft:
    """An opioid-containing draft of this session (R12): what kind of product, and is it decided on."""

    evidence: Evidence
    product: OpioidProduct
    systemic: bool  # an opioid-window product (R1 counts it); False for loperamide/diphenoxylate
    selected: bool


@dataclass(frozen=True)
class NaltrexoneUse:
    """Naltrexone on the record (request, dispense, statement or administration)."""

    evidence: Evidence  # ``when``: start (ongoing) or last dose
    form: NaltrexoneForm
    ongoing: bool  # an active/on-hold order or statement
    last_dose: date | None  # estimated: end of supply, the administration or the statement
    blocks_until: date | None  # last day the blockade is expected to last; None when ongoing
    is_order: bool  # a MedicationRequest (a prescription, not a fill or a dose)


@dataclass(frozen=True)
class LabResult:
    """One ALT, AST or total bilirubin result with its upper limit of normal."""

    evidence: Evidence
    test: Literal["alt", "ast", "bilirubin"]
    value: float
    uln: float
    uln_from_range: bool  # False: the policy default was used

    @property
    def ratio(self) -> float:
        return self.value / self.uln


@dataclass(frozen=True)
class Facts:
    now: date
    patient_id: str = field(repr=False)
    orders: tuple[NaltrexoneOrder, ...]
    opioid_exposures: tuple[OpioidExposure, ...]
    positive_opioid_screens: tuple[Evidence, ...]
    negative_opioid_screens: tuple[Evidence, ...]
    failed_naloxone_challenges: tuple[Evidence, ...]
    dependence_conditions: tuple[Evidence, ...]  # active opioid dependence / withdrawal
    completed_detox: tuple[Evidence, ...]  # ``when`` = end of the detox
    alcohol_indication: bool
    checked: dict[str, int]  # resource type -> how many were read
    unverified: tuple[tuple[str, str], ...] = ()  # (prefetch key, reason) that could not be fetched
    planned_start: date | None = None  # a future start date written on the naltrexone draft
    # Advisory facts (R7-R17; all default to "nothing found" so hand-built Facts stay short).
    opioid_drafts: tuple[OpioidDraft, ...] = ()  # every opioid-containing draft of the session
    rescue_drafts: tuple[Evidence, ...] = ()  # naloxone/nalmefene drafted in this session
    naltrexone_on_record: tuple[NaltrexoneUse, ...] = ()
    rescue_on_record: tuple[Evidence, ...] = ()  # naloxone/nalmefene prescribed, filled or reported
    opioid_use_disorder: tuple[Evidence, ...] = ()  # OUD conditions, any time, incl. remission
    alcohol_acute: tuple[Evidence, ...] = ()  # active alcohol intoxication/withdrawal conditions
    liver_disease: tuple[Evidence, ...] = ()  # active acute hepatitis / liver failure conditions
    liver_tests: tuple[LabResult, ...] = ()
    planned_surgery: tuple[Evidence, ...] = ()  # ``when`` = the scheduled day
    not_checked: tuple[str, ...] = ()  # optional prefetch keys that were not provided
    # R6: a detox still going on (open detox encounter/procedure, withdrawal medicines, an opioid taper)
    # and the dependence conditions that are withdrawal (coded after a detox they mean new use).
    detox_in_progress: tuple[Evidence, ...] = ()
    # R4: later (or same-day) negatives that could not cancel a positive, and the opioids they miss.
    screens_kept: tuple[Any, ...] = ()  # urine_screens.KeptPositive
    opioid_withdrawal: tuple[Evidence, ...] = ()
    # R7: the negative urine tests (urine_screens.UrineTest: what each can detect) and the opioids the
    # recent negatives must together detect before opioid-free status counts as documented.
    negative_screen_tests: tuple[Any, ...] = ()
    opioid_free_analytes: frozenset[str] = frozenset()
    # Medication entries whose drug no code or text identifies (an unresolved Medication, an NDC or
    # local code without text): they are not "no opioid", and the clean card counts them.
    unidentified_medications: tuple[str, ...] = ()

    @property
    def start_day(self) -> date:
        """The day naltrexone would start: the draft's future start date, else today."""
        return max(self.planned_start or self.now, self.now)

    @cached_property  # asked by most rules and the answer: worked out once (the facts are frozen)
    def target_orders(self) -> tuple[NaltrexoneOrder, ...]:
        """Selected naltrexone orders that are addiction treatment (not bupropion/naltrexone)."""
        return tuple(o for o in self.orders if o.selected and o.form != "bupropion-combination")

    @property
    def selected_opioid_drafts(self) -> tuple[OpioidDraft, ...]:
        return tuple(d for d in self.opioid_drafts if d.selected)

    def days_since(self, day: date) -> int:
        return (self.now - day).days
