"""feedback-report on a database filled through the real endpoints: the figures, in every format."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from click.testing import CliRunner
from feedback_helpers import FEEDBACK_URL, OVERRIDE_SYSTEM, accepted, card, overridden, show
from flask import Flask
from flask.testing import FlaskClient

from plugin.ops.cli import main

DEFER = "Defer naltrexone 7 days"


@pytest.fixture
def filled(app: Flask, client: FlaskClient) -> dict[str, str]:
    """R2: 4 cards (2 accepted at last, 1 overridden, 1 unanswered); R10: 2 overridden; CLEAN: 1 shown."""
    r2 = [card("R2", suggestions=(DEFER, "Urine drug screen")) for _ in range(4)]
    r10 = [card("R10", indicator="warning") for _ in range(2)]
    clean = card("CLEAN", indicator="info")
    show(app, r2[:2])
    show(app, [*r2[2:], *r10, clean])
    defer = [c["suggestions"][0]["uuid"] for c in r2]
    items = [
        accepted(r2[0]["uuid"], defer[0], when="2026-03-01T09:00:00Z"),
        overridden(r2[1]["uuid"], "patient-declined", when="2026-02-01T09:00:00Z"),
        overridden(r2[2]["uuid"], "patient-declined", when="2026-03-01T09:00:00Z"),
        accepted(r2[2]["uuid"], defer[2], when="2026-03-02T09:00:00Z"),  # changed their mind: latest counts
        overridden(r10[0]["uuid"], when="2026-03-01T09:00:00Z"),
        {
            "card": r10[1]["uuid"],
            "outcome": "overridden",
            "overrideReason": {"code": "busy", "system": OVERRIDE_SYSTEM, "display": "<b>busy</b>"},
            "outcomeTimestamp": "2026-03-01 09:00:00 UTC",
        },
        overridden("card-we-never-sent", "patient-declined", when="2026-03-01T09:00:00Z"),
    ]
    response = client.post(FEEDBACK_URL, json={"feedback": items})
    assert response.status_code == 200
    return {"NALTREXONE_CDS_STATE_DIR": app.config["SETTINGS"].state_dir}


def _run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(main, ["feedback-report", *args], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_json_figures(filled: dict[str, str]) -> None:
    rules = {r["rule_id"]: r for r in json.loads(_run(filled, "--format", "json"))["rules"]}
    assert list(rules) == ["R2", "R10", "CLEAN"]  # the unknown card's override is in no rule
    r2 = rules["R2"]
    assert (r2["shown"], r2["accepted"], r2["overridden"]) == (4, 2, 1)  # last state
    assert (r2["accepted_events"], r2["overridden_events"]) == (2, 2)  # the changed mind counts too
    assert r2["override_rate"] == pytest.approx(1 / 3)
    assert r2["feedback_rate"] == pytest.approx(3 / 4)
    assert r2["override_reasons"] == [{"reason": "patient declined", "count": 2}]  # per event
    assert r2["accepted_suggestions"] == [{"suggestion": DEFER, "count": 2}]
    r10 = rules["R10"]
    assert (r10["shown"], r10["overridden"], r10["override_rate"]) == (2, 2, 1.0)
    assert sorted(r["reason"] for r in r10["override_reasons"]) == ["(no reason given)", "<b>busy</b>"]
    assert (rules["CLEAN"]["shown"], rules["CLEAN"]["override_rate"]) == (1, None)
    assert json.loads(_run(filled, "--format", "json"))["unknown_card_reports"] == 1
    assert "feedback for cards not in our log (in no rule's figures): 1" in _run(filled)


def test_since_drops_older_feedback(filled: dict[str, str]) -> None:
    rules = {
        r["rule_id"]: r
        for r in json.loads(_run(filled, "--since", "2026-02-15", "--format", "json"))["rules"]
    }
    assert (rules["R2"]["accepted"], rules["R2"]["overridden"]) == (2, 0)  # the February override is out
    assert json.loads(_run(filled, "--since", "2999-01-01", "--format", "json"))["rules"] == []


def test_table_and_csv(filled: dict[str, str]) -> None:
    table = _run(filled).splitlines()
    assert table[1].split()[:4] == ["rule", "shown", "accepted", "overridden"]
    r2_line = next(line for line in table if line.startswith("R2 "))
    assert r2_line.split()[:8] == ["R2", "4", "2", "1", "33.3%", "75.0%", "2", "2"]
    suggestions = table[table.index("per suggestion (every accepted report counts)") :]
    suggestion_line = next(line for line in suggestions if line.startswith("R2 "))
    assert suggestion_line.split()[-3:] == ["2", "2", "0"]  # 2 accepts, on 2 cards, none overridden at last
    rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(_run(filled, "--format", "csv"))))
    assert rows[1]["rule"] == "R10" and rows[1]["override_rate"] == "100.0%"
    assert rows[0]["accepted_suggestions"] == f"{DEFER} (2)"
    assert (rows[0]["accepted_events"], rows[0]["overridden_events"]) == ("2", "2")


def test_html_is_self_contained_and_escaped(filled: dict[str, str]) -> None:
    page = _run(filled, "--format", "html")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 3
    for external in ("<script", "<link", "src=", "href=", "@import", "url("):
        assert external not in page
    assert "&lt;b&gt;busy&lt;/b&gt;" in page and "<b>busy</b>" not in page
    assert "33.3%" in page
    assert "Per suggestion" in page and "Events" in page


def test_accepted_then_dismissed_is_two_events(
    app: Flask, client: FlaskClient, filled: dict[str, str]
) -> None:
    """The CDS Hooks sandbox keeps an accepted card on screen; dismissing it afterwards is a second fact."""
    shown = card("R15", indicator="warning", suggestions=("Use the labelled regimen", "Other"))
    show(app, [shown])
    regimen, other = (s["uuid"] for s in shown["suggestions"])
    items = [
        accepted(shown["uuid"], regimen, when="2026-03-05T09:00:00Z"),
        accepted(shown["uuid"], other, when="2026-03-05T09:00:30Z"),
        overridden(shown["uuid"], "patient-declined", when="2026-03-05T09:01:00Z"),
    ]
    assert client.post(FEEDBACK_URL, json={"feedback": items}).status_code == 200
    report = json.loads(_run(filled, "--format", "json"))
    r15 = next(r for r in report["rules"] if r["rule_id"] == "R15")
    assert (r15["accepted"], r15["overridden"]) == (0, 1)  # last state: dismissed
    assert (r15["accepted_events"], r15["overridden_events"]) == (2, 1)
    assert {s["suggestion"]: s["count"] for s in r15["accepted_suggestions"]} == {
        "Use the labelled regimen": 1,
        "Other": 1,
    }
    suggestions = {s["suggestion"]: s for s in report["suggestions"] if s["rule_id"] == "R15"}
    assert suggestions["Use the labelled regimen"] == {
        "rule_id": "R15",
        "suggestion": "Use the labelled regimen",
        "accepted_events": 1,
        "cards": 1,
        "cards_overridden_later": 1,
    }
    (card_row,) = [c for c in report["cards"] if c["card_uuid"] == shown["uuid"]]
    assert card_row == {
        "card_uuid": shown["uuid"],
        "rule_id": "R15",
        "last_outcome": "overridden",
        "accepted_events": 2,
        "overridden_events": 1,
        "accepted_suggestions": ["Use the labelled regimen", "Other"],
    }
    assert all(c["card_uuid"] != "card-we-never-sent" for c in report["cards"])


def test_report_without_schema_says_what_to_do(tmp_path: Any) -> None:
    env = {"NALTREXONE_CDS_STATE_DIR": str(tmp_path / "empty"), "NALTREXONE_CDS_DATABASE_URL": ""}
    result = CliRunner().invoke(main, ["feedback-report"], env=env)
    assert result.exit_code == 1
    assert "db upgrade" in result.output
