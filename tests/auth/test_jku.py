"""``jku`` as CDS Hooks 2.0 allows: fetched only when allow-listed for the issuer, otherwise ignored.

Real keys and a real HTTPS key-set server on loopback: its hit counter proves which URL was fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from plugin import create_app
from tests.auth.issuer import ISS, Issuer
from tests.auth.test_jwt import SIGN, assert_refused, call
from tests.auth.tls_server import JwksServer, jwks_server

SANDBOX_ISS = "https://sandbox.cds-hooks.org"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[JwksServer]:
    with jwks_server(tmp_path) as srv:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(srv.ca_file))  # trust the test's self-signed cert
        yield srv


@pytest.fixture
def attacker(tmp_path: Path, server: JwksServer) -> Issuer:
    """Same ``iss`` and ``kid`` as the real EHR, its own key, published on the loopback server."""
    directory = tmp_path / "attacker"
    directory.mkdir()
    forger = Issuer(directory)
    server.body = forger.jwks_path.read_bytes()
    return forger


def test_foreign_jku_is_ignored_and_never_fetched(
    jwt_client: FlaskClient, issuer: Issuer, attacker: Issuer, server: JwksServer
) -> None:
    # A token of the real EHR pointing elsewhere still verifies against the configured set ...
    assert call(jwt_client, issuer.token(SIGN, headers={"jku": server.url})).status_code == 200
    # ... and a forger's token pointing at its own published keys does not.
    forged = attacker.token(SIGN, headers={"jku": server.url})
    assert_refused(call(jwt_client, forged), forged, "signature does not verify")
    assert server.hits == 0


def test_allow_listed_jku_is_fetched(
    jwt_settings: dict[str, Any], issuer: Issuer, attacker: Issuer, server: JwksServer
) -> None:
    # Here the "attacker" is the issuer's second, allow-listed key set (e.g. a rotation host).
    client = create_app({**jwt_settings, "jku_allowlist": {ISS: [server.url]}}).test_client()
    assert call(client, attacker.token(SIGN, headers={"jku": server.url})).status_code == 200
    assert server.hits == 1
    # The configured set is still the one used without jku, and for the issuer's own key.
    assert call(client, issuer.token(SIGN)).status_code == 200
    assert_refused(call(client, attacker.token(SIGN)), None, "signature does not verify")
    assert server.hits == 1


def test_sandbox_style_jku_with_a_local_copy_of_its_keys(
    jwt_settings: dict[str, Any], tmp_path: Path
) -> None:
    """The CDS Hooks sandbox always sends its public jku; a site trusting a file:// copy still works."""
    directory = tmp_path / "sandbox"
    directory.mkdir()
    sandbox = Issuer(directory, iss=SANDBOX_ISS)
    settings = {**jwt_settings, "trusted_issuers": {SANDBOX_ISS: sandbox.jwks_url}}
    client = create_app(settings).test_client()
    assert call(client, sandbox.token(SIGN, headers={"jku": SANDBOX_JKU})).status_code == 200
