"""The JWT fixtures (test issuer, app trusting it) are shared with tests/auth."""

from tests.auth.conftest import issuer, jwt_app, jwt_client, jwt_settings

__all__ = ["issuer", "jwt_app", "jwt_client", "jwt_settings"]
