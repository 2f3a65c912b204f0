"""Verify an EHR's bearer JWT the way CDS Hooks 2.0 "Trusting CDS Clients" asks.

Order matters: everything read before the signature check (header, ``iss``) only chooses the key and is
never trusted; the replay cache is written last, so a forged token cannot burn a real ``jti``.  Reasons
are fixed phrases - none quotes the token or a value taken from it.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from plugin.auth.jwks import JwksCache, JwksError
from plugin.auth.replay import ReplayStore

# Asymmetric only: "none" carries no signature and HMAC needs a secret the EHR would have to share with
# us (and lets a public key be misused as the secret).
ALLOWED_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
)
_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
LEEWAY_S = 60  # clock skew tolerated on exp and iat
# CDS Hooks 2.0: "exp ... MUST NOT be more than 5 minutes from iat" - a token is a single call's pass.
MAX_LIFETIME_S = 300
MAX_TOKEN_CHARS = 16 * 1024
MIN_RSA_BITS = 2048
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")


class TokenRefused(Exception):
    """Raised with a reason safe to return and log; ``iss`` is set once known, for the log only."""

    def __init__(self, reason: str, iss: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.iss = iss


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not authorization:
        raise TokenRefused("missing Authorization: Bearer token")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise TokenRefused("Authorization header is not a Bearer token")
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenRefused("token is too large")
    return token


def _allowed_urls(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _public_key(jwk: Mapping[str, Any], alg: str) -> Any:
    """The verification key, after checking the JWK may be used with ``alg`` (no key-type confusion)."""
    if jwk.get("alg") not in (None, alg):
        raise TokenRefused("token alg does not match its key")
    expected_kty = "EC" if alg.startswith("ES") else "RSA"
    if jwk.get("kty") != expected_kty or (expected_kty == "EC" and jwk.get("crv") != _EC_CURVES[alg]):
        raise TokenRefused("token alg does not match its key")
    try:
        key = jwt.get_algorithm_by_name(alg).from_jwk(dict(jwk))
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        raise TokenRefused("issuer key is not a usable public key") from None
    if isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        key = key.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise TokenRefused("issuer key is too short")
    return key


def _numeric(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_lifetime(claims: Mapping[str, Any], now: float, iss: str | None = None) -> None:
    """Refuse tokens meant to live longer than one call: ``exp`` and ``iat`` must be JSON numbers,
    ``exp - iat`` at most MAX_LIFETIME_S, and ``exp`` at most MAX_LIFETIME_S (+ skew) from now.

    PyJWT alone accepts ``"exp": "9999999999"`` (it calls int() on strings) and any distant ``exp``;
    a huge one (1e300) would later overflow a datetime.
    """
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _numeric(exp) or not _numeric(iat):
        raise TokenRefused("token exp and iat must be numbers (seconds since the epoch)", iss=iss)
    if exp - iat > MAX_LIFETIME_S:
        raise TokenRefused("token lifetime (exp - iat) is longer than 5 minutes", iss=iss)
    if exp > now + MAX_LIFETIME_S + LEEWAY_S:
        raise TokenRefused("token exp is more than 5 minutes ahead", iss=iss)


def replay_key(iss: str, jti: str) -> str:
    """Cache key for one token: fixed length, scoped to the issuer, and not the raw ``jti``."""
    return hashlib.sha256(f"{iss}\x00{jti}".encode()).hexdigest()


class TokenVerifier:
    """Checks tokens against the trusted issuers; one per app."""

    def __init__(
        self,
        trusted_issuers: Mapping[str, str],
        jku_allowlist: Mapping[str, Any],
        jwks: JwksCache,
        replay: ReplayStore,
    ) -> None:
        self._issuers = dict(trusted_issuers)
        self._jku = {iss: _allowed_urls(urls) for iss, urls in jku_allowlist.items()}
        self._jwks = jwks
        self._replay = replay

    def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The token's claims, or TokenRefused.  ``audience`` is the full URL of the endpoint called."""
        token = bearer_token(authorization)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TokenRefused("token is not a well-formed JWT") from None
        alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
        if alg not in ALLOWED_ALGORITHMS:
            raise TokenRefused("token alg is not allowed (asymmetric algorithms only)")
        if not isinstance(kid, str) or not kid:
            raise TokenRefused("token header has no kid")
        if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
            raise TokenRefused("token typ must be JWT")
        iss = unverified.get("iss")
        if not isinstance(iss, str) or iss not in self._issuers:
            raise TokenRefused("token issuer is not trusted", iss=iss if isinstance(iss, str) else None)
        url = self._key_set_url(iss, header.get("jku"))
        try:
            jwk = self._jwks.key(url, kid)
        except JwksError as exc:
            raise TokenRefused("issuer key set is unavailable", iss=iss) from exc
        if jwk is None:
            raise TokenRefused("token kid is not in the issuer's key set", iss=iss)
        claims = self._decode(token, _public_key(jwk, alg), alg, audience, iss)
        check_lifetime(claims, time.time(), iss)
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise TokenRefused("token jti must be a non-empty string", iss=iss)
        expires_at = datetime.fromtimestamp(float(claims["exp"]) + LEEWAY_S, UTC)
        if not self._replay.first_use(replay_key(iss, jti), iss, expires_at):
            raise TokenRefused("token jti was already used (replay)", iss=iss)
        return claims

    def _key_set_url(self, iss: str, jku: Any) -> str:
        """``jku`` when it is allow-listed for ``iss``; otherwise the issuer's configured key set.

        CDS Hooks 2.0: a service MAY fetch a ``jku`` on its allow-list and otherwise ignores it.  So a
        foreign ``jku`` (the CDS Hooks sandbox always sends its public URL, even to a site that trusts a
        local copy of its keys) is never fetched: the token must then verify against the configured set.
        """
        configured = self._issuers[iss]
        if isinstance(jku, str) and jku in self._jku.get(iss, ()):
            return jku
        return configured

    @staticmethod
    def _decode(token: str, key: Any, alg: str, audience: str, iss: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=audience,
                issuer=iss,
                leeway=LEEWAY_S,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.InvalidSignatureError:
            raise TokenRefused("token signature does not verify", iss=iss) from None
        except jwt.ExpiredSignatureError:
            raise TokenRefused("token has expired", iss=iss) from None
        except jwt.ImmatureSignatureError:
            raise TokenRefused("token is issued in the future", iss=iss) from None
        except jwt.InvalidAudienceError:
            raise TokenRefused("token aud is not this endpoint's URL", iss=iss) from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRefused(f"token lacks the required claim '{exc.claim}'", iss=iss) from None
        except (jwt.PyJWTError, ValueError, OverflowError, TypeError):
            raise TokenRefused("token claims are invalid", iss=iss) from None
