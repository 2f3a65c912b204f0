"""GET /metrics: counters move with hook calls, in one process and merged across the workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from plugin import create_app
from plugin.ops.metrics import observe_feedback, observe_fhir_query
from tests.paths import SCENARIOS
from tests.support.fhir_server import free_port

CLEAN = SCENARIOS / "clean-order-select-no-dose.json"
SERVICE = "naltrexone-order-select"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def scenario() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CLEAN.read_text())
    return data


def test_hook_call_moves_latency_and_card_counters(tmp_path: Path) -> None:
    data = scenario()
    client = create_app({"auth": "none", "now": data["now"], "state_dir": str(tmp_path)}).test_client()
    before = client.get("/metrics")
    assert before.status_code == 200
    assert before.content_type.startswith("text/plain")

    assert client.post(f"/cds-services/{SERVICE}", json=data["request"]).status_code == 200

    after = client.get("/metrics").get_data(as_text=True)
    old = before.get_data(as_text=True)
    count = "cds_hook_request_duration_seconds_count"
    hook = {"hook": "order-select", "service": SERVICE, "status": "200"}
    assert value(after, count, **hook) == value(old, count, **hook) + 1
    cards = {"rule": "CLEAN", "indicator": "info"}
    assert value(after, "cds_cards_total", **cards) == value(old, "cds_cards_total", **cards) + 1


def test_fhir_and_feedback_observers(tmp_path: Path) -> None:
    client = create_app({"auth": "none", "state_dir": str(tmp_path)}).test_client()
    old = client.get("/metrics").get_data(as_text=True)
    observe_fhir_query("conditions", 200, 0.012)
    observe_fhir_query("conditions", 503, 0.030)
    observe_fhir_query("observations", "timeout", 2.0)
    observe_feedback("R2", "overridden")
    new = client.get("/metrics").get_data(as_text=True)

    def moved(name: str, **labels: str) -> float:
        return value(new, name, **labels) - value(old, name, **labels)

    assert moved("cds_fhir_query_duration_seconds_count", key="conditions", status="200") == 1
    assert moved("cds_fhir_query_errors_total", key="conditions", status="503") == 1
    assert moved("cds_fhir_query_errors_total", key="conditions", status="200") == 0
    assert moved("cds_fhir_query_errors_total", key="observations", status="timeout") == 1
    assert moved("cds_feedback_total", rule="R2", outcome="overridden") == 1


def _get(url: str, body: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        data: bytes = response.read()
        return data


@pytest.mark.timeout(60)
def test_metrics_merge_the_workers(tmp_path: Path) -> None:
    """Under `serve` with 2 workers, every scrape sees the calls served by both workers."""
    data = scenario()
    port = free_port()
    env = {
        **os.environ,
        "NALTREXONE_CDS_AUTH": "none",
        "NALTREXONE_CDS_NOW": data["now"],
        "NALTREXONE_CDS_STATE_DIR": str(tmp_path / "state"),
        "NALTREXONE_CDS_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    command = [sys.executable, "-c", "from plugin.ops.cli import main; main()", "serve", "--port", str(port)]
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"{base}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError((tmp_path / "serve.log").read_text()[-2000:]) from None
                time.sleep(0.1)
        body = json.dumps(data["request"]).encode()
        calls = 6
        for _ in range(calls):
            _get(f"{base}/cds-services/{SERVICE}", body)
        scrapes = [_get(f"{base}/metrics").decode() for _ in range(4)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    for text in scrapes:
        assert value(text, "cds_cards_total", rule="CLEAN", indicator="info") == calls
    log = (tmp_path / "serve.log").read_text()
    assert "Stopped worker-2" in log and "Killing" not in log  # SIGTERM: the workers stopped gracefully
