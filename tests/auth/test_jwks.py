"""Key sets over real HTTPS: TTL cache, one rate-limited refresh for an unknown kid, failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from plugin import create_app
from plugin.auth.jwks import MIN_REFRESH_S, JwksCache, JwksError, check_jwks_url, fetch_jwks
from tests.auth.issuer import KID, Issuer, bearer, public_jwk
from tests.auth.tls_server import JwksServer, jwks_server

SIGN = "/cds-services/naltrexone-order-sign"
TTL_S = 300.0


@pytest.fixture
def server(tmp_path: Path, issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> Iterator[JwksServer]:
    with jwks_server(tmp_path) as srv:
        srv.body = issuer.jwks_path.read_bytes()
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(srv.ca_file))  # trust the test's self-signed cert
        yield srv


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_ttl_and_rate_limited_refresh(server: JwksServer, issuer: Issuer) -> None:
    clock = Clock()
    cache = JwksCache(ttl_s=TTL_S, clock=clock)
    assert cache.key(server.url, KID) is not None and server.hits == 1
    assert cache.key(server.url, KID) is not None and server.hits == 1  # cached
    assert cache.key(server.url, "rotated") is None and server.hits == 1  # just loaded: no refresh yet

    clock.now += MIN_REFRESH_S
    assert cache.key(server.url, "random-1") is None and server.hits == 2  # one refresh...
    assert cache.key(server.url, "random-2") is None and server.hits == 2  # ...and no more for a while

    new_key = ec.generate_private_key(ec.SECP384R1())
    keys = json.loads(server.body)["keys"] + [public_jwk(new_key, "rotated")]
    server.body = json.dumps({"keys": keys}).encode()
    clock.now += MIN_REFRESH_S
    assert cache.key(server.url, "rotated") is not None and server.hits == 3  # rotation picked up

    clock.now += TTL_S
    assert cache.key(server.url, KID) is not None and server.hits == 4  # TTL expired: reloaded


def test_failed_refresh_keeps_the_last_good_set_and_is_rate_limited(server: JwksServer) -> None:
    clock = Clock()
    cache = JwksCache(ttl_s=TTL_S, clock=clock)
    assert cache.key(server.url, KID) is not None
    server.status = 500
    clock.now += TTL_S
    assert cache.key(server.url, KID) is not None and server.hits == 2  # stale set served
    assert cache.key(server.url, KID) is not None and server.hits == 2


def test_unreachable_set_is_retried_at_most_once_per_interval(server: JwksServer) -> None:
    server.status = 503
    cache = JwksCache(ttl_s=TTL_S, clock=Clock())
    for _ in range(3):
        with pytest.raises(JwksError, match="HTTP 503"):
            cache.key(server.url, KID)
    assert server.hits == 1


def test_app_fetches_the_set_over_https_once(
    server: JwksServer, issuer: Issuer, jwt_settings: dict[str, Any]
) -> None:
    client = create_app({**jwt_settings, "trusted_issuers": {issuer.iss: server.url}}).test_client()
    for _ in range(3):
        body = {"hook": "order-sign", "hookInstance": "x", "context": {}}
        response = client.post(SIGN, json=body, headers=bearer(issuer.token(SIGN)))
        assert response.status_code == 400  # authenticated; then the empty context is refused
    assert server.hits == 1


def test_app_refuses_when_the_set_is_unavailable(
    server: JwksServer, issuer: Issuer, jwt_settings: dict[str, Any]
) -> None:
    server.status = 404
    client = create_app({**jwt_settings, "trusted_issuers": {issuer.iss: server.url}}).test_client()
    response = client.post(SIGN, json={}, headers=bearer(issuer.token(SIGN)))
    assert response.status_code == 401
    assert response.get_json()["message"] == "issuer key set is unavailable"


@pytest.mark.parametrize(
    "url", ["http://ehr.example.org/jwks", "ftp://x/y", "file://remote-host/jwks.json", "https:///nohost", ""]
)
def test_only_https_and_local_files(url: str) -> None:
    with pytest.raises(JwksError):
        check_jwks_url(url)


def test_file_sets_and_bad_documents(tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    for document in ("[]", "{}", "not json", '{"keys": {}}'):
        path.write_text(document)
        with pytest.raises(JwksError):
            fetch_jwks(path.as_uri())
    with pytest.raises(JwksError, match="cannot read"):
        fetch_jwks((tmp_path / "absent.json").as_uri())
    path.write_text('{"keys": [{"kid": "a", "kty": "EC"}, {"kid": "enc", "use": "enc"}, {"no": "kid"}]}')
    assert list(fetch_jwks(path.as_uri())) == ["a"]
