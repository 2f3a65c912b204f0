"""Builders shared by the feedback tests: cards in the shape cards.py returns, and feedback items."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask

from plugin.clinical.hook_request import parse_hook_request
from plugin.http.services import get_service
from plugin.storage.recording import record_cards

OVERRIDE_SYSTEM = "http://terminology.cds-hooks.org/CodeSystem/OverrideReasons"
PATIENT_ID = "patient-4711-secret"
FEEDBACK_URL = "/cds-services/naltrexone-order-sign/feedback"


def card(rule_id: str, indicator: str = "critical", suggestions: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "indicator": indicator,
        "summary": f"Rule {rule_id} fired",
        "source": {
            "label": "Naltrexone label",
            "url": "https://example.org/label",
            "topic": {"system": "https://example.org/rules", "code": rule_id, "display": rule_id},
        },
        "suggestions": [{"uuid": str(uuid.uuid4()), "label": label, "actions": []} for label in suggestions],
        "overrideReasons": [{"system": OVERRIDE_SYSTEM, "code": "patient-declined", "display": "Declined"}],
    }


def hook_body(hook: str = "order-sign") -> dict[str, Any]:
    return {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/1",
            "patientId": PATIENT_ID,
            "draftOrders": {"resourceType": "Bundle"},
        },
        "prefetch": {},
    }


def show(app: Flask, cards: list[dict[str, Any]], service_id: str = "naltrexone-order-sign") -> None:
    """Record cards exactly as the hook endpoint does after evaluate()."""
    service = get_service(service_id)
    with app.test_request_context():
        record_cards(service, parse_hook_request(service.id, service.hook, hook_body(service.hook)), cards)


def accepted(card_uuid: str, suggestion: str, when: str = "2026-03-01T10:00:00Z") -> dict[str, Any]:
    return {
        "card": card_uuid,
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": suggestion}],
        "outcomeTimestamp": when,
    }


def overridden(card_uuid: str, code: str | None = None, when: str = "2026-03-01T10:00:00Z") -> dict[str, Any]:
    item: dict[str, Any] = {"card": card_uuid, "outcome": "overridden", "outcomeTimestamp": when}
    if code is not None:
        item["overrideReason"] = {
            "reason": {"system": OVERRIDE_SYSTEM, "code": code, "display": code.replace("-", " ")},
            "userComment": "free text that must not be stored",
        }
    return item
