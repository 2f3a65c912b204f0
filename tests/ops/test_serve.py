"""``serve`` as a client meets it: nginx in front of granian (slow clients, timeouts, limits, shutdown).

The server runs with ``--dev``: one worker with ONE Python thread, so a single connection that could
hold a thread would stall every call - the strictest case for the buffering proxy.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests

from bench.servers import descendants
from tests.security.attack_support import SCENARIO, SIGN, healthy_record, hook_body
from tests.support.live_server import free_port, live_server
from tests.support.loopback import loopback_server

CLIENT_TIMEOUT_S = 2.0
HEAD = f"POST {SIGN} HTTP/1.1\r\nHost: cds\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "NALTREXONE_CDS_STATE_DIR": str(tmp_path / "state"),
        "NALTREXONE_CDS_NOW": SCENARIO["now"],
        "NALTREXONE_CDS_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT_S),
        **extra,
    }


class Trickler:
    """``count`` connections that send ``prefix`` at once, then ``trickle`` a byte every ``interval_s``."""

    def __init__(self, port: int, count: int, prefix: bytes, trickle: bytes, interval_s: float) -> None:
        self.conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
        for conn in self.conns:
            if prefix:
                conn.sendall(prefix)
        self.left = [trickle] * count
        self.interval_s = interval_s
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.interval_s):
            for i, conn in enumerate(self.conns):
                if self.left[i]:
                    try:
                        conn.sendall(self.left[i][:1])
                    except OSError:
                        self.left[i] = b""
                        continue
                    self.left[i] = self.left[i][1:]

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for conn in self.conns:
            conn.close()


def _closed_by_server(conn: socket.socket, within_s: float) -> bytes | None:
    """What the server sent before closing ``conn`` (``None``: still open after ``within_s``)."""
    conn.settimeout(within_s)
    received = b""
    try:
        while chunk := conn.recv(4096):
            received += chunk
    except TimeoutError:
        return None
    except OSError:
        pass
    return received


def _valid_call(base: str) -> requests.Response:
    return requests.post(base + SIGN, json=SCENARIO["request"], timeout=1.0)


def test_slow_clients_cannot_stall_the_service_and_are_cut_off(tmp_path: Path) -> None:
    with live_server(_env(tmp_path)) as base:
        port = int(base.rsplit(":", 1)[1])
        assert _valid_call(base).status_code == 200
        with ExitStack() as stack:
            slow_headers = Trickler(port, 32, b"", HEAD.encode(), 0.25)
            slow_bodies = Trickler(port, 32, HEAD.encode(), b"[" * 4096, 0.25)  # whole headers, slow body
            stack.callback(slow_headers.close)
            stack.callback(slow_bodies.close)
            time.sleep(0.5)
            for _ in range(3):  # 64 slow connections held open against a single Python thread
                started = time.monotonic()
                answer = _valid_call(base)
                assert answer.status_code == 200 and answer.json()["cards"]
                assert time.monotonic() - started < 1.0
            # Headers must arrive in full within the client timeout: each trickler is answered 408.
            for conn in slow_headers.conns:
                closing = _closed_by_server(conn, CLIENT_TIMEOUT_S + 3)
                assert closing is not None and (closing == b"" or closing.startswith(b"HTTP/1.1 408"))
        # A body that stops for longer than the timeout, and an idle connection, are closed too.
        with (
            socket.create_connection(("127.0.0.1", port)) as stalled,
            socket.create_connection(("127.0.0.1", port)) as idle,
        ):
            stalled.sendall(HEAD.encode() + b"[")
            assert _closed_by_server(stalled, CLIENT_TIMEOUT_S + 3) is not None
            assert _closed_by_server(idle, CLIENT_TIMEOUT_S + 3) is not None
        assert _valid_call(base).status_code == 200


def test_errors_of_the_proxy_are_json(tmp_path: Path) -> None:
    with live_server(_env(tmp_path, NALTREXONE_CDS_MAX_BODY_BYTES="2048")) as base:
        answer = requests.post(base + SIGN, json={"pad": "x" * 4096}, timeout=5)
        assert answer.status_code == 413
        assert answer.json()["error"] == "payload_too_large"
        assert answer.headers["Server"] == "nginx"  # no version


def test_a_call_in_flight_is_answered_after_sigterm(tmp_path: Path) -> None:
    """nginx stops listening, then the worker finishes the call that is waiting on a slow FHIR server."""
    with loopback_server(_stalling(healthy_record(), 1.0)) as fhir, _serve(tmp_path) as (base, server):
        outcome: list[requests.Response] = []
        body = hook_body(fhir.base_url)
        post = lambda: outcome.append(requests.post(base + SIGN, json=body, timeout=15))  # noqa: E731
        call = threading.Thread(target=post)
        call.start()
        time.sleep(0.4)  # the worker is waiting on the FHIR server now
        server.send_signal(signal.SIGTERM)
        call.join(15)
        assert server.wait(25) == 0
        assert outcome and outcome[0].status_code == 200
        assert [c["source"]["topic"]["code"] for c in outcome[0].json()["cards"]] == ["R1"]
        with pytest.raises(requests.ConnectionError):
            requests.get(base + "/healthz", timeout=2)


def test_without_the_proxy_granian_answers_itself(tmp_path: Path) -> None:
    with live_server(_env(tmp_path, NALTREXONE_CDS_PROXY="none")) as base:
        answer = _valid_call(base)
        assert answer.status_code == 200 and answer.json()["cards"]
        assert "nginx" not in answer.headers.get("Server", "")


def _stalling(respond: object, stall_s: float) -> object:
    from tests.support.loopback import Reply

    def delayed(index: int, path: str) -> Reply:
        reply: Reply = respond(index, path)  # type: ignore[operator]
        return Reply(reply.status, reply.body, reply.content_type, reply.headers, stall_s)

    return delayed


@contextmanager
def _serve(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    code = "from plugin.ops.cli import main; main()"
    command = [sys.executable, "-c", code, "serve", "--dev", "--port", str(port)]
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(command, env={**os.environ, **_env(tmp_path)}, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise AssertionError((tmp_path / "serve.log").read_text()[-2000:])
            time.sleep(0.1)
        yield base, server
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
        tail = json.dumps((tmp_path / "serve.log").read_text()[-1500:])
        print(tail)


def test_nginx_error_lines_are_relayed_through_our_scrubbed_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """nginx quotes the request line in its errors (a token in a query string, say): masked in ours."""
    from plugin.ops.log import configure
    from plugin.ops.proxy import Proxy
    from plugin.settings import load_settings

    configure(load_settings({"auth": "none"}, environ={}))
    token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ"
    line = f'[error] 7#7: *1 connect() failed, request: "GET /cds-services?access_token={token} HTTP/1.1"'
    proxy = Proxy("nginx", "", tmp_path)
    stopped: list[bool] = []
    writes = ["sh", "-c", 'printf "%s\\n" "$0" >&2', line]  # a process writing one nginx error line
    with subprocess.Popen(writes, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as relayed:
        proxy._relay(relayed, on_failure=lambda: stopped.append(True))
    logged = capsys.readouterr().err
    assert "naltrexone_cds.proxy" in logged and "connect() failed" in logged
    assert token not in logged and "eyJ" not in logged
    assert stopped == [True]  # nginx exiting on its own stops the service


def test_killing_serve_outright_leaves_nothing_behind(tmp_path: Path) -> None:
    """kill -9 of the process a supervisor started: granian, its workers and nginx go too; port free."""
    with _serve(tmp_path) as (base, server):
        below = descendants(server.pid)
        assert len(below) >= 4  # granian's master, its worker, nginx and nginx's worker
        server.kill()
        server.wait(10)
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{pid}").exists() for pid in below) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in below if Path(f"/proc/{pid}").exists()]
        assert not left, [Path(f"/proc/{p}/cmdline").read_bytes() for p in left]
        with pytest.raises(requests.ConnectionError):
            requests.get(base + "/healthz", timeout=2)
