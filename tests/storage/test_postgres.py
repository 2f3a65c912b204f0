"""The schema and a feedback round trip on a real PostgreSQL.

The server is the session's (tests/support/postgres.py: NALTREXONE_CDS_TEST_POSTGRES_URL, or Debian's
binaries started on a free loopback port); each test gets a fresh database.  Never skips.
"""

from __future__ import annotations

import json

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import select

from plugin import create_app
from plugin.ops.cli import main
from plugin.settings import load_settings
from plugin.storage import db
from plugin.storage.models import feedback, metadata
from tests.storage.support import concurrent_db_upgrades

OVERRIDES = "http://terminology.cds-hooks.org/CodeSystem/OverrideReasons"


def test_concurrent_upgrades_build_the_modelled_schema(postgres_url: str) -> None:
    results = concurrent_db_upgrades(3, NALTREXONE_CDS_DATABASE_URL=postgres_url)
    outputs = [out for _, out in results]
    assert [rc for rc, _ in results] == [0, 0, 0], outputs
    settings = load_settings({"database_url": postgres_url})
    assert db.current_revision(settings) == db.head_revision()
    with db.get_engine(settings).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata) == []


def test_feedback_round_trip_and_report(postgres_url: str) -> None:
    app = create_app({"database_url": postgres_url, "auth": "none"})
    client = app.test_client()
    item = {
        "card": "never-logged",
        "outcome": "overridden",
        "overrideReason": {
            "reason": {"system": OVERRIDES, "code": "patient-declined", "display": "Declined"}
        },
        "outcomeTimestamp": "2026-03-01T10:00:00 UTC",
    }
    url = "/cds-services/naltrexone-order-sign/feedback"
    assert client.post(url, json={"feedback": [item]}).get_json() == {"stored": 1, "duplicates": 0}
    assert client.post(url, json={"feedback": [item]}).get_json()["duplicates"] == 1
    with db.get_engine(app.config["SETTINGS"]).connect() as conn:
        rows = list(
            conn.execute(select(feedback.c.card_uuid, feedback.c.card_known, feedback.c.outcome_timestamp))
        )
    assert [(r.card_uuid, r.card_known, r.outcome_timestamp.isoformat()) for r in rows] == [
        ("never-logged", False, "2026-03-01T10:00:00+00:00")
    ]
    result = CliRunner().invoke(
        main, ["feedback-report", "--format", "json"], env={"NALTREXONE_CDS_DATABASE_URL": postgres_url}
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["rules"], report["unknown_card_reports"]) == ([], 1)
