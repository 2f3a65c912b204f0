"""Feedback storage against a real SQLite file: commit before 200, idempotency, flags, atomicity, 503."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from feedback_helpers import FEEDBACK_URL, PATIENT_ID, accepted, card, hook_body, overridden, show
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, text

from plugin import create_app
from plugin.storage.db import dispose_engines
from plugin.storage.models import card_log, feedback
from plugin.storage.store import get_store


def _rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(feedback).order_by(feedback.c.id)))


def test_stored_once_flagged_and_without_comment_text(
    app: Flask, client: FlaskClient, engine: Engine
) -> None:
    shown = card("R2", suggestions=("Defer naltrexone 7 days",))
    show(app, [shown])
    suggestion = shown["suggestions"][0]["uuid"]
    items = [
        accepted(shown["uuid"], suggestion),
        overridden("never-shown-card", "patient-declined"),
        overridden("never-shown-card", "patient-declined", when="2026-03-01T10:00:00 UTC"),  # same instant
    ]
    first = client.post(FEEDBACK_URL, json={"feedback": items})
    assert first.status_code == 200
    assert first.get_json() == {"stored": 2, "duplicates": 1}  # whether a card is known is not said
    again = client.post(FEEDBACK_URL, json={"feedback": items})  # an EHR retrying the whole call
    assert again.get_json() == {"stored": 0, "duplicates": 3}

    rows = _rows(engine)
    assert [(r.card_uuid, r.outcome, r.card_known) for r in rows] == [
        (shown["uuid"], "accepted", True),
        ("never-shown-card", "overridden", False),
    ]
    assert rows[0].accepted_suggestions == [suggestion]
    assert rows[1].override_code == "patient-declined" and rows[1].has_user_comment
    with engine.connect() as conn:
        dump = repr(list(conn.execute(select(feedback)))) + repr(list(conn.execute(select(card_log))))
    assert "free text" not in dump and PATIENT_ID not in dump


def test_same_card_later_outcome_is_a_new_report(client: FlaskClient, engine: Engine) -> None:
    client.post(FEEDBACK_URL, json={"feedback": [overridden("c-1", when="2026-03-01T10:00:00Z")]})
    client.post(FEEDBACK_URL, json={"feedback": [overridden("c-1", when="2026-03-01T10:05:00Z")]})
    assert len(_rows(engine)) == 2


def test_card_log_records_every_returned_card(app: Flask, engine: Engine) -> None:
    cards = [card("R2", suggestions=("a", "b")), card("CLEAN", indicator="info")]
    show(app, cards)
    with engine.connect() as conn:
        logged = list(conn.execute(select(card_log).order_by(card_log.c.id)))
    assert [(r.card_uuid, r.rule_id, r.indicator, r.hook) for r in logged] == [
        (cards[0]["uuid"], "R2", "critical", "order-sign"),
        (cards[1]["uuid"], "CLEAN", "info", "order-sign"),
    ]
    assert [s["label"] for s in logged[0].suggestions] == ["a", "b"]
    assert logged[0].hook_instance == logged[1].hook_instance


def test_hook_endpoint_logs_what_it_returns(client: FlaskClient, engine: Engine) -> None:
    response = client.post("/cds-services/naltrexone-order-sign", json=hook_body())
    assert response.status_code == 200
    returned = {c["uuid"] for c in response.get_json()["cards"]}
    with engine.connect() as conn:
        assert set(conn.execute(select(card_log.c.card_uuid)).scalars()) == returned


def test_failure_inside_the_transaction_leaves_nothing(client: FlaskClient, engine: Engine) -> None:
    # A real SQLite trigger aborts the third insert of the batch: the first two must roll back too.
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER poison BEFORE INSERT ON feedback WHEN NEW.card_uuid = 'poison' "
                "BEGIN SELECT RAISE(ABORT, 'injected'); END"
            )
        )
    items = [overridden("ok-1"), overridden("ok-2"), overridden("poison"), overridden("ok-3")]
    response = client.post(FEEDBACK_URL, json={"feedback": items})
    assert response.status_code == 503
    assert response.get_json()["error"] == "service_unavailable"
    assert _rows(engine) == []


def test_invalid_item_late_in_the_batch_stores_nothing(client: FlaskClient, engine: Engine) -> None:
    response = client.post(FEEDBACK_URL, json={"feedback": [overridden("ok-1"), {"card": "ok-2"}]})
    assert response.status_code == 400
    assert _rows(engine) == []


@pytest.fixture
def unusable_state_dir(tmp_path: Path) -> str:
    """A state directory that cannot exist: its parent is a regular file."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    return str(blocker / "state")


def test_database_down_is_503_and_hook_calls_still_answer(
    db_settings: dict[str, Any], unusable_state_dir: str
) -> None:
    app = create_app({**db_settings, "state_dir": unusable_state_dir})  # starts despite the database
    client = app.test_client()
    response = client.post(FEEDBACK_URL, json={"feedback": [overridden("c-1")]})
    assert response.status_code == 503
    assert "nothing was stored" in response.get_json()["message"]
    assert client.post("/cds-services/naltrexone-order-sign", json=hook_body()).status_code == 200
    show(app, [card("R2")])  # the card log gives up quietly
    assert not get_store(app).available()
    dispose_engines()


def test_postgres_down_is_503(db_settings: dict[str, Any]) -> None:
    closed = "postgresql://cds@127.0.0.1:9/cds"  # discard port: nothing listens on loopback
    app = create_app({**db_settings, "database_url": closed})
    response = app.test_client().post(FEEDBACK_URL, json={"feedback": [overridden("c-1")]})
    assert response.status_code == 503
    assert response.get_json()["error"] == "service_unavailable"
    dispose_engines()


def test_migrations_off_means_no_schema_is_created(db_settings: dict[str, Any], engine: Engine) -> None:
    app = create_app({**db_settings, "state_dir": db_settings["state_dir"] + "-2", "auto_migrate": False})
    response = app.test_client().post(FEEDBACK_URL, json={"feedback": [overridden("c-1")]})
    assert response.status_code == 503  # no table yet: the deployer runs `db upgrade` first
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(feedback)).scalar_one() == 0
    dispose_engines()
