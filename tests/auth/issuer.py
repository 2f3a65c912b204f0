"""A test EHR: an ES384 key made in the test, its JWK Set in a file, and a token signer (PyJWT)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ISS = "https://ehr.example.org"
PUBLIC_URL = "https://cds.example.org"
KID = "ehr-es384-1"


def public_jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "ES384"})
    return jwk


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """Signs CDS Hooks client JWTs; ``jwks_url`` is the file:/// URL of its key set."""

    def __init__(self, directory: Path, iss: str = ISS) -> None:
        self.iss = iss
        self.key = ec.generate_private_key(ec.SECP384R1())
        self.jwks_path = directory / "jwks.json"
        self.jwks_path.write_text(json.dumps({"keys": [public_jwk(self.key, KID)]}))
        self.jwks_url = self.jwks_path.as_uri()

    def claims(self, path: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.iss,
            "aud": PUBLIC_URL + path,
            "exp": now + 300,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "tenant": "hospital-1",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(
        self, path: str, *, headers: dict[str, Any] | None = None, key: Any = None, **claims: Any
    ) -> str:
        hdr = {k: v for k, v in {"kid": KID, "typ": "JWT", **(headers or {})}.items() if v is not None}
        return jwt.encode(self.claims(path, **claims), key or self.key, algorithm="ES384", headers=hdr)

    def unsigned(self, path: str) -> str:
        """``alg: none``: header and claims, empty signature."""
        header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": KID}).encode())
        payload = _b64(json.dumps(self.claims(path)).encode())
        return f"{header}.{payload}."

    def hs256_with_public_key(self, path: str) -> str:
        """The classic key-confusion forgery: HMAC keyed with the issuer's public key PEM."""
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode())
        payload = _b64(json.dumps(self.claims(path)).encode())
        signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
