"""The background card-log writer: batches, flush, overflow, failures, close, and the app wired to it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, select

from plugin import create_app
from plugin.storage import writer as writer_module
from plugin.storage.db import dispose_engines, get_engine
from plugin.storage.models import card_log, feedback
from plugin.storage.store import get_store
from plugin.storage.writer import CardLogWriter, close_writers
from tests import builders as b
from tests.paths import REPO_ROOT
from tests.support.waiting import wait_until


class Sink:
    """A write function that records batches and can be held shut or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[Any]] = []
        self.open = threading.Event()
        self.open.set()
        self.fail_next = False

    def __call__(self, rows: list[Any]) -> None:
        self.open.wait(10)
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk on fire")
        self.batches.append(rows)

    @property
    def rows(self) -> list[Any]:
        return [row for batch in self.batches for row in batch]


def test_flush_waits_for_every_submitted_row_and_batches_them() -> None:
    sink = Sink()
    writer = CardLogWriter(sink, linger_s=0.05)
    for i in range(30):
        assert writer.submit([{"n": i}])
    assert writer.flush(5)
    assert [row["n"] for row in sink.rows] == list(range(30))
    assert len(sink.batches) < 30, "rows of calls close together share a transaction"
    writer.close()


def test_full_queue_drops_and_counts_without_blocking() -> None:
    sink = Sink()
    sink.open.clear()  # the database is stalled
    dropped: list[int] = []
    writer = CardLogWriter(sink, max_pending=4, max_batch=2, linger_s=0, on_drop=dropped.append)
    assert writer.submit([{"n": 0}, {"n": 1}])
    deadline = time.monotonic() + 5
    while not writer._thread or len(writer._pending) and time.monotonic() < deadline:
        time.sleep(0.001)  # the writer has taken the first batch and hangs in the stalled write
    accepted = [writer.submit([{"n": n}]) for n in range(2, 9)]
    assert accepted == [True] * 4 + [False] * 3
    assert dropped == [1, 1, 1] and writer.dropped == 3
    sink.open.set()
    assert writer.flush(5)
    assert sorted(row["n"] for row in sink.rows) == list(range(6))
    writer.close()


def test_a_busy_writer_is_not_woken_by_each_call() -> None:
    sink = Sink()
    sink.open.clear()
    writer = CardLogWriter(sink, linger_s=0)
    writer.submit([{"n": 0}])
    deadline = time.monotonic() + 5
    while writer._pending and time.monotonic() < deadline:
        time.sleep(0.001)  # the writer took the row and hangs in the write
    wakeups = []
    notify_all = writer._cond.notify_all
    writer._cond.notify_all = lambda: (wakeups.append(1), notify_all())  # type: ignore[method-assign]
    for n in range(1, 50):
        writer.submit([{"n": n}])
    assert wakeups == []
    sink.open.set()
    assert writer.flush(5)
    assert sorted(row["n"] for row in sink.rows) == list(range(50))
    writer.close()


def test_a_failed_batch_is_dropped_and_the_writer_goes_on() -> None:
    sink = Sink()
    sink.fail_next = True
    writer = CardLogWriter(sink, linger_s=0)
    writer.submit([{"n": 1}])
    assert writer.flush(5)
    writer.submit([{"n": 2}])
    assert writer.flush(5)
    assert sink.rows == [{"n": 2}]
    writer.close()


def test_close_writes_the_queue_and_later_rows_are_dropped() -> None:
    sink = Sink()
    writer = CardLogWriter(sink, linger_s=10)  # only close can cut the linger short
    writer.submit([{"n": 1}])
    started = time.monotonic()
    close_writers()
    assert sink.rows == [{"n": 1}] and time.monotonic() - started < 5
    assert writer._thread is not None and not writer._thread.is_alive()
    assert not writer.submit([{"n": 2}])


