"""Findings -> the cards and suggestions of one response."""

from __future__ import annotations

from datetime import date
from typing import Any

from plugin.clinical.answer.cards import make_card
from plugin.clinical.answer.companion_orders import follow_up
from plugin.clinical.answer.dosing import matching_regimen, nearest_regimen, read_dosing
from plugin.clinical.answer.suggestions import regimen_request, suggestion
from plugin.clinical.facts.model import Facts, NaltrexoneOrder
from plugin.clinical.policy import Policy
from plugin.clinical.rules import SAFETY_RULES
from plugin.clinical.rules.finding import SEVERITY, Finding
from plugin.clinical.terminology import Terminology
from plugin.fhir.dates import order_start

_SAFETY = {rule_id for rule_id, _ in SAFETY_RULES}
_KEY_MEANING = {
    "medicationRequests": "recent opioid use",
    "medicationDispenses": "recent opioid use",
    "medicationStatements": "recent opioid use",
    "medicationAdministrations": "recent opioid use",
    "medications": "which medicines the orders contain",
    "conditions": "opioid dependence or withdrawal diagnoses",
    "observations": "opioid urine screens and naloxone challenges",
    "procedures": "completed detox",
    "encounters": "completed detox",
    "serviceRequests": "planned surgery",
    "appointments": "planned surgery",
}
_MEDICATION_KEYS = {
    "medicationRequests",
    "medicationDispenses",
    "medicationStatements",
    "medicationAdministrations",
}


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
    order: NaltrexoneOrder, facts: Facts, policy: Policy, term: Terminology, start: date, label: str
) -> dict[str, Any]:
    regimen = nearest_regimen(order, read_dosing(order, policy))
    resource = regimen_request(order, regimen, facts.patient_id, start, policy, term)
    kind = "update" if "id" in resource else "create"
    description = f"{'Update the draft to' if kind == 'update' else 'Order'} naltrexone {regimen.label}"
    return suggestion(
        label.format(regimen=regimen.label, start=start.isoformat()),
        [{"type": kind, "description": description, "resource": resource}],
    )


def _hazard_suggestions(
    facts: Facts, hazards: list[Finding], policy: Policy, term: Terminology
) -> list[dict]:
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


def _unverified(facts: Facts) -> Finding | None:
    failed = facts.unverified
    if not facts.target_orders:  # reverse check only: what matters is naltrexone on the record (R12)
        failed = tuple(f for f in failed if f[0] in _MEDICATION_KEYS)
        if failed:
            return Finding(
                "UNVERIFIED",
                "warning",
                data={
                    "what": "whether naltrexone is active",
                    "reason": "; ".join(sorted({r for _, r in failed})),
                    "note": _unverified_note(failed),
                },
            )
    if not failed:
        return None
    whats = sorted({_KEY_MEANING.get(key, key) for key, _ in failed})
    reasons = sorted({reason for _, reason in failed})
    data = {"what": " and ".join(whats), "reason": "; ".join(reasons), "note": _unverified_note(failed)}
    return Finding("UNVERIFIED", "warning", data=data)


def _unverified_note(failed: tuple[tuple[str, str], ...]) -> str:
    """Every reason in full (the summary is cut at 140 characters): which data, and why."""
    return "**Not verified:**\n\n" + "\n".join(f"- {key}: {reason}" for key, reason in failed)


def unverified_card(facts: Facts) -> dict[str, Any]:
    """The could-not-verify card on its own (the record could not even tell what was ordered)."""
    finding = _unverified(facts)
    assert finding is not None
    return make_card(finding, facts, [])


def _regimen_cards(facts: Facts, policy: Policy, term: Terminology) -> tuple[list[dict], list[dict]]:
    """(R15 warning cards, suggestions for the clean card) for orders not suggested by us."""
    warnings: list[dict[str, Any]] = []
    completions: list[dict[str, Any]] = []
    for order in facts.target_orders:
        if order.tagged_by_us:
            continue
        dosing = read_dosing(order, policy)
        start = max(order_start(order.resource) or facts.now, facts.now)
        short = dosing.course_days is not None and dosing.course_days < policy.course_minimum_days
        off_label = bool(dosing.doses) and not dosing.incomplete and matching_regimen(order, dosing) is None
        if off_label or short:
            note = (
                f"Draft course: {dosing.course_days:g} days (minimum {policy.course_minimum_days})."
                if short
                else "The draft's dose or schedule matches no documented regimen."
            )
            finding = Finding("R15", "warning", data={"note": note})
            action = _regimen_action(order, facts, policy, term, start, "Change to {regimen}")
            warnings.append(make_card(finding, facts, [action]))
        elif dosing.incomplete or dosing.course_days is None:
            completions.append(
                _regimen_action(order, facts, policy, term, start, "Complete the order: {regimen}")
            )
    return warnings, completions


def _clean_note(facts: Facts) -> str:
    checked = ", ".join(f"{n} {kind}" for kind, n in facts.checked.items()) or "no resources (empty record)"
    lines = [f"Checked {checked}."]
    past = [e for e in facts.opioid_exposures if e.last_dose]
    if past:
        latest = max(past, key=lambda e: e.last_dose or date.min)
        lines.append(
            f"Latest opioid on record: {latest.evidence.reference}, estimated last dose "
            f"{latest.last_dose.isoformat() if latest.last_dose else '-'} (outside every window"
            f"{'; ' + latest.how if latest.how else ''})."
        )
    if facts.unidentified_medications:
        named = ", ".join(facts.unidentified_medications[:5])
        more = len(facts.unidentified_medications) - 5
        lines.append(
            f"{len(facts.unidentified_medications)} medication entries could not be identified (no RxNorm "
            f"code or drug name): {named}{f' and {more} more' if more > 0 else ''} - check them by hand."
        )
    if facts.not_checked:
        missing = sorted({_KEY_MEANING.get(key, key) for key in facts.not_checked})
        lines.append(f"Not checked (data not sent): {', '.join(missing)}.")
    if facts.negative_opioid_screens:
        latest_neg = max(facts.negative_opioid_screens, key=lambda e: e.when or date.min)
        lines.append(
            f"Latest negative opioid screen: {latest_neg.reference} on "
            f"{latest_neg.when.isoformat() if latest_neg.when else 'undated'}."
        )
    return " ".join(lines)


def compose(facts: Facts, findings: list[Finding], policy: Policy, term: Terminology) -> list[dict[str, Any]]:
    hazards = [f for f in findings if f.rule in _SAFETY]
    cards = [make_card(h, facts, _hazard_suggestions(facts, hazards, policy, term)) for h in hazards]
    for finding in findings:
        if finding.rule == "R14":
            cards.append(make_card(finding, facts, _duplicate_deletes(facts, finding)))
        elif finding.rule not in _SAFETY:
            cards.append(make_card(finding, facts, follow_up(finding, facts, term)))
    unverified = _unverified(facts)
    if unverified:
        cards.append(make_card(unverified, facts, []))
    elif facts.target_orders and not hazards and not any(f.indicator == "critical" for f in findings):
        warnings, completions = _regimen_cards(facts, policy, term)
        cards += warnings
        if not all(o.tagged_by_us for o in facts.target_orders):
            clean = Finding("CLEAN", "info", data={"note": _clean_note(facts)})
            cards.append(make_card(clean, facts, completions))
    return sorted(cards, key=lambda c: -SEVERITY[c["indicator"]])
