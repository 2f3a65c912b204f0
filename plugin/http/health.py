"""Probes for load balancers and orchestrators: ``/healthz`` (liveness) and ``/readyz`` (readiness).

``/healthz`` answers 200 while the process can serve HTTP at all; it touches nothing else, so a
database outage never gets healthy instances restarted.  ``/readyz`` answers 200 only when this
instance can do its whole job: the database answers and is migrated (an ``alembic_version`` row), and
Redis answers when ``REDIS_URL`` is set.  Otherwise 503, naming the failing part by error type only
(messages can carry host names or SQL).  Neither needs a token; neither says anything about patients.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from plugin.http.api import bp, json_response
from plugin.settings import Settings
from plugin.storage.store import StorageUnavailable, get_store

log = logging.getLogger("naltrexone_cds.health")

REDIS_KEY = "naltrexone_cds.readiness_redis"
REDIS_TIMEOUT_S = 1.0


@bp.get("/healthz")
def healthz() -> Response:
    return json_response({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    checks = {"database": _check_database()}
    settings: Settings = current_app.config["SETTINGS"]
    if settings.redis_url:
        checks["redis"] = _check_redis(current_app.extensions[REDIS_KEY])
    ready = all(result == "ok" for result in checks.values())
    if not ready:
        log.warning("not ready: %s", ", ".join(f"{k}={v}" for k, v in checks.items() if v != "ok"))
    return json_response(
        {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503
    )


def _check_database() -> str:
    store = get_store(current_app)
    try:
        with store.engine().connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except StorageUnavailable as exc:
        return f"unavailable ({exc})"
    except SQLAlchemyError as exc:
        store.failed(exc)
        return f"unavailable ({type(exc).__name__})"
    return "ok" if revision else "not migrated"


def _check_redis(client: Any) -> str:
    try:
        client.ping()
    except Exception as exc:  # redis.RedisError and socket errors alike
        return f"unavailable ({type(exc).__name__})"
    return "ok"


def init_app(app: Flask) -> None:
    """A Redis client of its own for the readiness check (short timeouts: a probe must answer fast)."""
    settings: Settings = app.config["SETTINGS"]
    if settings.redis_url:
        try:
            import redis
        except ImportError:
            raise RuntimeError("REDIS_URL is set but the 'redis' package is not installed") from None
        app.extensions[REDIS_KEY] = redis.Redis.from_url(
            settings.redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
