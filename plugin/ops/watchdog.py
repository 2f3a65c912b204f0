"""A hung-request watchdog in each worker: a call stuck in Python cannot hold a worker for ever.

gunicorn ended a worker whose request outran its ``timeout``; granian bounds no request (its
``workers_lifetime`` restarts every worker on a clock, hung or not; ``workers_kill_timeout`` only
bounds a stop).  A hook call is bounded by design - FHIR by its deadline, input by the size and
depth limits - so one still running after ``NALTREXONE_CDS_WORKER_TIMEOUT`` seconds is stuck (a
bug, a pathological loop).  A Python thread cannot be stopped from outside, so the worker ends:

* The app registers each request while it runs it (``watch``).
* One thread per worker looks every ``tick_s``: when a request has run longer than the timeout it
  logs an error with the stuck thread's stack (files, lines, functions: no values) and ends the
  worker with ``os._exit``; granian starts a fresh one (``respawn_failed_workers``).  The worker's
  other calls in flight are lost (nginx answers them 502), as under gunicorn's timeout.
* A call stuck in C code that holds the GIL (a catastrophic regular expression) stops every Python
  thread, this one too.  So each look also re-arms ``faulthandler.dump_traceback_later``: a C
  thread that writes every thread's stack to stderr and ends the worker when no look came for
  timeout + tick seconds.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from plugin.settings import FORMS, Settings, SettingsError, env_name

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("naltrexone_cds.watchdog")

EXIT_HUNG = 70  # EX_SOFTWARE: granian logs the unexpected exit and respawns the worker
MAX_TICK_S = 1.0
CLOSE_WRITERS_S = 2.0


class Watchdog:
    """Requests in flight in this worker, and the thread that ends the worker when one hangs."""

    def __init__(self, timeout_s: float, exit_worker: Callable[[int], Any] = os._exit) -> None:
        self.timeout_s = timeout_s
        self.tick_s = min(MAX_TICK_S, timeout_s / 4)
        self._exit = exit_worker
        self._running: dict[int, tuple[float, str]] = {}  # thread id -> (started, method)
        self._lock = threading.Lock()

    def watch(self, app: WSGIApplication) -> WSGIApplication:
        """``app`` with each request registered while it runs."""

        def watched(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            thread = threading.get_ident()
            with self._lock:
                self._running[thread] = (time.monotonic(), str(environ.get("REQUEST_METHOD", "")))
            try:
                return app(environ, start_response)
            finally:
                with self._lock:
                    self._running.pop(thread, None)

        return watched

    def start(self) -> None:
        threading.Thread(target=self._run, name="hung-request-watchdog", daemon=True).start()

    def overdue(self, now: float) -> tuple[int, float, str] | None:
        """The longest-running request past the timeout: (thread id, seconds, method); else None."""
        with self._lock:
            running = list(self._running.items())
        late = [(thread, now - started, method) for thread, (started, method) in running]
        late = [entry for entry in late if entry[1] > self.timeout_s]
        return max(late, key=lambda entry: entry[1]) if late else None

    def _run(self) -> None:
        while True:
            # the backstop: if this thread cannot run again in time, the GIL is held by a stuck call
            faulthandler.dump_traceback_later(self.timeout_s + self.tick_s, exit=True)
            found = self.overdue(time.monotonic())
            if found is not None:
                self._end_worker(*found)
                return
            time.sleep(self.tick_s)

    def _end_worker(self, thread: int, seconds: float, method: str) -> None:
        frame = sys._current_frames().get(thread)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else "(stack not found)\n"
        log.error(
            "worker %d: a %s request has run %.0f s (NALTREXONE_CDS_WORKER_TIMEOUT %g s); "
            "ending the worker so that a fresh one takes its place. Stack of the stuck request:\n%s",
            os.getpid(),
            method,
            seconds,
            self.timeout_s,
            stack.rstrip("\n"),
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        from plugin.storage.writer import close_writers

        close_writers(CLOSE_WRITERS_S)  # what finished calls queued for the card log (os._exit skips it)
        self._exit(EXIT_HUNG)


def check(settings: Settings) -> None:
    """``serve`` refuses a watchdog that would end calls still waiting, as they may, for FHIR."""
    if 0 < settings.worker_timeout <= settings.fhir_timeout:
        name = env_name("worker_timeout")
        raise SettingsError(f"{name}={settings.worker_timeout:g}: expected {FORMS['worker_timeout']}")


def install(app: Any, timeout_s: float) -> None:
    """In a serving worker: watch ``app``'s requests (a Flask app) and start the watchdog thread."""
    if timeout_s <= 0:
        return
    dog = Watchdog(timeout_s)
    app.wsgi_app = dog.watch(app.wsgi_app)
    dog.start()
