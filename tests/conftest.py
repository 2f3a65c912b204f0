"""Shared fixtures: an app in dev mode with a fixed 'today', and its test client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin import create_app

NOW = "2026-11-25"


@pytest.fixture
def app_settings(tmp_path: Any) -> dict[str, Any]:
    return {"auth": "none", "now": NOW, "state_dir": str(tmp_path / "state")}


@pytest.fixture
def app(app_settings: dict[str, Any]) -> Iterator[Flask]:
    yield create_app(app_settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
