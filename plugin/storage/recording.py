"""Card log: every card the service returns, for per-rule analytics.

Stored per card: card uuid, service id, hook, rule id (``source.topic.code``), indicator, the
suggestions' uuids and labels, hookInstance, the time, and the issuer of the EHR token it was
returned to (feedback about the card is accepted from that issuer and service only).  No patient
identifiers: hookInstance is a random UUID per call, and nothing from the patient record is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from plugin.auth import caller_issuer
from plugin.clinical.hook_request import HookRequest
from plugin.http.services import Service
from plugin.storage.store import STORE_KEY, StorageUnavailable, Store

log = logging.getLogger("naltrexone_cds.storage")

UNKNOWN_RULE = "unknown"


def _text(value: Any, limit: int, default: str = "") -> str:
    return value[:limit] if isinstance(value, str) and value else default


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def card_row(
    service: Service, hook_request: HookRequest, card: Mapping[str, Any], now: datetime, issuer: str = ""
) -> dict[str, Any]:
    """The card-log row of one returned card (only our own wording and ids)."""
    source = _mapping(card.get("source"))
    topic = _mapping(source.get("topic"))
    suggestions = card.get("suggestions")
    return {
        "card_uuid": _text(card.get("uuid"), 64),
        "service_id": service.id,
        "hook": _text(hook_request.hook, 64, service.hook),
        "rule_id": _text(topic.get("code"), 64, UNKNOWN_RULE),
        "indicator": _text(card.get("indicator"), 16, "info"),
        "suggestions": [
            {"uuid": s.get("uuid"), "label": s.get("label")}
            for s in (suggestions if isinstance(suggestions, list) else [])
            if isinstance(s, Mapping)
        ],
        "hook_instance": _text(hook_request.hook_instance, 64),
        "shown_at": now,
        "issuer": issuer[:512],
    }


def record_cards(service: Service, hook_request: HookRequest, cards: Sequence[Any]) -> None:
    """Log the returned cards; never fails the hook call, and skips while the database is down.

    The clinician's safety cards matter more than our statistics: a failed insert is logged (by the
    store, by error type) and the cards are still returned.
    """
    store: Store | None = current_app.extensions.get(STORE_KEY)
    if not cards or store is None or not store.available():
        return
    now = datetime.now(UTC)
    issuer = caller_issuer()
    rows = [
        card_row(service, hook_request, card, now, issuer)
        for card in cards
        if isinstance(card, Mapping) and isinstance(card.get("uuid"), str) and card["uuid"]
    ]
    if not rows:
        return
    try:
        store.log_cards(rows)
    except StorageUnavailable:
        log.info("card log skipped for %d card(s) of service %s", len(rows), service.id)
