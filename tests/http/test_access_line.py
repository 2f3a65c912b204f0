"""One log line per hook call: the access line carries what evaluation found (rules, unverified keys)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from plugin import create_app
from plugin.clinical.evaluate import evaluate
from plugin.clinical.hook_request import parse_hook_request
from plugin.clinical.policy import Policy
from plugin.clinical.terminology import default_terminology
from plugin.settings import load_settings
from tests.builders import hook_request, naltrexone_draft

SIGN = "/cds-services/naltrexone-order-sign"


def test_access_line_carries_the_outcome(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = create_app({"auth": "none", "state_dir": str(tmp_path), "log_json": True})
    answer = app.test_client().post(SIGN, json=hook_request([naltrexone_draft()]))
    rules = [c["source"]["topic"]["code"] for c in answer.get_json()["cards"]]
    assert rules
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    access = [x for x in lines if x["logger"] == "naltrexone_cds.access"]
    assert len(access) == 1 and access[0]["status"] == 200
    assert access[0]["rules"] == rules and access[0]["unverified"] == []
    assert access[0]["service_id"] == "naltrexone-order-sign"
    assert access[0]["message"] == "POST /cds-services/<service_id> 200"
    assert access[0]["request_id"] == answer.headers["X-Request-Id"] != "-"
    assert isinstance(access[0]["duration_ms"], float) and access[0]["duration_ms"] >= 0
    assert set(access[0]) == {"ts", "level", "logger", "request_id", "message", "rules", "unverified"} | {
        "service_id",
        "status",
        "duration_ms",
    }
    assert not [x for x in lines if x["logger"] == "naltrexone_cds.evaluate"]


def test_evaluation_returns_its_outcome_without_a_request(caplog: pytest.LogCaptureFixture) -> None:
    """The pipeline is pure of Flask: it hands the cards and the unverified keys back to the edge."""
    caplog.set_level(logging.DEBUG)
    request = parse_hook_request("naltrexone-order-sign", "order-sign", hook_request([naltrexone_draft()]))
    outcome = evaluate(request, load_settings({"auth": "none"}, environ={}), Policy(), default_terminology())
    assert outcome.rules == [c["source"]["topic"]["code"] for c in outcome.cards] == ["R10", "CLEAN"]
    assert outcome.unverified == ()
    assert outcome.response() == {"cards": outcome.cards}
    assert not [r for r in caplog.records if r.name.startswith("naltrexone_cds")], (
        "the edge logs, not the pipeline"
    )


def test_text_access_line_names_route_status_and_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app({"auth": "none", "state_dir": str(tmp_path)})
    answer = app.test_client().post(SIGN, json=hook_request([naltrexone_draft()]))
    lines = [x for x in capsys.readouterr().err.splitlines() if " naltrexone_cds.access " in x]
    assert len(lines) == 1
    line = lines[0]
    assert (
        f" INFO naltrexone_cds.access [{answer.headers['X-Request-Id']}] POST /cds-services/<service_id> 200 "
        in line
    )
    assert "service_id='naltrexone-order-sign'" in line and "status=200" in line and "duration_ms=" in line
    assert "rules=['R10', 'CLEAN']" in line and "unverified=[]" in line
