"""Replay stores on real backends: the service database (SQLite file) and, when installed, Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
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
def redis_url(tmp_path: Path) -> Iterator[str]:
    pytest.importorskip("redis", reason="the optional 'redis' package is not installed")
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server binary not installed (apt-get install redis-server to run this test)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
