"""Durability: the real server, concurrent feedback, kill -9 mid-stream, restart.

Every item acknowledged with a 200 must be in the database exactly once after the crash; re-sending
everything afterwards (what an EHR retrying would do) must still leave one row per item.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select

from plugin.storage.models import feedback
from tests.paths import REPO_ROOT

N_ITEMS = 400
KILL_AFTER_ACKS = N_ITEMS // 3
CLIENT_THREADS = 16


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``naltrexone-cds serve --dev`` (nginx + granian) in its own process group: kill -9 takes all."""

    def __init__(self, state_dir: Path, log_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state_dir = state_dir
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NALTREXONE_CDS_")}
        env.update(
            NALTREXONE_CDS_STATE_DIR=str(self.state_dir),
            NALTREXONE_CDS_THREADS="8",
            PYTHONPATH=str(REPO_ROOT),
        )
        script = Path(sys.executable).with_name("naltrexone-cds")
        command = (
            [str(script)]
            if script.exists()
            else [sys.executable, "-c", "from plugin.ops.cli import main; main()"]
        )
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*command, "serve", "--dev", "--port", str(self.port)],
                env=env,
                cwd=self.state_dir.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()[-2000:]
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:  # refused, or slow to answer on a loaded machine
                time.sleep(0.05)
        raise AssertionError("server did not start:\n" + self.log_path.read_text()[-2000:])

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=20)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "state", tmp_path / "server.log")
    yield srv
    srv.kill(signal.SIGTERM)


def _item(i: int) -> dict[str, object]:
    return {
        "card": f"00000000-0000-4000-8000-{i:012d}",
        "outcome": "overridden",
        "overrideReason": {"reason": {"system": "urn:test", "code": f"reason-{i % 3}"}},
        "outcomeTimestamp": "2026-03-01T10:00:00Z",
    }


def _post_all(url: str, indexes: list[int], on_ack: threading.Event | None = None) -> set[int]:
    acked: set[int] = set()
    lock = threading.Lock()

    def post(i: int) -> None:
        try:
            response = requests.post(url, json={"feedback": [_item(i)]}, timeout=10)
        except requests.RequestException:
            return  # connection reset or refused by the killed server: not acknowledged
        if response.status_code == 200:
            with lock:
                acked.add(i)
                if on_ack is not None and len(acked) >= KILL_AFTER_ACKS:
                    on_ack.set()

    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(post, indexes))
    return acked


def test_acknowledged_feedback_survives_kill_9(server: Server, tmp_path: Path) -> None:
    server.start()
    url = server.url + "/cds-services/naltrexone-order-sign/feedback"
    enough = threading.Event()
    killer = threading.Thread(target=lambda: enough.wait(60) and server.kill(signal.SIGKILL))
    killer.start()
    acked = _post_all(url, list(range(N_ITEMS)), on_ack=enough)
    killer.join()
    assert KILL_AFTER_ACKS <= len(acked) < N_ITEMS, "the kill did not land mid-stream"

    server.start()  # restart on the same state directory (recovers the WAL)
    engine = create_engine(f"sqlite:///{server.state_dir}/naltrexone-cds.sqlite3")
    with engine.connect() as conn:
        stored = list(conn.execute(select(feedback.c.card_uuid)).scalars())
    stored_indexes = {int(card[-12:]) for card in stored}
    assert acked <= stored_indexes, f"lost acknowledged items: {sorted(acked - stored_indexes)[:10]}"
    assert len(stored) == len(set(stored)), "an item was stored twice"

    assert _post_all(url, list(range(N_ITEMS))) == set(range(N_ITEMS))  # the EHR retries everything
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(feedback)).scalar_one()
        distinct = conn.execute(select(func.count(feedback.c.card_uuid.distinct()))).scalar_one()
    engine.dispose()
    assert total == distinct == N_ITEMS
    print(f"\ndurability: posted {N_ITEMS}, acknowledged before kill {len(acked)}, found {len(stored)}")
