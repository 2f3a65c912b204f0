"""Fixtures: a test EHR issuer and an app in AUTH=jwt mode trusting it, over a real SQLite database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin import create_app
from tests.auth.issuer import PUBLIC_URL, Issuer


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path)


@pytest.fixture
def jwt_settings(issuer: Issuer, tmp_path: Path) -> dict[str, Any]:
    return {
        "auth": "jwt",
        "public_url": PUBLIC_URL,
        "trusted_issuers": {issuer.iss: issuer.jwks_url},
        "state_dir": str(tmp_path / "state"),
        "now": "2026-11-25",
    }


@pytest.fixture
def jwt_app(jwt_settings: dict[str, Any]) -> Flask:
    return create_app(jwt_settings)


@pytest.fixture
def jwt_client(jwt_app: Flask) -> FlaskClient:
    return jwt_app.test_client()
