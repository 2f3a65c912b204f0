"""Replay cache for JWT ``jti``s, shared by every worker and instance of the service.

Why not a dict: `serve` runs several worker processes (and a site may run several hosts), so a
per-process set lets the same token through once per worker.  The default store is the service
database (table ``jti_seen``, primary key = the token's key, so the database itself decides who was
first: a unique violation is a replay).  With ``REDIS_URL`` set, Redis ``SET NX EX`` does the same and
expires entries by itself.  A store that cannot answer raises ReplayStoreUnavailable: the call is
refused rather than let a possible replay through.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

PURGE_EVERY_S = 60.0
REDIS_KEY_PREFIX = "naltrexone-cds:jti:"


class ReplayStoreUnavailable(Exception):
    """Raised when the store cannot say whether a token was seen (database or Redis down)."""


class ReplayStore(Protocol):
    def first_use(self, key: str, issuer: str, expires_at: datetime) -> bool:
        """Record ``key`` until ``expires_at``; False when it is already recorded (a replay)."""
        ...


class DatabaseReplayStore:
    """``jti_seen`` rows; expired ones are purged at most once a minute per process."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._clock = clock
        self._next_purge = 0.0
        self._purge_lock = threading.Lock()

    def first_use(self, key: str, issuer: str, expires_at: datetime) -> bool:
        from plugin.storage import jti_seen, transaction

        now = datetime.now(UTC)
        try:
            self._maybe_purge(now)
            try:
                with transaction(self._engine, durable=True) as conn:
                    conn.execute(insert(jti_seen).values(jti=key, issuer=issuer[:512], expires_at=expires_at))
                return True
            except IntegrityError:
                # Seen - unless the row outlived its token and was not purged yet: then the id is free.
                with transaction(self._engine, durable=True) as conn:
                    freed = conn.execute(
                        delete(jti_seen).where(jti_seen.c.jti == key, jti_seen.c.expires_at < now)
                    ).rowcount
                    if freed:
                        conn.execute(
                            insert(jti_seen).values(jti=key, issuer=issuer[:512], expires_at=expires_at)
                        )
                return bool(freed)
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            raise ReplayStoreUnavailable(f"replay cache database error: {type(exc).__name__}") from None

    def purge(self, now: datetime | None = None) -> int:
        """Delete rows whose token has expired; returns how many."""
        from plugin.storage import jti_seen, transaction

        with transaction(self._engine) as conn:
            result = conn.execute(delete(jti_seen).where(jti_seen.c.expires_at < (now or datetime.now(UTC))))
            return int(result.rowcount or 0)

    def _maybe_purge(self, now: datetime) -> None:
        with self._purge_lock:
            tick = self._clock()
            if tick < self._next_purge:
                return
            self._next_purge = tick + PURGE_EVERY_S
        self.purge(now)


class RedisReplayStore:
    """``SET key 1 NX EX ttl``: atomic, shared, and self-expiring."""

    def __init__(self, client: Any) -> None:
        self._client = client

    @classmethod
    def from_url(cls, url: str) -> RedisReplayStore:
        try:
            import redis
        except ImportError:
            raise RuntimeError("REDIS_URL is set but the 'redis' package is not installed") from None
        return cls(redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0))

    def first_use(self, key: str, issuer: str, expires_at: datetime) -> bool:
        ttl = max(1, math.ceil((expires_at - datetime.now(UTC)).total_seconds()))
        try:
            return bool(self._client.set(REDIS_KEY_PREFIX + key, issuer[:512], nx=True, ex=ttl))
        except Exception as exc:  # redis.RedisError and socket errors alike: fail closed
            raise ReplayStoreUnavailable(f"replay cache Redis error: {type(exc).__name__}") from None
