"""Replay stores on real backends: the service database (SQLite file) and a real redis-server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from plugin import create_app
from plugin.auth.replay import DatabaseReplayStore, RedisReplayStore
from plugin.settings import load_settings
from plugin.storage import get_engine, jti_seen, upgrade
from tests.auth.issuer import Issuer, bearer
from tests.support.redis_server import RedisServer

SIGN = "/cds-services/naltrexone-order-sign"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    settings = load_settings({"database_url": f"sqlite:///{tmp_path / 'replay.sqlite3'}"})
    upgrade(settings)
    return get_engine(settings)


@pytest.fixture
def store(engine: Engine) -> DatabaseReplayStore:
    return DatabaseReplayStore(engine)


def soon(seconds: int = 300) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_first_use_then_replay(store: DatabaseReplayStore) -> None:
    assert store.first_use("k1", "https://ehr.example.org", soon())
    assert not store.first_use("k1", "https://ehr.example.org", soon())
    assert store.first_use("k2", "https://ehr.example.org", soon())


def test_expired_rows_are_purged_and_their_ids_free(store: DatabaseReplayStore, engine: Engine) -> None:
    assert store.first_use("old", "iss", datetime.now(UTC) - timedelta(seconds=1))
    assert store.first_use("old", "iss", soon())  # the row outlived its token: not a replay
    assert store.first_use("gone", "iss", datetime.now(UTC) - timedelta(seconds=1))
    assert store.first_use("kept", "iss", soon())
    assert store.purge() == 1
    with engine.connect() as conn:
        assert sorted(conn.scalars(select(jti_seen.c.jti))) == ["kept", "old"]


def test_database_failure_is_503_not_a_pass(jwt_settings: dict[str, Any], issuer: Issuer) -> None:
    app = create_app(jwt_settings)
    with get_engine(app.config["SETTINGS"]).begin() as conn:
        conn.execute(text("DROP TABLE jti_seen"))
    response = app.test_client().post(SIGN, json={}, headers=bearer(issuer.token(SIGN)))
    assert response.status_code == 503
    assert response.get_json()["error"] == "service_unavailable"


@pytest.fixture
def redis_url(redis: RedisServer) -> str:
    return redis.url


def test_redis_store(redis_url: str) -> None:
    first, second = RedisReplayStore.from_url(redis_url), RedisReplayStore.from_url(redis_url)
    assert first.first_use("k", "iss", soon())
    assert not second.first_use("k", "iss", soon())  # another client, same answer


def test_app_uses_redis_when_configured(redis_url: str, jwt_settings: dict[str, Any], issuer: Issuer) -> None:
    settings = {**jwt_settings, "redis_url": redis_url}
    token = issuer.token(SIGN)
    first = create_app(settings).test_client().post(SIGN, json={}, headers=bearer(token))
    assert first.status_code == 400  # authenticated; the empty body is refused after
    again = create_app(settings).test_client().post(SIGN, json={}, headers=bearer(token))
    assert again.status_code == 401 and "already used" in again.get_json()["message"]
