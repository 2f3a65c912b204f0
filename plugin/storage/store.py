"""Writes of the card log and of feedback, and the guard that keeps a down database off the hook path.

The card log is written in batches, one ``executemany`` per transaction.  In-process (tests, the CLI)
each hook call writes its own rows before it answers.  The server (``plugin.ops.server``) hands them to a
background writer instead (``plugin.storage.writer``: why, and what a ``kill -9`` then loses).  A power
cut may also lose the last few card-log commits (``synchronous=NORMAL``).  Both are acceptable for
statistics.  Feedback is acknowledged to the EHR, so it is committed with an fsync (``durable=True``)
before the 200 goes out, after the card log of this process has been flushed (it says which cards
we know).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask
from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from plugin.settings import Settings
from plugin.storage import db
from plugin.storage.bulk import PreparedInsert
from plugin.storage.models import card_log, feedback
from plugin.storage.writer import CardLogWriter

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

_T = TypeVar("_T")
log = logging.getLogger("naltrexone_cds.storage")

STORE_KEY = "naltrexone_cds.store"
# After a failure the hook path skips the card log this long rather than wait on a dead database.
RETRY_AFTER_S = 5.0
# Bind-parameter chunk for IN (...) lookups; far below SQLite's and PostgreSQL's limits.
LOOKUP_CHUNK = 500
# Feedback about a card not in the log yet waits this long for it: another instance's background
# writer commits a card within one batch (plugin.storage.writer: 100-120 ms linger plus the write).  Only
# outcomes from the last RECENT_OUTCOME_S wait: a card shown before an older outcome is logged by now
# (an EHR re-sending old feedback, or a backfill, never waits).
CARD_WAIT_S = 0.25
RECENT_OUTCOME_S = 10.0
FIRST_POLL_S = 0.002
CARD_LOG_INSERT = PreparedInsert(card_log, [c.name for c in card_log.c if c.name != "id"])


class StorageUnavailable(Exception):
    """Raised when the database cannot be reached or migrated; nothing was written."""


class CardNotYours(Exception):
    """Raised when feedback names a card logged for another issuer or service; nothing was written."""


@dataclass(frozen=True)
class FeedbackRow:
    """One validated feedback item, ready to store (no free text, no patient data)."""

    card_uuid: str
    outcome: str
    outcome_timestamp: datetime
    accepted_suggestions: tuple[str, ...]
    override_system: str | None
    override_code: str | None
    override_display: str | None
    has_user_comment: bool

    @property
    def natural_key(self) -> tuple[str, str, datetime]:
        return (self.card_uuid, self.outcome, self.outcome_timestamp)


@dataclass(frozen=True)
class FeedbackResult:
    """What one feedback call changed; the seam where per-rule/outcome counters will be incremented."""

    stored: tuple[tuple[FeedbackRow, str | None], ...]  # (row, rule id or None for an unknown card)
    duplicates: int  # items this issuer had already reported (others' reports are never counted)


class Store:
    """The app's handle on the database: migrates at start if asked, and remembers recent failures."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._migrated = not settings.auto_migrate
        self._down_until = 0.0
        self._writer: CardLogWriter | None = None

    def engine(self) -> Engine:
        """The engine, migrating first when auto-migrate is on and it has not succeeded yet."""
        if not self._migrated:
            with self._lock:
                if not self._migrated:
                    self._guard(lambda: db.upgrade(self.settings))
                    self._migrated = True
        return self._guard(lambda: db.get_engine(self.settings))

    def available(self) -> bool:
        """False for a short while after a failure, so the hook path does not wait on a dead database."""
        return time.monotonic() >= self._down_until

    def _guard(self, action: Callable[[], _T]) -> _T:
        try:
            return action()
        except (SQLAlchemyError, OSError) as exc:
            self.failed(exc)
            raise StorageUnavailable(type(exc).__name__) from exc

    def failed(self, exc: BaseException) -> None:
        """Note a failure: logged by type only (messages can carry SQL parameters)."""
        self._down_until = time.monotonic() + RETRY_AFTER_S
        log.warning("database unavailable: %s", type(exc).__name__)

    def start_background_writer(self, on_drop: Callable[[int], None] | None = None) -> None:
        """From now on ``log_cards`` queues rows for a background thread instead of writing them."""
        if self._writer is None:
            self._writer = CardLogWriter(self._write_batch, on_drop=on_drop)

    def watch_calls(self, app: WSGIApplication) -> WSGIApplication:
        """``app`` with its calls counted, so that the background writer writes between them."""
        return self._writer.watch(app) if self._writer is not None else app

    def log_cards(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Card-log rows: queued for the background writer if there is one, else written now (raises
        StorageUnavailable)."""
        if self._writer is not None:
            self._writer.submit(rows)
        else:
            self.record_cards(rows)

    def flush_card_log(self) -> None:
        """Make every card this process has logged so far visible (a no-op without background writer)."""
        if self._writer is not None:
            self._writer.flush()

    def _write_batch(self, rows: list[Mapping[str, Any]]) -> None:
        if not self.available():
            log.info("card log skipped for %d card(s): database recently unavailable", len(rows))
            return
        try:
            self.record_cards(rows)
        except StorageUnavailable:
            log.info("card log skipped for %d card(s)", len(rows))

    def record_cards(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append card-log rows in one transaction; raises StorageUnavailable."""
        engine = self.engine()
        try:
            with db.transaction(engine) as conn:
                CARD_LOG_INSERT.execute(conn, rows)
        except SQLAlchemyError as exc:
            self.failed(exc)
            raise StorageUnavailable(type(exc).__name__) from exc

    def store_feedback(
        self, service_id: str, issuer: str, rows: Sequence[FeedbackRow], now: datetime
    ) -> FeedbackResult:
        """Store feedback all-or-nothing in one durable transaction; natural-key repeats are skipped.

        Raises CardNotYours, storing nothing, when a card was logged for another issuer or service.
        A card not in the log yet may have been shown an instant ago by another instance, whose
        background writer has not committed it: for a recent outcome we wait up to ``CARD_WAIT_S`` for
        it before storing the feedback as about an unknown card.
        """
        first_of_key: dict[tuple[str, str, datetime], FeedbackRow] = {}
        for row in rows:
            first_of_key.setdefault(row.natural_key, row)
        unique = list(first_of_key.values())
        self.flush_card_log()  # "unknown card" must not mean "still in this process's queue"
        engine = self.engine()
        recent = now - timedelta(seconds=RECENT_OUTCOME_S)
        try:
            may_wait = any(row.outcome_timestamp >= recent for row in unique)
            rules, new = self._store(engine, service_id, issuer, unique, now, may_wait=may_wait)
            if new is None:  # a card of a recent outcome unknown: nothing written yet
                _wait_for_cards(engine, {row.card_uuid for row in unique} - set(rules), CARD_WAIT_S)
                rules, new = self._store(engine, service_id, issuer, unique, now, may_wait=False)
        except SQLAlchemyError as exc:
            self.failed(exc)
            raise StorageUnavailable(type(exc).__name__) from exc
        new = new or []
        return FeedbackResult(
            stored=tuple((row, rules.get(row.card_uuid)) for row in new),
            duplicates=len(rows) - len(new),
        )

    def _store(
        self,
        engine: Engine,
        service_id: str,
        issuer: str,
        unique: list[FeedbackRow],
        now: datetime,
        *,
        may_wait: bool,
    ) -> tuple[dict[str, str], list[FeedbackRow] | None]:
        """(rule per known card, rows inserted); with ``may_wait``, rows None - nothing written - when a
        card is unknown."""
        with db.transaction(engine, durable=True) as conn:
            rules, existing = _lookup(conn, sorted({row.card_uuid for row in unique}), service_id, issuer)
            if may_wait and any(row.card_uuid not in rules for row in unique):
                return rules, None
            new = [row for row in unique if row.natural_key not in existing]
            if new:
                values = [
                    _feedback_values(service_id, issuer, row, row.card_uuid in rules, now) for row in new
                ]
                conn.execute(_insert_ignoring_duplicates(engine), values)
        return rules, new


def set_store(app: Flask, store: Store) -> None:
    app.extensions[STORE_KEY] = store


def get_store(app: Flask) -> Store:
    """The app's Store (plugin.http.feedback.init_app attaches it)."""
    store: Store = app.extensions[STORE_KEY]
    return store


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


def _lookup(
    conn: Connection, uuids: Sequence[str], service_id: str, issuer: str
) -> tuple[dict[str, str], set[tuple[str, str, datetime]]]:
    """Rule id of each card uuid we logged, and the natural keys of this issuer's feedback for them.

    Raises CardNotYours when one of the cards was returned to another issuer or by another service.
    """
    rules: dict[str, str] = {}
    existing: set[tuple[str, str, datetime]] = set()
    for chunk in _chunks(uuids):
        query = select(
            card_log.c.card_uuid, card_log.c.rule_id, card_log.c.issuer, card_log.c.service_id
        ).where(card_log.c.card_uuid.in_(chunk))
        for card_uuid, rule_id, card_issuer, card_service in conn.execute(query):
            if card_issuer != issuer or card_service != service_id:
                raise CardNotYours()
            rules[card_uuid] = rule_id
        stored = select(feedback.c.card_uuid, feedback.c.outcome, feedback.c.outcome_timestamp).where(
            feedback.c.card_uuid.in_(chunk), feedback.c.issuer == issuer
        )
        existing.update((card_uuid, outcome, ts) for card_uuid, outcome, ts in conn.execute(stored))
    return rules, existing


def _wait_for_cards(engine: Engine, missing: set[str], budget_s: float) -> None:
    """Poll the card log (2, 4, 8 ... ms apart) until every uuid in ``missing`` is there or time is up."""
    deadline = time.monotonic() + budget_s
    delay = FIRST_POLL_S
    while missing:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        time.sleep(min(delay, remaining))
        delay *= 2
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # reads, no lock
            for chunk in _chunks(sorted(missing)):
                found = select(card_log.c.card_uuid).where(card_log.c.card_uuid.in_(chunk))
                missing.difference_update(conn.scalars(found))


def _insert_ignoring_duplicates(engine: Engine) -> Any:
    # A concurrent writer may commit the same natural key between our check and insert (PostgreSQL
    # READ COMMITTED); the unique constraint then decides and the later copy is dropped, not an error.
    if engine.dialect.name == "postgresql":
        return postgresql.insert(feedback).on_conflict_do_nothing(constraint="uq_feedback_natural_key")
    if engine.dialect.name == "sqlite":
        return sqlite.insert(feedback).on_conflict_do_nothing()
    return feedback.insert()


def _feedback_values(
    service_id: str, issuer: str, row: FeedbackRow, known: bool, now: datetime
) -> dict[str, Any]:
    return {
        "card_uuid": row.card_uuid,
        "service_id": service_id,
        "issuer": issuer,
        "outcome": row.outcome,
        "outcome_timestamp": row.outcome_timestamp,
        "accepted_suggestions": list(row.accepted_suggestions),
        "override_system": row.override_system,
        "override_code": row.override_code,
        "override_display": row.override_display,
        "has_user_comment": row.has_user_comment,
        "card_known": known,
        "received_at": now,
    }
