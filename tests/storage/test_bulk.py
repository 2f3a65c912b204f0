"""The card log's driver-level insert stores exactly what SQLAlchemy's Core insert stores.

On SQLite and on a real PostgreSQL: same text, JSON and UTC times read back; naive times refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from plugin.settings import Settings, load_settings
from plugin.storage import db
from plugin.storage.models import card_log
from plugin.storage.store import CARD_LOG_INSERT

COLUMNS = [c.name for c in card_log.c if c.name != "id"]


def _rows(prefix: str) -> list[dict[str, Any]]:
    shown = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-5)))  # not UTC
    return [
        {
            "card_uuid": f"{prefix}-{i}",
            "service_id": "naltrexone-order-select",
            "hook": "order-select",
            "rule_id": "opioid-active",
            "indicator": "critical",
            "suggestions": [{"uuid": f"s-{i}", "label": 'Do not start naltrexone \u2014 "yet"'}] * i,
            "hook_instance": "5f1c2b9e-0d4e-4a57-9a43-2a8f7c1d9e01",
            "shown_at": shown + timedelta(seconds=i),
            "issuer": "https://ehr.example" if i else "",
        }
        for i in range(3)
    ]


def _stored(settings: Settings, prefix: str) -> list[tuple[Any, ...]]:
    cols = [card_log.c[name] for name in COLUMNS]
    with db.get_engine(settings).connect() as conn:
        query = select(*cols).where(card_log.c.card_uuid.like(f"{prefix}-%")).order_by(card_log.c.card_uuid)
        return [tuple(row) for row in conn.execute(query)]


def _round_trip(settings: Settings) -> None:
    db.upgrade(settings)
    engine = db.get_engine(settings)
    with db.transaction(engine) as conn:
        conn.execute(card_log.insert(), _rows("core"))
        CARD_LOG_INSERT.execute(conn, _rows("fast"))
        CARD_LOG_INSERT.execute(conn, [])  # nothing to write: no statement
    core, fast = _stored(settings, "core"), _stored(settings, "fast")
    assert len(fast) == 3
    assert [row[1:] for row in fast] == [row[1:] for row in core]  # all but the card uuid
    assert fast[2][COLUMNS.index("shown_at")] == datetime(2026, 3, 1, 15, 0, 2, 123456, tzinfo=UTC)
    assert fast[1][COLUMNS.index("suggestions")] == [
        {"uuid": "s-1", "label": 'Do not start naltrexone \u2014 "yet"'}
    ]


def test_same_rows_as_the_core_insert_on_sqlite(sqlite_settings: Settings) -> None:
    _round_trip(sqlite_settings)


def test_same_rows_as_the_core_insert_on_postgres(postgres_url: str) -> None:
    _round_trip(load_settings({"database_url": postgres_url}))


def test_a_naive_time_is_refused_as_by_the_core_insert(sqlite_settings: Settings) -> None:
    db.upgrade(sqlite_settings)
    row = {**_rows("naive")[0], "shown_at": datetime(2026, 3, 1, 10, 0)}
    with pytest.raises(ValueError, match="naive"), db.transaction(db.get_engine(sqlite_settings)) as conn:
        CARD_LOG_INSERT.execute(conn, [row])
    assert _stored(sqlite_settings, "naive") == []  # the transaction was rolled back
