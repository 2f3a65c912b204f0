"""EHR authentication: every call under ``/cds-services`` carries a JWT signed by a trusted EHR.

``init_app`` checks the configuration at start-up (a service that cannot verify tokens must not start)
and registers one ``before_request`` hook.  With ``AUTH=none`` (development) nothing is checked.
Health and metrics endpoints sit outside ``/cds-services`` and are not EHR-facing, so they are not
guarded here.  Preflight (OPTIONS) requests carry no token by design (browsers never send one) and are
answered by ``plugin.http.security``.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, has_request_context, request

from plugin.auth.jwks import JwksCache, JwksError, check_jwks_url
from plugin.auth.replay import DatabaseReplayStore, RedisReplayStore, ReplayStore, ReplayStoreUnavailable
from plugin.auth.verify import TokenRefused, TokenVerifier
from plugin.errors import ServiceUnavailable, Unauthorized
from plugin.settings import ENV_PREFIX, FORMS, Settings, SettingsError

__all__ = ["caller_issuer", "check_settings", "init_app", "make_replay_store", "TokenVerifier"]

log = logging.getLogger("naltrexone_cds.auth")
EXTENSION = "naltrexone_cds.auth"
PROTECTED_PREFIX = "/cds-services"
DISCOVERY_PATH = "/cds-services"


def caller_issuer() -> str:
    """``iss`` of the verified token of the current request; "" without one (AUTH=none, no request)."""
    return str(g.get("cds_issuer", "")) if has_request_context() else ""


def check_settings(settings: Settings) -> None:
    """Refuse (one line, ``SettingsError``) JWT settings with which no EHR call could be verified."""
    if not settings.public_url:
        raise SettingsError(
            f"{ENV_PREFIX}PUBLIC_URL='': expected {FORMS['public_url']} (required with AUTH=jwt: a token's "
            "aud is this URL)"
        )
    if not settings.trusted_issuers:
        raise SettingsError(
            f"{ENV_PREFIX}TRUSTED_ISSUERS='': expected {FORMS['trusted_issuers']} (required with AUTH=jwt: "
            "without an issuer every EHR call is refused)"
        )
    urls = list(settings.trusted_issuers.values())
    for extra in settings.jku_allowlist.values():
        urls.extend([extra] if isinstance(extra, str) else list(extra or []))
    for url in urls:
        try:
            check_jwks_url(str(url))
        except JwksError as exc:
            raise SettingsError(f"{ENV_PREFIX}TRUSTED_ISSUERS / JKU_ALLOWLIST: {exc}") from None
    unknown = set(settings.jku_allowlist) - set(settings.trusted_issuers)
    if unknown:
        raise SettingsError(
            f"{ENV_PREFIX}JKU_ALLOWLIST names issuers not in TRUSTED_ISSUERS: {sorted(unknown)}"
        )


def make_replay_store(settings: Settings) -> ReplayStore:
    """Redis when ``REDIS_URL`` is set, else the service database (migrated when AUTO_MIGRATE)."""
    if settings.redis_url:
        return RedisReplayStore.from_url(settings.redis_url)
    from plugin.storage import get_engine, upgrade

    if settings.auto_migrate:
        upgrade(settings)
    return DatabaseReplayStore(get_engine(settings))


def init_app(app: Flask) -> None:
    """Check the JWT settings and guard ``/cds-services`` (no-op when AUTH=none)."""
    settings: Settings = app.config["SETTINGS"]
    if settings.dev_mode:
        return
    check_settings(settings)
    app.extensions[EXTENSION] = TokenVerifier(
        settings.trusted_issuers,
        settings.jku_allowlist,
        JwksCache(ttl_s=settings.jwks_cache_seconds),
        make_replay_store(settings),
    )
    app.before_request(_require_token)


def _require_token() -> None:
    """Refuse the call unless it carries a valid, unused token addressed to this endpoint."""
    path = request.path
    if request.method == "OPTIONS" or not (
        path == PROTECTED_PREFIX or path.startswith(PROTECTED_PREFIX + "/")
    ):
        return
    settings: Settings = current_app.config["SETTINGS"]
    if settings.discovery_public and path == DISCOVERY_PATH:
        return
    verifier: TokenVerifier = current_app.extensions[EXTENSION]
    try:
        claims = verifier.verify(
            request.headers.get("Authorization"), audience=settings.public_url.rstrip("/") + path
        )
    except TokenRefused as exc:
        # The issuer is the caller's claim; truncated so a hostile value cannot flood the log.
        cause = f" ({exc.__cause__})" if isinstance(exc.__cause__, JwksError) else ""
        log.warning("JWT refused: %s%s", exc.reason, cause, extra={"iss": (exc.iss or "")[:200] or None})
        raise Unauthorized(exc.reason) from None
    except ReplayStoreUnavailable as exc:
        log.error("JWT replay cache unavailable: %s", exc)
        raise ServiceUnavailable("cannot check the token for replay; try again") from None
    g.cds_issuer = claims["iss"]  # whom cards are returned to, and whose feedback may describe them
