"""Attack regression, logs: no token or patient id reaches any log of the process, the server's included.

Played against the real server (``naltrexone-cds serve``, a subprocess) and its real stderr: a
malformed header line ``Bearer <jwt>`` is answered by the HTTP server itself, before our app sees the
request, and a ``hookInstance`` chosen by the caller must not become the request id unless it is a
UUID (a patient id there reached the access log).
"""

from __future__ import annotations

import io
import json
import logging
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from plugin import create_app
from tests.auth.issuer import Issuer
from tests.security.attack_support import SCENARIO, SIGN
from tests.support.live_server import live_server

PATIENT_ID = "pt-7781204-secret"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("served")
    log_path = directory / "stderr.log"
    env = {"NALTREXONE_CDS_STATE_DIR": str(directory / "state"), "NALTREXONE_CDS_LOG_JSON": "true"}
    with live_server(env, dev=True, stderr_path=log_path) as base:
        yield base, log_path


def _log_after(log_path: Path, marker_count: int) -> str:
    time.sleep(0.3)  # the worker writes its lines right after answering
    return log_path.read_text()[marker_count:]


def test_malformed_bearer_header_line_is_not_logged(served: tuple[str, Path], tmp_path: Path) -> None:
    base, log_path = served
    token = Issuer(tmp_path).token(SIGN)
    before = len(log_path.read_text())
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(
            f"POST {SIGN} HTTP/1.1\r\nHost: cds\r\nBearer {token}\r\nContent-Length: 2\r\n\r\n{{}}".encode()
        )
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400") and b'"error": "bad_request"' in answer
    logged = _log_after(log_path, before)
    for part in [token, *token.split(".")]:
        assert part not in logged  # the proxy rejected the line; nothing logged it with the token


def test_hook_instance_becomes_the_request_id_only_when_it_is_a_uuid(served: tuple[str, Path]) -> None:
    base, log_path = served
    body = {**SCENARIO["request"], "hookInstance": PATIENT_ID}
    body["context"] = {**body["context"], "patientId": PATIENT_ID}
    before = len(log_path.read_text())
    answer = requests.post(base + SIGN, json=body, timeout=10)
    good = str(uuid.uuid4())
    answer_good = requests.post(base + SIGN, json={**SCENARIO["request"], "hookInstance": good}, timeout=10)
    logged = _log_after(log_path, before)
    assert answer.status_code == 200 and answer_good.status_code == 200
    assert answer.headers["X-Request-Id"] != PATIENT_ID
    uuid.UUID(answer.headers["X-Request-Id"])  # a generated one
    assert PATIENT_ID not in logged
    access = [json.loads(line) for line in logged.splitlines() if '"naltrexone_cds.access"' in line]
    assert [r["request_id"] for r in access if r.get("status") == 200][-1] == good


def test_loggers_and_handlers_that_are_not_ours_are_scrubbed(tmp_path: Path) -> None:
    create_app({"auth": "none", "state_dir": str(tmp_path)})
    token = Issuer(tmp_path).token(SIGN)
    stream = io.StringIO()
    foreign = logging.getLogger("some.http.server.error")  # made after start-up, its own handler
    handler = logging.StreamHandler(stream)
    foreign.addHandler(handler)
    foreign.propagate = False
    try:
        foreign.warning("Invalid HTTP Header: %r", f"Bearer {token}")
        try:
            raise ValueError(f"header Authorization: Bearer {token}")
        except ValueError:
            foreign.exception("failed")
    finally:
        foreign.removeHandler(handler)
    text = stream.getvalue()
    assert "Invalid HTTP Header" in text and "ValueError" in text
    for part in token.split("."):
        assert part not in text
