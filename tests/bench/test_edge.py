"""``bench.edge``: the service's edge with the clinical decision made once - the benchmark's edge column."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.edge import decide_once
from plugin import create_app
from plugin.http import api
from plugin.http.services import SERVICES
from tests.paths import REPO_ROOT, SCENARIOS

OPIOID = SCENARIOS / "r1-active-oxycodone.json"
CLEAN = SCENARIOS / "clean-oral-daily-aud.json"


def _request(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data["request"]


def _rules(client: Any, request: dict[str, Any]) -> list[str]:
    service = next(s.id for s in SERVICES.values() if s.hook == request["hook"])
    response = client.post(f"/cds-services/{service}", json=request)
    assert response.status_code == 200, response.get_json()
    return [card["source"]["topic"]["code"] for card in response.get_json()["cards"]]


def test_every_call_gets_the_first_calls_outcome(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opioid, clean = _request(OPIOID), _request(CLEAN)
    client = create_app({"auth": "none", "now": "2026-11-20", "state_dir": str(tmp_path)}).test_client()
    decided = [_rules(client, opioid), _rules(client, clean)]
    assert "R1" in decided[0] and "R1" not in decided[1]  # the real service tells them apart

    monkeypatch.setattr(api, "evaluate", decide_once(api.evaluate))
    assert _rules(client, clean) == decided[1]  # the first call decides ...
    assert _rules(client, opioid) == decided[1]  # ... and every later call gets that decision


def test_the_serve_master_does_not_load_the_metrics_library() -> None:
    # prometheus_client picks its storage when imported; in the master, before serve has prepared the
    # metrics directory, it would write counter files into the working directory.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, bench.edge; print('prometheus_client' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    assert loaded.stdout.strip() == "False"
