"""Attack regression, feedback analytics: only the receiver of a card can report what was done with it.

Two EHRs (two issuers, two keys) call the real app over a real SQLite file.  Feedback for a card shown
to the other issuer, or through another service, is a 403 with nothing stored; a timestamp in the far
future is a 400; made-up card uuids never reach a rule's figures; a formula in an override reason is
neutralised in the CSV report; the reply does not tell a caller whether a uuid exists.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugin import create_app
from plugin.ops.cli import main
from plugin.storage.db import dispose_engines
from plugin.storage.models import feedback
from plugin.storage.store import get_store
from tests.auth.issuer import PUBLIC_URL, Issuer, bearer
from tests.security.attack_support import NOW, SCENARIO, SIGN

FEEDBACK = SIGN + "/feedback"
SELECT_FEEDBACK = "/cds-services/naltrexone-order-select/feedback"
WHEN = "2026-11-25T10:00:00Z"


@pytest.fixture
def issuers(tmp_path: Path) -> tuple[Issuer, Issuer]:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    return Issuer(tmp_path / "a", "https://ehr-a.example.org"), Issuer(
        tmp_path / "b", "https://ehr-b.example.org"
    )


@pytest.fixture
def app(tmp_path: Path, issuers: tuple[Issuer, Issuer]) -> Iterator[Flask]:
    a, b = issuers
    yield create_app(
        {
            "auth": "jwt",
            "public_url": PUBLIC_URL,
            "trusted_issuers": {a.iss: a.jwks_url, b.iss: b.jwks_url},
            "state_dir": str(tmp_path / "state"),
            "now": NOW,
        }
    )
    dispose_engines()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _shown_to(client: FlaskClient, who: Issuer) -> str:
    """Make a real hook call as ``who``; the uuid of the critical R1 card it got."""
    response = client.post(SIGN, json=SCENARIO["request"], headers=bearer(who.token(SIGN)))
    (card,) = [c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == "R1"]
    return str(card["uuid"])


def _override(card: str, when: str = WHEN, display: str = "Patient declined") -> dict[str, Any]:
    reason = {"system": "urn:test", "code": "declined", "display": display}
    return {
        "card": card,
        "outcome": "overridden",
        "outcomeTimestamp": when,
        "overrideReason": {"reason": reason},
    }


def _post(client: FlaskClient, who: Issuer, items: list[dict[str, Any]], path: str = FEEDBACK) -> Any:
    return client.post(path, json={"feedback": items}, headers=bearer(who.token(path)))


def _stored(app: Flask) -> int:
    with get_store(app).engine().connect() as conn:
        return int(conn.execute(select(func.count()).select_from(feedback)).scalar_one())


def _report(app: Flask, fmt: str) -> str:
    env = {"NALTREXONE_CDS_STATE_DIR": app.config["SETTINGS"].state_dir, "NALTREXONE_CDS_DATABASE_URL": ""}
    result = CliRunner().invoke(main, ["feedback-report", "--format", fmt], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_another_issuer_cannot_report_on_a_card(app: Flask, client: FlaskClient, issuers: Any) -> None:
    a, b = issuers
    card = _shown_to(client, a)
    forged = _post(client, b, [_override(card)])
    assert forged.status_code == 403 and forged.get_json()["error"] == "forbidden"
    mixed = _post(client, b, [_override(str(uuid.uuid4())), _override(card)])  # all or nothing
    assert mixed.status_code == 403
    assert _stored(app) == 0
    assert _post(client, a, [_override(card)]).status_code == 200
    assert _stored(app) == 1


def test_another_service_cannot_report_on_a_card(app: Flask, client: FlaskClient, issuers: Any) -> None:
    a, _ = issuers
    card = _shown_to(client, a)
    assert _post(client, a, [_override(card)], SELECT_FEEDBACK).status_code == 403
    assert _stored(app) == 0


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59Z", "2999-01-01T00:00:00Z", "+10 minutes"])
def test_outcome_timestamps_in_the_future_are_refused(
    app: Flask, client: FlaskClient, issuers: Any, when: str
) -> None:
    a, _ = issuers
    card = _shown_to(client, a)
    if when == "+10 minutes":
        when = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    response = _post(client, a, [_override(card, when=when)])
    assert response.status_code == 400 and "outcomeTimestamp" in response.get_json()["message"]
    assert _stored(app) == 0
    soon = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()  # within the clock skew
    assert _post(client, a, [_override(card, when=soon)]).status_code == 200


def test_made_up_cards_never_reach_a_rules_figures(app: Flask, client: FlaskClient, issuers: Any) -> None:
    a, b = issuers
    card = _shown_to(client, a)
    assert _post(client, a, [_override(card)]).status_code == 200
    flood = [_override(str(uuid.uuid4())) for _ in range(1000)]
    assert _post(client, b, flood).status_code == 400  # bounded per call
    assert _stored(app) == 1
    for start in range(0, 300, 100):
        assert _post(client, b, flood[start : start + 100]).status_code == 200
    rules = {r["rule"]: r for r in csv.DictReader(io.StringIO(_report(app, "csv")))}
    assert set(rules) == {"R1"} and rules["R1"]["overridden"] == "1"  # A's one real override
    assert "(in no rule's figures): 300" in _report(app, "table")


def test_csv_report_neutralises_formulas(app: Flask, client: FlaskClient, issuers: Any) -> None:
    a, _ = issuers
    cards = [_shown_to(client, a) for _ in range(3)]
    payloads = ['=HYPERLINK("https://evil.example.org","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)"]
    items = [_override(card, display=text) for card, text in zip(cards, payloads, strict=True)]
    assert _post(client, a, items).status_code == 200
    rows = list(csv.reader(io.StringIO(_report(app, "csv"))))
    cells = [cell for row in rows for cell in row]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells), cells
    assert any(
        cell.startswith("'=HYPERLINK") or cell.startswith("'+cmd") or cell.startswith("'@") for cell in cells
    )


def test_reply_does_not_tell_whether_a_uuid_exists(app: Flask, client: FlaskClient, issuers: Any) -> None:
    a, b = issuers
    reported_by_a = str(uuid.uuid4())  # a uuid A reported (unknown to our log)
    assert _post(client, a, [_override(reported_by_a)]).status_code == 200
    never_seen = str(uuid.uuid4())
    first = _post(client, b, [_override(reported_by_a)])
    second = _post(client, b, [_override(never_seen)])
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json() == {"stored": 1, "duplicates": 0}
    assert _post(client, b, [_override(never_seen)]).get_json() == {"stored": 0, "duplicates": 1}  # B's own
