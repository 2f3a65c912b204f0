"""Feedback about a card another instance showed an instant ago: it waits briefly for the card's row.

Two apps share one database, as two instances do.  Instance A logs its card a little after instance B
has been asked about it (A's background writer has not committed yet); B must store the feedback as
about a known card.  Old outcomes (an EHR re-sending, a backfill) never wait.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from plugin import create_app
from plugin.storage import store as store_module
from plugin.storage.db import get_engine
from plugin.storage.models import feedback
from tests.http.feedback.feedback_helpers import FEEDBACK_URL, card, overridden, show

LATE_S = 0.05  # well inside CARD_WAIT_S


def known(app: Flask) -> dict[str, bool]:
    """card uuid -> whether its feedback was stored as about a logged card."""
    with get_engine(app.config["SETTINGS"]).connect() as conn:
        return {row.card_uuid: row.card_known for row in conn.execute(select(feedback))}


def _now_iso(offset_s: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat().replace("+00:00", "Z")


def test_a_card_logged_late_by_another_instance_is_known(db_settings: dict[str, Any], app: Flask) -> None:
    instance_a, instance_b = app, create_app(db_settings)
    shown = card("R1")
    logger = threading.Timer(LATE_S, show, args=(instance_a, [shown]))
    logger.start()
    try:
        response = instance_b.test_client().post(
            FEEDBACK_URL, json={"feedback": [overridden(shown["uuid"], when=_now_iso())]}
        )
    finally:
        logger.join()
    assert response.get_json() == {"stored": 1, "duplicates": 0}
    assert known(instance_b) == {shown["uuid"]: True}


def test_a_card_never_logged_is_stored_unknown_after_the_wait(app: Flask) -> None:
    response = app.test_client().post(FEEDBACK_URL, json={"feedback": [overridden("never", when=_now_iso())]})
    assert response.get_json() == {"stored": 1, "duplicates": 0}
    assert known(app) == {"never": False}


def test_old_outcomes_do_not_wait(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[set[str]] = []
    monkeypatch.setattr(store_module, "_wait_for_cards", lambda _e, missing, _b: waits.append(missing))
    old = _now_iso(-store_module.RECENT_OUTCOME_S - 60)
    client = app.test_client()
    assert client.post(FEEDBACK_URL, json={"feedback": [overridden("old", when=old)]}).status_code == 200
    assert waits == []
    assert (
        client.post(FEEDBACK_URL, json={"feedback": [overridden("new", when=_now_iso())]}).status_code == 200
    )
    assert waits == [{"new"}]


def test_polling_stops_as_soon_as_the_card_is_there(db_settings: dict[str, Any], app: Flask) -> None:
    shown = card("R2")
    threading.Timer(LATE_S, show, args=(app, [shown])).start()
    started = time.monotonic()
    store_module._wait_for_cards(
        store_module.get_store(app).engine(), {shown["uuid"]}, budget_s=store_module.CARD_WAIT_S * 20
    )
    assert time.monotonic() - started < store_module.CARD_WAIT_S * 20  # returned on finding it
