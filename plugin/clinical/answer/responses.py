"""Findings -> the cards and suggestions of one response (the decisions are the rules')."""

from __future__ import annotations

from datetime import date
from typing import Any

from plugin.clinical.answer.cards import make_card
from plugin.clinical.answer.companion_orders import follow_up
from plugin.clinical.answer.suggestions import regimen_request, suggestion
from plugin.clinical.dosing import DraftDosing, nearest_regimen, read_dosing
from plugin.clinical.facts.model import Facts, NaltrexoneOrder
from plugin.clinical.policy import Policy
from plugin.clinical.rules import START_BLOCKING
from plugin.clinical.rules.finding import SEVERITY, Finding
from plugin.clinical.rules.regimen import DraftRegimen
from plugin.clinical.terminology import Terminology
from plugin.fhir.dates import order_start


def _delete(order: NaltrexoneOrder) -> dict[str, Any] | None:
    if not order.reference:
        return None
    return suggestion(
        "Remove the naltrexone order",
        [
            {
                "type": "delete",
                "description": "Remove the naltrexone draft order",
                "resourceId": order.reference,
            }
        ],
        recommended=True,
    )


def _regimen_action(
    order: NaltrexoneOrder,
    facts: Facts,
    policy: Policy,
    term: Terminology,
    start: date,
    label: str,
    dosing: DraftDosing | None = None,
) -> dict[str, Any]:
    """Suggest ``order`` in its nearest documented regimen (``dosing``: the draft's, when already read)."""
    regimen = nearest_regimen(order, dosing or read_dosing(order, policy))
    resource = regimen_request(order, regimen, facts.patient_id, start, policy, term)
    kind = "update" if "id" in resource else "create"
    description = f"{'Update the draft to' if kind == 'update' else 'Order'} naltrexone {regimen.label}"
    return suggestion(
        label.format(regimen=regimen.label, start=start.isoformat()),
        [{"type": kind, "description": description, "resource": resource}],
    )


def _hazard_suggestions(
    facts: Facts, hazards: list[Finding], policy: Policy, term: Terminology
) -> list[dict[str, Any]]:
    suggestions = [s for o in facts.target_orders if (s := _delete(o))]
    safe_dates = [h.safe_start for h in hazards]
    if all(safe_dates):
        start = max(d for d in safe_dates if d)
        suggestions += [
            _regimen_action(o, facts, policy, term, start, "Re-order to start on {start}: {regimen}")
            for o in facts.target_orders
        ]
    return suggestions


def _duplicate_deletes(facts: Facts, finding: Finding) -> list[dict[str, Any]]:
    """R14: remove the extra drafts; when the duplicate is on the record, remove the draft itself."""
    if {"combination", "two-drafts"} & set(finding.data.get("kinds", ())):
        keep = facts.target_orders[0]
        return [s for o in facts.orders if o is not keep and (s := _delete(o))]
    return [s for o in facts.target_orders if (s := _delete(o))]


def _draft_start(order: NaltrexoneOrder, facts: Facts) -> date:
    return max(order_start(order.resource) or facts.now, facts.now)


def _draft_actions(
    drafts: tuple[DraftRegimen, ...], facts: Facts, policy: Policy, term: Terminology, label: str
) -> list[dict[str, Any]]:
    """R15 and CLEAN: each assessed draft in its nearest documented regimen, from its own start."""
    return [
        _regimen_action(d.order, facts, policy, term, _draft_start(d.order, facts), label, d.dosing)
        for d in drafts
    ]


def _suggestions(
    finding: Finding, findings: list[Finding], facts: Facts, policy: Policy, term: Terminology
) -> list[dict[str, Any]]:
    if finding.rule in START_BLOCKING:
        hazards = [f for f in findings if f.rule in START_BLOCKING]
        return _hazard_suggestions(facts, hazards, policy, term)
    if finding.rule == "R14":
        return _duplicate_deletes(facts, finding)
    if finding.rule == "R15":
        return _draft_actions(finding.data["drafts"], facts, policy, term, "Change to {regimen}")
    if finding.rule == "CLEAN":
        return _draft_actions(finding.data["complete"], facts, policy, term, "Complete the order: {regimen}")
    if finding.rule == "UNVERIFIED":
        return []
    return follow_up(finding, facts, term)


def compose(facts: Facts, findings: list[Finding], policy: Policy, term: Terminology) -> list[dict[str, Any]]:
    cards = [make_card(f, facts, policy, _suggestions(f, findings, facts, policy, term)) for f in findings]
    return sorted(cards, key=lambda c: -SEVERITY[c["indicator"]])
