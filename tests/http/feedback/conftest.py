"""Fixtures for the feedback tests: a real app over a real SQLite file in a temp state directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from plugin import create_app
from plugin.storage.db import dispose_engines, get_engine

DB_ENV = ("NALTREXONE_CDS_DATABASE_URL", "NALTREXONE_CDS_STATE_DIR", "NALTREXONE_CDS_AUTO_MIGRATE")


@pytest.fixture
def db_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Settings that point at a fresh SQLite file, whatever the developer's environment says."""
    for name in DB_ENV:
        monkeypatch.delenv(name, raising=False)
    return {"state_dir": str(tmp_path / "state"), "auth": "none"}


@pytest.fixture
def app(db_settings: dict[str, Any]) -> Iterator[Flask]:
    yield create_app(db_settings)
    dispose_engines()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def engine(app: Flask) -> Engine:
    return get_engine(app.config["SETTINGS"])
