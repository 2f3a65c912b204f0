"""The pipeline: request -> record -> facts -> rules -> cards.  Only this module reads the clock.

Pure of the web framework: ``evaluate`` returns an ``Outcome`` and the edge (plugin/http/api.py) puts
it on the response and the access line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from plugin.clinical.answer.responses import compose
from plugin.clinical.facts import build_facts, naltrexone_orders
from plugin.clinical.facts.antagonists import classify_drafts
from plugin.clinical.hook_request import HookRequest
from plugin.clinical.policy import Policy
from plugin.clinical.rules import run_rules, unverified_only
from plugin.clinical.terminology import Terminology
from plugin.fhir.concepts import one_request
from plugin.record.gather import PatientRecord, gather_record
from plugin.settings import Settings


@dataclass(frozen=True)
class Outcome:
    """The cards, and what the access line says about them (rule codes, keys that could not be read)."""

    cards: list[dict[str, Any]] = field(default_factory=list)
    unverified: tuple[str, ...] = ()

    @property
    def rules(self) -> list[str]:
        return [c["source"]["topic"]["code"] for c in self.cards]

    def response(self) -> dict[str, Any]:
        return {"cards": self.cards}


def today(settings: Settings) -> date:
    return settings.now or datetime.now(UTC).date()


def _may_concern_naltrexone(request: HookRequest, term: Terminology) -> bool:
    """True when a selected draft is naltrexone or opioid-containing (the reverse check, R12), or
    cannot be identified without the record.  Classifying drafts is cheap; the record is not."""
    orders, _ = naltrexone_orders(request, term)
    if any(o.selected for o in orders):
        return True
    if classify_drafts(request.selected_orders, {}, term)[0]:
        return True
    return any(o.selected and o.unresolved_medication for o in request.orders)


def _unidentified(request: HookRequest, record: PatientRecord) -> bool:
    """A selected draft names its drug only by a Medication reference that the record lacks."""
    medications = record.read.medications
    return any(o.selected and o.drug.resolve(medications).unresolved for o in request.orders)


def evaluate(request: HookRequest, settings: Settings, policy: Policy, term: Terminology) -> Outcome:
    with one_request():  # this call's memo of the record's repeated concepts, dropped when it returns
        return _evaluate(request, settings, policy, term)


def _evaluate(request: HookRequest, settings: Settings, policy: Policy, term: Terminology) -> Outcome:
    if not _may_concern_naltrexone(request, term):
        return Outcome()
    record = gather_record(request, settings)
    facts = build_facts(request, record, today(settings), policy, term)
    unverified = tuple(key for key, _ in facts.unverified)
    if facts.target_orders or facts.selected_opioid_drafts:
        findings = run_rules(facts, policy)
    elif facts.unverified and _unidentified(request, record):
        # A draft known only by a server-side Medication we could not fetch may be naltrexone: say so.
        findings = unverified_only(facts, policy)
    else:
        findings = []
    return Outcome(compose(facts, findings, policy, term), unverified)
