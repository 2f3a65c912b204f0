"""Probes: /healthz (liveness) always 200; /readyz 200 only with a reachable, migrated database and,
when configured, a reachable Redis.  Real SQLite, PostgreSQL and redis-server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plugin import create_app
from plugin.storage.db import dispose_engines
from tests.support.redis_server import RedisServer


def probes(settings: dict[str, Any]) -> tuple[int, int, dict[str, Any]]:
    client = create_app(settings).test_client()
    ready = client.get("/readyz")
    return client.get("/healthz").status_code, ready.status_code, ready.get_json()


def test_ready_with_a_migrated_database(app_settings: dict[str, Any]) -> None:
    assert probes(app_settings) == (200, 200, {"status": "ready", "checks": {"database": "ok"}})


def test_database_unreachable_is_not_ready_but_alive(app_settings: dict[str, Any], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    live, ready, body = probes({**app_settings, "state_dir": str(blocker / "state")})
    assert (live, ready, body["status"]) == (200, 503, "unavailable")
    assert body["checks"]["database"].startswith("unavailable")
    dispose_engines()


def test_postgres_down_is_not_ready(app_settings: dict[str, Any]) -> None:
    closed = "postgresql://cds@127.0.0.1:9/cds"  # discard port: nothing listens on loopback
    live, ready, body = probes({**app_settings, "database_url": closed})
    assert (live, ready) == (200, 503)
    assert "127.0.0.1" not in str(body)  # error types only, no connection details
    dispose_engines()


def test_unmigrated_database_is_not_ready(app_settings: dict[str, Any]) -> None:
    live, ready, body = probes({**app_settings, "auto_migrate": False})
    assert (live, ready) == (200, 503)
    assert body["checks"]["database"].startswith("unavailable")  # no alembic_version table


def test_migrated_postgres_is_ready(app_settings: dict[str, Any], postgres_url: str) -> None:
    assert probes({**app_settings, "database_url": postgres_url})[:2] == (200, 200)


def test_redis_down_then_back(app_settings: dict[str, Any], redis: RedisServer) -> None:
    client = create_app({**app_settings, "redis_url": redis.url}).test_client()
    assert client.get("/readyz").get_json()["checks"] == {"database": "ok", "redis": "ok"}
    redis.stop()
    down = client.get("/readyz")
    assert (down.status_code, client.get("/healthz").status_code) == (503, 200)
    assert down.get_json()["checks"]["redis"].startswith("unavailable")
    redis.start()  # the same address again: ready again, no restart of ours needed
    assert client.get("/readyz").status_code == 200
