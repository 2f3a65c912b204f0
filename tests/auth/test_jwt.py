"""CDS Hooks 2.0 "Trusting CDS Clients": what is accepted and every way a token is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient

from plugin import create_app
from plugin.settings import SettingsError
from tests.auth.issuer import ISS, PUBLIC_URL, Issuer, bearer
from tests.builders import NALTREXONE_ORAL, hook_request, naltrexone_draft

SIGN = "/cds-services/naltrexone-order-sign"
DISCOVERY = "/cds-services"


def call(client: FlaskClient, token: str | None, path: str = SIGN, **headers: str) -> Any:
    if token is not None:
        headers.update(bearer(token))
    if path == DISCOVERY:
        return client.get(path, headers=headers)
    return client.post(path, json=hook_request([naltrexone_draft(drug=NALTREXONE_ORAL)]), headers=headers)


def assert_refused(response: Any, token: str | None, reason: str) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    body = response.get_json()
    assert body["error"] == "invalid_token"
    assert reason in body["message"]
    if token:
        text = response.get_data(as_text=True)
        assert all(part not in text for part in token.split(".") if len(part) > 8)


def test_valid_token_is_accepted_on_hook_and_discovery(jwt_client: FlaskClient, issuer: Issuer) -> None:
    response = call(jwt_client, issuer.token(SIGN))
    assert response.status_code == 200, response.get_json()
    assert isinstance(response.get_json()["cards"], list)
    assert call(jwt_client, issuer.token(DISCOVERY), DISCOVERY).status_code == 200


def test_aud_may_be_an_array_and_jku_may_name_the_configured_set(
    jwt_client: FlaskClient, issuer: Issuer
) -> None:
    token = issuer.token(SIGN, aud=["https://other.example.org", PUBLIC_URL + SIGN])
    assert call(jwt_client, token).status_code == 200
    token = issuer.token(SIGN, headers={"jku": issuer.jwks_url})
    assert call(jwt_client, token).status_code == 200


def _other_key_token(issuer: Issuer, path: str) -> str:
    return issuer.token(path, key=ec.generate_private_key(ec.SECP384R1()))


# (case, token maker, reason in the 401 body)
REFUSED: list[tuple[str, Callable[[Issuer, str], str | None], str]] = [
    ("missing header", lambda i, p: None, "missing Authorization"),
    ("alg none", lambda i, p: i.unsigned(p), "alg is not allowed"),
    ("HS256 keyed with the public key", lambda i, p: i.hs256_with_public_key(p), "alg is not allowed"),
    ("expired", lambda i, p: i.token(p, exp=i.claims(p)["iat"] - 61), "expired"),
    ("iat in the future", lambda i, p: i.token(p, iat=i.claims(p)["iat"] + 120), "issued in the future"),
    ("wrong aud", lambda i, p: i.token(p, aud=PUBLIC_URL + "/cds-services/other"), "aud"),
    ("aud of another host", lambda i, p: i.token(p, aud="https://evil.example.org" + p), "aud"),
    ("unknown iss", lambda i, p: i.token(p, iss="https://evil.example.org"), "issuer is not trusted"),
    ("unknown kid", lambda i, p: i.token(p, headers={"kid": "not-a-key"}), "kid is not in"),
    ("no kid", lambda i, p: i.token(p, headers={"kid": None}), "no kid"),
    ("signed by another key", _other_key_token, "signature does not verify"),
    ("no jti", lambda i, p: i.token(p, jti=None), "'jti'"),
    ("no exp", lambda i, p: i.token(p, exp=None), "'exp'"),
    ("wrong typ", lambda i, p: i.token(p, headers={"typ": "at+jwt"}), "typ"),
    ("garbled", lambda i, p: "not.a.jwt", "not a well-formed JWT"),
    ("truncated", lambda i, p: i.token(p).rsplit(".", 1)[0], "not a well-formed JWT"),
]


@pytest.mark.parametrize(("case", "make", "reason"), REFUSED, ids=[c for c, _, _ in REFUSED])
@pytest.mark.parametrize("path", [SIGN, DISCOVERY, SIGN + "/feedback"])
def test_refused(
    jwt_client: FlaskClient,
    issuer: Issuer,
    case: str,
    make: Callable[[Issuer, str], str | None],
    reason: str,
    path: str,
) -> None:
    token = make(issuer, path)
    assert_refused(call(jwt_client, token, path), token, reason)


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Token abc", "bearer\tx"]
)
def test_malformed_authorization_header(jwt_client: FlaskClient, header: str) -> None:
    response = jwt_client.post(SIGN, json={}, headers={"Authorization": header})
    assert_refused(response, None, "")


def test_replayed_jti_is_refused(jwt_client: FlaskClient, issuer: Issuer) -> None:
    token = issuer.token(SIGN)
    assert call(jwt_client, token).status_code == 200
    assert_refused(call(jwt_client, token), token, "already used")


def test_replay_is_refused_by_a_second_app_on_the_same_database(
    jwt_settings: dict[str, Any], issuer: Issuer
) -> None:
    token = issuer.token(SIGN)
    assert call(create_app(jwt_settings).test_client(), token).status_code == 200
    assert_refused(call(create_app(jwt_settings).test_client(), token), token, "already used")


def test_trailing_slash_in_public_url(jwt_settings: dict[str, Any], issuer: Issuer) -> None:
    client = create_app({**jwt_settings, "public_url": PUBLIC_URL + "/"}).test_client()
    assert call(client, issuer.token(SIGN)).status_code == 200


def test_allow_listed_jku_is_honoured(jwt_settings: dict[str, Any], issuer: Issuer, tmp_path: Path) -> None:
    rotated = tmp_path / "rotated"
    rotated.mkdir()
    other = Issuer(rotated)  # same iss, a second key set published elsewhere
    settings = {**jwt_settings, "jku_allowlist": {ISS: [other.jwks_url]}}
    client = create_app(settings).test_client()
    assert call(client, other.token(SIGN, headers={"jku": other.jwks_url})).status_code == 200
    # Without jku the configured set is used: same kid there, but a different key.
    assert_refused(call(client, other.token(SIGN)), None, "signature does not verify")


def test_key_type_must_match_alg(jwt_settings: dict[str, Any], issuer: Issuer) -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    import jwt as pyjwt

    jwk = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(p256.public_key()))
    jwk.update({"kid": "p256"})
    issuer.jwks_path.write_text(json.dumps({"keys": [jwk]}))
    token = pyjwt.encode(issuer.claims(SIGN), p256, algorithm="ES256", headers={"kid": "p256"})
    client = create_app(jwt_settings).test_client()
    assert call(client, token).status_code == 200
    forged = pyjwt.encode(issuer.claims(SIGN), issuer.key, algorithm="ES384", headers={"kid": "p256"})
    assert_refused(call(client, forged), forged, "alg does not match its key")


def test_dev_mode_needs_no_token(tmp_path: Path) -> None:
    client = create_app({"auth": "none", "state_dir": str(tmp_path)}).test_client()
    assert call(client, None).status_code == 200
    assert call(client, None, DISCOVERY).status_code == 200


def test_public_discovery_and_health_need_no_token(jwt_settings: dict[str, Any]) -> None:
    client = create_app({**jwt_settings, "discovery_public": True}).test_client()
    assert call(client, None, DISCOVERY).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert_refused(call(client, None), None, "missing")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"public_url": ""}, "PUBLIC_URL"),
        ({"trusted_issuers": {ISS: "http://ehr.example.org/jwks"}}, "https://"),
        ({"jku_allowlist": {"https://stranger.example.org": "https://x.example.org/jwks"}}, "JKU_ALLOWLIST"),
    ],
)
def test_unsafe_configuration_stops_start_up(
    jwt_settings: dict[str, Any], overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        create_app({**jwt_settings, **overrides})
