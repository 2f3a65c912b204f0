"""The pipeline: request -> record -> facts -> rules -> cards.  Only this module reads the clock."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from plugin.clinical.answer.responses import compose, unverified_card
from plugin.clinical.facts import build_facts, naltrexone_orders
from plugin.clinical.facts.antagonists import classify_drafts
from plugin.clinical.hook_request import HookRequest
from plugin.clinical.policy import Policy
from plugin.clinical.rules import run_rules
from plugin.clinical.terminology import Terminology
from plugin.ops.log import note_outcome
from plugin.record.gather import PatientRecord, gather_record
from plugin.settings import Settings

log = logging.getLogger("naltrexone_cds.evaluate")


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


def evaluate(request: HookRequest, settings: Settings, policy: Policy, term: Terminology) -> dict[str, Any]:
    if not _may_concern_naltrexone(request, term):
        return {"cards": []}
    record = gather_record(request, settings)
    facts = build_facts(request, record, today(settings), policy, term)
    if not facts.target_orders and not facts.selected_opioid_drafts:
        # A draft known only by a server-side Medication we could not fetch may be naltrexone: say so.
        unknown = facts.unverified and _unidentified(request, record)
        return {"cards": [unverified_card(facts)] if unknown else []}
    findings = run_rules(facts, policy)
    cards = compose(facts, findings, policy, term)
    outcome = {
        "rules": [c["source"]["topic"]["code"] for c in cards],
        "unverified": [key for key, _ in facts.unverified],
    }
    if not note_outcome(**outcome):  # in a request, the access line carries them
        log.info("evaluated", extra={"service_id": request.service_id, **outcome})
    return {"cards": cards}
