"""A per-process background writer for the card log: hook calls hand their rows over and never wait.

Why: writing the card log inside the hook call made every call pay for a transaction and, under
concurrency, queue on SQLite's write lock, whose busy handler backs off in coarse sleeps (measured
p50 5 ms at one connection, 40 ms at eight).  One writer thread per process now writes whatever has
accumulated in one transaction, so the lock is taken once per batch and never by a hook call.

Guarantees, and what they cost:

* ``submit`` never blocks.  At most ``max_pending`` rows wait; rows beyond that are dropped, counted
  (``cds_card_log_dropped``) and logged - statistics must never slow or fail a safety check.
* ``flush`` returns once every row submitted before it was called is written or given up on.  The
  feedback endpoint flushes before it looks up whether a card is known; interpreter exit (atexit) and
  a ``serve`` worker's exit (``plugin.ops.server``) flush too.
* A ``kill -9`` (or a crash of the worker) loses the rows still queued - the last ~100-120 ms
  (``LINGER_S`` + at most ``QUIET_WAIT_S``) of cards - where the synchronous log lost only cards of calls
  in flight.  Acceptable for statistics; feedback stays synchronous.
* Another worker process sees a card's row up to one batch (``linger_s``, at most ``QUIET_WAIT_S``, the
  write) after the hook response left.  Feedback follows a clinician's click, seconds later; a card
  reported faster than that to another worker is stored and flagged unknown, as any card missing from
  the log is.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("naltrexone_cds.storage")

Row = Mapping[str, Any]
MAX_PENDING_ROWS = 5_000  # ~5 s of cards at full load: a database stalled longer than that loses rows
MAX_BATCH_ROWS = 500
# Gather many calls' rows per transaction; bounds how stale another worker's view is.  A transaction
# costs about as much as ten rows (SQLite, plugin.storage.bulk: ~150-200 us + ~15-20 us a row, a row's
# index entries included), plus the writer's wake-ups.  At 20 ms a worker at one connection (~120
# calls/s) wrote a transaction every two or three calls (writer thread ~150-250 us CPU a call); at
# 100 ms every ten or more (~50-75 us).  Still well inside the 0.25 s that feedback waits for another
# worker's card (plugin.storage.store.CARD_WAIT_S).
LINGER_S = 0.1
# After the linger, a batch waits (at most this much longer) for a moment when no hook call of this
# process runs (``watch``): its Python work then takes the GIL from no call.  Served at one connection
# (20 ms linger, SQLAlchemy insert), calls that overlapped a batch waited on the GIL: in-worker blocked
# time (wall - CPU - run-queue delay) p99 0.35-0.6 ms, other threads' CPU during a call p99 0.8-1.15 ms;
# with the wait 0.09-0.18 and 0.34-0.57 ms.  A worker never idle (every thread busy) writes at the bound.
QUIET_WAIT_S = 0.02
FLUSH_TIMEOUT_S = 5.0
DROP_LOG_INTERVAL_S = 60.0

_writers: weakref.WeakSet[CardLogWriter] = weakref.WeakSet()


class CardLogWriter:
    """Queue + one daemon thread writing batches with ``write`` (which may raise; the batch is dropped)."""

    def __init__(
        self,
        write: Callable[[list[Row]], None],
        *,
        max_pending: int = MAX_PENDING_ROWS,
        max_batch: int = MAX_BATCH_ROWS,
        linger_s: float | None = None,
        on_drop: Callable[[int], None] | None = None,
    ) -> None:
        self._write = write
        self._max_pending = max_pending
        self._max_batch = max_batch
        self._linger_s = LINGER_S if linger_s is None else linger_s
        self._on_drop = on_drop
        self._reset()
        _writers.add(self)

    def _reset(self) -> None:
        """Fresh state: at start, and in a forked child (the parent's thread and rows stay the parent's)."""
        self._cond = threading.Condition()
        self._pending: deque[Row] = deque()
        self._submitted = 0  # rows accepted so far
        self._done = 0  # rows written or given up on
        self._dropped = 0
        self._last_drop_log = float("-inf")
        self._flushing = 0
        self._closing = False
        self._idle = False  # the writer waits for rows (not lingering, not writing)
        self._calls: set[int] = set()  # threads running a call now (an app passed through ``watch``)
        self._awaiting_quiet = False  # the writer waits for ``_calls`` to fall to 0
        self._thread: threading.Thread | None = None

    @property
    def dropped(self) -> int:
        return self._dropped

    def submit(self, rows: Sequence[Row]) -> bool:
        """Queue ``rows`` for writing; False (and counted) when the queue is full and they were dropped."""
        with self._cond:
            if self._closing or len(self._pending) + len(rows) > self._max_pending:
                self._drop(len(rows))
                return False
            self._pending.extend(rows)
            self._submitted += len(rows)
            if self._thread is None:
                self._start()
            elif self._idle or len(self._pending) >= self._max_batch:
                # Wake the writer only when it sleeps for want of rows or its batch is full.  A busy
                # writer finds these rows on its next round: each wake-up is a thread switch that
                # the hook call pays for while holding the GIL (py-spy: 8% of a worker's time).
                self._cond.notify_all()
        return True

    def watch(self, app: WSGIApplication) -> WSGIApplication:
        """``app`` whose calls are counted: the writer writes its batches between them when it can."""

        def counted(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            thread = threading.get_ident()  # one call at a time per thread; set.add/discard are atomic
            self._calls.add(thread)
            try:
                return app(environ, start_response)
            finally:
                self._calls.discard(thread)
                if self._awaiting_quiet and not self._calls:
                    with self._cond:
                        self._cond.notify_all()

        return counted

    def flush(self, timeout: float = FLUSH_TIMEOUT_S) -> bool:
        """Wait until every row submitted before this call is written (or given up); False on timeout."""
        with self._cond:
            target = self._submitted
            if self._done >= target:
                return True
            self._flushing += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: self._done >= target, timeout)
            finally:
                self._flushing -= 1

    def close(self, timeout: float = FLUSH_TIMEOUT_S) -> None:
        """Write what is queued and stop the thread; later rows are dropped (the process is ending)."""
        self.flush(timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _drop(self, count: int) -> None:
        self._dropped += count
        if self._on_drop is not None:
            self._on_drop(count)
        now = time.monotonic()
        if now - self._last_drop_log >= DROP_LOG_INTERVAL_S:
            self._last_drop_log = now
            log.warning("card log queue full or closed: %d row(s) dropped so far", self._dropped)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="card-log-writer", daemon=True)
        self._thread.start()

    def _next_batch(self) -> list[Row] | None:
        """The next rows to write, after lingering for more; None when closing with nothing left."""
        with self._cond:
            self._idle = not self._pending
            self._cond.wait_for(lambda: self._pending or self._closing)
            self._idle = False
            if not self._pending:
                return None
            self._cond.wait_for(
                lambda: self._flushing or self._closing or len(self._pending) >= self._max_batch,
                self._linger_s,
            )
            if self._calls:  # only an app passed through ``watch`` ever fills it
                self._awaiting_quiet = True
                self._cond.wait_for(lambda: self._flushing or self._closing or not self._calls, QUIET_WAIT_S)
                self._awaiting_quiet = False
            count = min(len(self._pending), self._max_batch)
            return [self._pending.popleft() for _ in range(count)]

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                self._write(batch)
            except Exception as exc:  # the thread must outlive any failure; the write logs its own
                log.info("card log batch of %d row(s) not written: %s", len(batch), type(exc).__name__)
            finally:
                with self._cond:
                    self._done += len(batch)
                    self._cond.notify_all()


def close_writers(timeout: float = FLUSH_TIMEOUT_S) -> None:
    """Flush and stop every writer of this process (interpreter exit, serve worker exit)."""
    for writer in list(_writers):
        writer.close(timeout)


def _after_fork_in_child() -> None:
    for writer in list(_writers):
        writer._reset()


atexit.register(close_writers)
os.register_at_fork(after_in_child=_after_fork_in_child)
