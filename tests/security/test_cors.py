"""CORS: every endpoint open to any origin by default (no credentials); CORS_ORIGINS narrows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from plugin import create_app
from tests.auth.issuer import Issuer

SANDBOX = "https://sandbox.cds-hooks.org"
STRANGER = "https://evil.example.org"
SIGN = "/cds-services/naltrexone-order-sign"
FEEDBACK = SIGN + "/feedback"


def client(tmp_path: Path, **settings: Any) -> FlaskClient:
    return create_app({"auth": "none", "state_dir": str(tmp_path), **settings}).test_client()


def preflight(c: FlaskClient, path: str, origin: str) -> Any:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    return c.options(path, headers=headers)


def test_default_opens_every_endpoint_without_credentials(tmp_path: Path) -> None:
    c = client(tmp_path)
    for path in ("/cds-services", SIGN, FEEDBACK):
        ok = preflight(c, path, SANDBOX)
        assert ok.status_code == 204
        assert ok.headers["Access-Control-Allow-Origin"] == "*"
        assert "Authorization" in ok.headers["Access-Control-Allow-Headers"]
        assert "Content-Type" in ok.headers["Access-Control-Allow-Headers"]
        assert "POST" in ok.headers["Access-Control-Allow-Methods"]
        assert "Access-Control-Allow-Credentials" not in ok.headers
    assert c.get("/cds-services", headers={"Origin": STRANGER}).headers["Access-Control-Allow-Origin"] == "*"
    answer = c.post(SIGN, json={}, headers={"Origin": SANDBOX})
    assert answer.status_code == 400  # the empty body is refused, and the browser may read why
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_listed_origins_govern_every_endpoint(tmp_path: Path) -> None:
    c = client(tmp_path, cors_origins=SANDBOX)
    for path in ("/cds-services", SIGN, FEEDBACK):
        allowed = preflight(c, path, SANDBOX)
        assert allowed.status_code == 204
        assert allowed.headers["Access-Control-Allow-Origin"] == SANDBOX
        assert "Origin" in allowed.headers["Vary"]
        assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
        assert preflight(c, path, STRANGER).status_code == 403
    assert "Access-Control-Allow-Origin" not in c.get("/cds-services", headers={"Origin": STRANGER}).headers
    answer = c.post(SIGN, json={}, headers={"Origin": SANDBOX})
    assert answer.headers["Access-Control-Allow-Origin"] == SANDBOX
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_star_opens_everything(tmp_path: Path) -> None:
    c = client(tmp_path, cors_origins="*")
    assert preflight(c, SIGN, STRANGER).headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "origin", ["null", "https://sandbox.cds-hooks.org.evil.com", "http://sandbox.cds-hooks.org"]
)
def test_lookalike_origins_are_not_allowed(tmp_path: Path, origin: str) -> None:
    assert preflight(client(tmp_path, cors_origins=SANDBOX), SIGN, origin).status_code == 403


@pytest.mark.parametrize(("cors_origins", "allowed"), [("", "*"), (SANDBOX, SANDBOX)])
def test_preflight_needs_no_token_and_a_401_is_readable_by_the_browser(
    jwt_settings: dict[str, Any], issuer: Issuer, cors_origins: str, allowed: str
) -> None:
    c = create_app({**jwt_settings, "cors_origins": cors_origins}).test_client()
    for path in ("/cds-services", SIGN, FEEDBACK):
        assert preflight(c, path, SANDBOX).status_code == 204
        refused = c.post(path, json={}, headers={"Origin": SANDBOX})
        assert refused.status_code == 401
        assert refused.headers["Access-Control-Allow-Origin"] == allowed
        assert "WWW-Authenticate" in refused.headers["Access-Control-Expose-Headers"]