@pytest.fixture
def background_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    for name in ("NALTREXONE_CDS_DATABASE_URL", "NALTREXONE_CDS_STATE_DIR", "NALTREXONE_CDS_AUTO_MIGRATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(writer_module, "LINGER_S", 30.0)  # rows stay queued until someone flushes
    app = create_app({"state_dir": str(tmp_path / "state"), "auth": "none"})
    get_store(app).start_background_writer()
    yield app
    close_writers()
    dispose_engines()


def _hook_body() -> dict[str, Any]:
    return b.hook_request([b.naltrexone_draft()])


def test_feedback_right_after_the_hook_call_finds_the_card(background_app: Flask) -> None:
    client = background_app.test_client()
    answer = client.post("/cds-services/naltrexone-order-sign", json=_hook_body())
    assert answer.status_code == 200
    card = answer.get_json()["cards"][0]["uuid"]
    with get_engine(background_app.config["SETTINGS"]).connect() as conn:
        assert list(conn.execute(select(card_log.c.card_uuid))) == []  # still queued
    item = {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-03-01T10:00:00Z"}
    stored = client.post("/cds-services/naltrexone-order-sign/feedback", json={"feedback": [item]})
    assert stored.get_json() == {"stored": 1, "duplicates": 0}
    with get_engine(background_app.config["SETTINGS"]).connect() as conn:
        assert list(conn.execute(select(feedback.c.card_known)).scalars()) == [True]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_worker_writes_its_queue_on_sigterm(tmp_path: Path) -> None:
    """The real server: every card answered before a graceful stop is in the log afterwards.

    The writer lingers 30 s here, so the rows are certainly still queued when SIGTERM arrives.
    """
    port, state = _free_port(), tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NALTREXONE_CDS_")}
    env.update(NALTREXONE_CDS_STATE_DIR=str(state), PYTHONPATH=str(REPO_ROOT))
    code = "import plugin.storage.writer as w; w.LINGER_S = 30.0; from plugin.ops.cli import main; main()"
    command = [sys.executable, "-c", code, "serve", "--dev"]
    with open(tmp_path / "server.log", "wb") as out:
        server = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=out, stderr=out)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:  # refused, or slow to answer on a loaded machine
                time.sleep(0.05)
        answered = set()
        for _ in range(5):
            response = requests.post(
                url + "/cds-services/naltrexone-order-sign", json=_hook_body(), timeout=10
            )
            answered |= {c["uuid"] for c in response.json()["cards"]}
        stopping = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        assert time.monotonic() - stopping < 20, "the linger was not cut short by the exit flush"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert answered
    engine = create_engine(f"sqlite:///{state}/naltrexone-cds.sqlite3")
    with engine.connect() as conn:
        logged = set(conn.execute(select(card_log.c.card_uuid)).scalars())
    engine.dispose()
    assert logged == answered, (tmp_path / "server.log").read_text()[-2000:]


class HeldCall:
    """A WSGI app (passed through ``writer.watch``) whose call submits a row, then runs until released."""

    def __init__(self, writer: CardLogWriter) -> None:
        self.writer = writer
        self.release = threading.Event()
        self.running = threading.Event()
        self.app = writer.watch(self._app)
        self.thread = threading.Thread(target=self.app, args=({}, None), daemon=True)

    def _app(self, _environ: dict[str, Any], _start_response: Any) -> list[bytes]:
        self.writer.submit([{"n": 1}])
        self.running.set()
        self.release.wait(10)
        return [b""]

    def __enter__(self) -> HeldCall:
        self.thread.start()
        assert self.running.wait(5)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        self.thread.join(5)


def test_a_batch_waits_for_no_call_to_run_then_is_written_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_module, "QUIET_WAIT_S", 30.0)
    sink = Sink()
    writer = CardLogWriter(sink, linger_s=0)
    with HeldCall(writer):
        time.sleep(0.3)
        assert sink.batches == [], "written while a call ran, though the wait for quiet had 30 s left"
    assert wait_until(lambda: sink.rows == [{"n": 1}], 5)  # the call's end wakes the writer
    writer.close()


def test_a_worker_never_quiet_still_gets_its_batches_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_module, "QUIET_WAIT_S", 0.05)
    sink = Sink()
    writer = CardLogWriter(sink, linger_s=0)
    with HeldCall(writer) as call:
        assert wait_until(lambda: sink.rows == [{"n": 1}], 5)
        assert call.thread.is_alive(), "written only after the call ended"
    writer.close()


def test_flush_inside_a_call_does_not_wait_for_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """The feedback endpoint flushes the card log during its own call: that must not wait for itself."""
    monkeypatch.setattr(writer_module, "QUIET_WAIT_S", 30.0)
    sink = Sink()
    writer = CardLogWriter(sink, linger_s=0)
    with HeldCall(writer):
        started = time.monotonic()
        assert writer.flush(10)
        assert time.monotonic() - started < 5 and sink.rows == [{"n": 1}]
    writer.close()


def test_the_store_counts_an_apps_calls_only_for_its_background_writer(tmp_path: Path) -> None:
    app = create_app({"auth": "none", "state_dir": str(tmp_path)})
    store = get_store(app)
    inner = app.wsgi_app
    assert store.watch_calls(inner) is inner  # rows written in the call: nothing to schedule
    store.start_background_writer()
    writer = store._writer
    assert writer is not None
    seen: list[int] = []
    app.before_request(lambda: seen.append(len(writer._calls)))
    app.wsgi_app = store.watch_calls(app.wsgi_app)  # type: ignore[method-assign]
    assert app.test_client().get("/cds-services").status_code == 200
    assert seen == [1] and not writer._calls
    writer.close()
