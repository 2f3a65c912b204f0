"""Schema and migrations on a real SQLite file: the contract other modules build on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import StatementError

from plugin.settings import Settings, load_settings
from plugin.storage import db
from plugin.storage.models import jti_seen, metadata
from tests.storage.support import concurrent_db_upgrades


def test_upgrade_creates_the_schema_the_models_describe(sqlite_settings: Settings) -> None:
    db.upgrade(sqlite_settings)
    db.upgrade(sqlite_settings)  # already at head: nothing to do
    assert db.current_revision(sqlite_settings) == db.head_revision() == db.SCHEMA_HEAD == "0002"
    with db.get_engine(sqlite_settings).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_jti_seen_contract(sqlite_settings: Settings) -> None:
    db.upgrade(sqlite_settings)
    inspector = inspect(db.get_engine(sqlite_settings))
    columns = {c["name"]: c for c in inspector.get_columns("jti_seen")}
    assert set(columns) == {"jti", "issuer", "expires_at"}
    assert inspector.get_pk_constraint("jti_seen")["constrained_columns"] == ["jti"]
    assert not columns["issuer"]["nullable"] and not columns["expires_at"]["nullable"]
    assert [i["column_names"] for i in inspector.get_indexes("jti_seen")] == [["expires_at"]]


def test_datetimes_come_back_aware_utc_and_naive_ones_are_refused(sqlite_settings: Settings) -> None:
    db.upgrade(sqlite_settings)
    engine = db.get_engine(sqlite_settings)
    berlin = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    with db.transaction(engine, durable=True) as conn:
        conn.execute(jti_seen.insert(), {"jti": "j1", "issuer": "https://ehr", "expires_at": berlin})
    with engine.connect() as conn:
        stored = conn.execute(select(jti_seen.c.expires_at)).scalar_one()
        assert stored == berlin and stored.tzinfo == UTC
        later = conn.execute(
            select(jti_seen.c.jti).where(jti_seen.c.expires_at > datetime(2026, 3, 1, 11, 1, tzinfo=UTC))
        )
        assert later.all() == []
    with pytest.raises(StatementError), db.transaction(engine) as conn:
        conn.execute(jti_seen.insert(), {"jti": "j2", "issuer": "x", "expires_at": datetime(2026, 3, 1)})


def test_sqlite_engine_settings(sqlite_settings: Settings) -> None:
    engine = db.get_engine(sqlite_settings)
    assert db.get_engine(sqlite_settings) is engine
    assert Path(sqlite_settings.state_dir).is_dir()  # created on first use
    with engine.connect() as conn:
        pragmas = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in ("journal_mode", "foreign_keys")}
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1}


def test_plain_postgres_urls_get_psycopg3(sqlite_settings: Settings) -> None:
    for raw in ("postgresql://u@h/d", "postgres://u@h/d", "postgresql+psycopg://u@h/d"):
        assert db.database_url(load_settings({"database_url": raw})).drivername == "postgresql+psycopg"


def test_downgrade_and_upgrade_again(sqlite_settings: Settings) -> None:
    db.upgrade(sqlite_settings)
    engine = db.get_engine(sqlite_settings)
    with engine.begin() as conn:
        cfg = db.alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    db.upgrade(sqlite_settings)
    assert {"card_log", "feedback", "jti_seen"} <= set(inspect(engine).get_table_names())


def test_concurrent_db_upgrade_commands(tmp_path: Path) -> None:
    """Four processes migrating one fresh database at once (workers starting) all succeed."""
    results = concurrent_db_upgrades(4, NALTREXONE_CDS_STATE_DIR=str(tmp_path / "state"))
    outputs = [out for _, out in results]
    assert [rc for rc, _ in results] == [0, 0, 0, 0], outputs
    assert all("database at revision 0002" in out for out in outputs)
    assert db.current_revision(load_settings({"state_dir": str(tmp_path / "state")})) == "0002"
