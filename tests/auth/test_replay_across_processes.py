"""A replayed token is refused by another process: two real servers share one SQLite file.

This is the case a per-process cache gets wrong (the next worker would accept the replay).
The same run checks what only a real server shows: the ``Server`` header carries no version, the
security headers are there, and the JSON-lines log holds neither the token nor the patient's ids.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.auth.issuer import PUBLIC_URL, Issuer, bearer
from tests.builders import PATIENT, hook_request, naltrexone_draft

SIGN = "/cds-services/naltrexone-order-sign"
START_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def servers(issuer: Issuer, tmp_path: Path) -> Iterator[tuple[list[str], list[Path]]]:
    env = {
        **os.environ,
        "NALTREXONE_CDS_AUTH": "jwt",
        "NALTREXONE_CDS_PUBLIC_URL": PUBLIC_URL,
        "NALTREXONE_CDS_TRUSTED_ISSUERS": json.dumps({issuer.iss: issuer.jwks_url}),
        "NALTREXONE_CDS_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "NALTREXONE_CDS_WORKERS": "1",
        "NALTREXONE_CDS_FHIR_ALLOWLIST": "https://fhir.example.org",
        "NALTREXONE_CDS_LOG_JSON": "true",
        "NALTREXONE_CDS_NOW": "2026-11-25",
    }
    procs, urls, logs = [], [], []
    for n in range(2):
        port = _free_port()
        log_path = tmp_path / f"server-{n}.log"
        cmd = [sys.executable, "-c", "from plugin.ops.cli import main; main()", "serve", "--port", str(port)]
        with open(log_path, "wb") as log_file:
            procs.append(subprocess.Popen(cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT))
        urls.append(f"http://127.0.0.1:{port}")
        logs.append(log_path)
    try:
        for url, proc, log_path in zip(urls, procs, logs, strict=True):
            _wait_ready(url, proc, log_path)
        yield urls, logs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {log_path.read_text()[-2000:]}")
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:  # refused, or accepted by the master while the worker boots
            time.sleep(0.1)
    pytest.fail(f"server did not start: {log_path.read_text()[-2000:]}")


def test_replay_on_another_process_is_refused(servers: tuple[list[str], list[Path]], issuer: Issuer) -> None:
    (first, second), logs = servers
    body = hook_request([naltrexone_draft()])
    body["fhirAuthorization"] = {"access_token": "fhir-secret-token-1234", "token_type": "Bearer"}
    body["fhirServer"] = "https://fhir.example.org"
    for a, b in ((first, second), (second, first)):
        token = issuer.token(SIGN)
        accepted = requests.post(a + SIGN, json=body, headers=bearer(token), timeout=10)
        assert accepted.status_code == 200, accepted.text
        replayed = requests.post(b + SIGN, json=body, headers=bearer(token), timeout=10)
        assert replayed.status_code == 401
        assert replayed.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
        assert "already used" in replayed.json()["message"]

    # Only the proxy's product name, no version; our hardening on every response.
    assert accepted.headers["Server"] == "nginx"
    assert replayed.headers["X-Content-Type-Options"] == "nosniff"
    assert replayed.headers["Cache-Control"] == "no-store"

    for path in logs:
        text = path.read_text()
        for secret in (token, *token.split("."), PATIENT, "dr-1", "fhir-secret-token-1234"):
            assert secret not in text
        ours = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        assert any(r["message"].startswith("JWT refused") for r in ours)
        access_ids = {r["request_id"] for r in ours if r["logger"] == "naltrexone_cds.access"}
        assert body["hookInstance"] in access_ids
