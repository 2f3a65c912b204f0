"""Attack regression, tokens: what an attacker holding a signing key (or none) tried, and the answer.

Token lifetime: CDS Hooks 2.0 says ``exp`` is at most 5 minutes after ``iat``; a long-lived or
non-numeric ``exp`` is refused with 401, and a huge one must never become a 500.  The rest are the
forgeries that already held (alg confusion, ``none``, foreign key sources): kept here so they keep
holding.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient

from tests.auth.issuer import KID, Issuer, public_jwk
from tests.auth.test_jwt import SIGN, assert_refused, call

YEAR_S = 365 * 24 * 3600


def _now() -> int:
    return int(time.time())


# (attack, token maker, reason in the 401 body)
LIFETIME: list[tuple[str, Callable[[Issuer], str], str]] = [
    ("exp a year ahead", lambda i: i.token(SIGN, exp=_now() + YEAR_S), "lifetime"),
    ("exp ten years ahead, iat 0", lambda i: i.token(SIGN, exp=_now() + 10 * YEAR_S, iat=0), "lifetime"),
    ("exp - iat = 301 s", lambda i: i.token(SIGN, iat=_now() - 1, exp=_now() + 300), "lifetime"),
    ("exp as a string", lambda i: i.token(SIGN, exp=str(_now() + 120)), "must be numbers"),
    ("exp 9999999999 as a string", lambda i: i.token(SIGN, exp="9999999999"), "must be numbers"),
    ("iat as a string", lambda i: i.token(SIGN, iat=str(_now())), "must be numbers"),
    ("exp true", lambda i: i.token(SIGN, exp=True), ""),
    ("exp 1e12", lambda i: i.token(SIGN, exp=1e12), "lifetime"),
    ("exp 1e300", lambda i: i.token(SIGN, exp=1e300), "lifetime"),
    ("exp 1e12 with iat near it", lambda i: i.token(SIGN, exp=1e12, iat=1e12 - 60), "issued in the future"),
]


@pytest.mark.parametrize(("attack", "make", "reason"), LIFETIME, ids=[a for a, _, _ in LIFETIME])
def test_long_lived_or_non_numeric_tokens_are_refused(
    jwt_client: FlaskClient, issuer: Issuer, attack: str, make: Callable[[Issuer], str], reason: str
) -> None:
    token = make(issuer)
    assert_refused(call(jwt_client, token), token, reason)


def test_a_five_minute_token_is_still_accepted(jwt_client: FlaskClient, issuer: Issuer) -> None:
    now = _now()
    assert call(jwt_client, issuer.token(SIGN, iat=now, exp=now + 300)).status_code == 200


def _embedded_jwk(i: Issuer) -> str:
    """Signed by the attacker's own key, which the header carries as ``jwk``."""
    key = ec.generate_private_key(ec.SECP384R1())
    return i.token(SIGN, key=key, headers={"jwk": public_jwk(key, KID)})


def _x5u(i: Issuer) -> str:
    key = ec.generate_private_key(ec.SECP384R1())
    return i.token(SIGN, key=key, headers={"x5u": "https://evil.example.org/cert.pem"})


def _foreign_jku(i: Issuer, jku: str) -> str:
    """Signed by the attacker's key, published (so they hope) at ``jku``: it is ignored, never fetched."""
    return i.token(SIGN, key=ec.generate_private_key(ec.SECP384R1()), headers={"jku": jku})


def _rs256_forged(i: Issuer) -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(i.claims(SIGN), key, algorithm="RS256", headers={"kid": KID})


HELD: list[tuple[str, Callable[[Issuer], str], str]] = [
    ("alg none", lambda i: i.unsigned(SIGN), "alg is not allowed"),
    ("HS256 keyed with the public key", lambda i: i.hs256_with_public_key(SIGN), "alg is not allowed"),
    ("RS256 against the issuer's EC key", _rs256_forged, "alg does not match its key"),
    ("foreign jku (ignored)", lambda i: _foreign_jku(i, "https://evil.example.org/jwks"), "signature"),
    ("jku on loopback (ignored)", lambda i: _foreign_jku(i, "http://127.0.0.1:1/jwks"), "signature"),
    ("embedded jwk", _embedded_jwk, "signature does not verify"),
    ("foreign x5u", _x5u, "signature does not verify"),
    ("iss of an untrusted issuer", lambda i: i.token(SIGN, iss="https://evil.example.org"), "not trusted"),
]


@pytest.mark.parametrize(("attack", "make", "reason"), HELD, ids=[a for a, _, _ in HELD])
def test_forgeries_that_held_still_hold(
    jwt_client: FlaskClient, issuer: Issuer, attack: str, make: Callable[[Issuer], str], reason: str
) -> None:
    token = make(issuer)
    assert_refused(call(jwt_client, token), token, reason)


def test_claims_are_read_only_from_the_verified_payload(jwt_client: FlaskClient, issuer: Issuer) -> None:
    """A valid signature over short-lived claims, with a long ``exp`` spliced in: refused on signature."""
    header, payload, signature = issuer.token(SIGN).split(".")
    claims: dict[str, Any] = jwt.decode(issuer.token(SIGN), options={"verify_signature": False})
    claims["exp"] = _now() + YEAR_S
    import base64

    spliced = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    token = f"{header}.{spliced}.{signature}"
    assert_refused(call(jwt_client, token), token, "signature does not verify")
