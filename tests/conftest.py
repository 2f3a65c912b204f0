"""Shared fixtures: an app in dev mode with a fixed 'today', its test client, real PostgreSQL and Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin import create_app
from plugin.storage.db import dispose_engines
from tests.support.postgres import PostgresServer, start_postgres
from tests.support.redis_server import RedisServer, redis_server

NOW = "2026-11-25"
# Read by the test infrastructure itself (tests/support/postgres.py), not by the service.
KEPT_VARIABLES = frozenset({"NALTREXONE_CDS_TEST_POSTGRES_URL"})
# Besides NALTREXONE_CDS_*: what else the service reads from the environment.
SERVICE_VARIABLES = frozenset({"WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR"})


def ambient_settings(environ: Any) -> list[str]:
    """Variables of the developer's shell that would change what a test app (or server) does."""
    return sorted(
        k
        for k in environ
        if (k.startswith("NALTREXONE_CDS_") and k not in KEPT_VARIABLES) or k in SERVICE_VARIABLES
    )


@pytest.fixture(scope="session", autouse=True)
def _hermetic_session() -> Iterator[None]:
    """Out of os.environ for the whole session: session-scoped servers start without them too."""
    saved = {name: os.environ.pop(name) for name in ambient_settings(os.environ)}
    yield
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from settings it states itself; what it sets is undone after it."""
    for name in ambient_settings(os.environ):
        monkeypatch.delenv(name)


@pytest.fixture
def app_settings(tmp_path: Any) -> dict[str, Any]:
    return {"auth": "none", "now": NOW, "state_dir": str(tmp_path / "state")}


@pytest.fixture
def app(app_settings: dict[str, Any]) -> Iterator[Flask]:
    yield create_app(app_settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL for the whole session (started on first use)."""
    yield from start_postgres()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database on the session's server for one test."""
    for name in ("NALTREXONE_CDS_DATABASE_URL", "NALTREXONE_CDS_STATE_DIR", "NALTREXONE_CDS_AUTO_MIGRATE"):
        monkeypatch.delenv(name, raising=False)
    url = postgres_server.create_database()
    yield url
    dispose_engines()
    postgres_server.drop_database(url)


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    """A real redis-server of this test's own."""
    with redis_server() as server:
        yield server
