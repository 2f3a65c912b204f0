"""The schema and a feedback round trip on a real PostgreSQL.

Uses NALTREXONE_CDS_TEST_POSTGRES_URL when given; otherwise starts a throw-away server from Debian's
binaries (/usr/lib/postgresql/*/bin) on a free loopback port, as the 'postgres' user when we are root.
Skips, saying why, when neither is possible.  Never installs anything.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from plugin import create_app
from plugin.ops.cli import main
from plugin.settings import load_settings
from plugin.storage import db
from plugin.storage.models import feedback, metadata
from tests.storage.support import concurrent_db_upgrades

OVERRIDES = "http://terminology.cds-hooks.org/CodeSystem/OverrideReasons"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    """A server URL (its 'postgres' database): the one given, or one we start for this module."""
    pytest.importorskip("psycopg", reason="psycopg (the 'test' extra) is needed to talk to PostgreSQL")
    given = os.environ.get("NALTREXONE_CDS_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bindir = _server_binaries()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL server: set NALTREXONE_CDS_TEST_POSTGRES_URL or install Debian's postgresql"
        )
    run_as: str | None = None
    if os.geteuid() == 0:  # initdb refuses root
        try:
            run_as = pwd.getpwnam("postgres").pw_name
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the test server")
    home = Path(tempfile.mkdtemp(prefix="naltrexone-pg-"))
    if run_as:
        shutil.chown(home, run_as)
    data, port = home / "data", _free_port()
    try:
        subprocess.run(
            [bindir / "initdb", "-D", data, "-A", "trust", "-U", "cds", "-E", "UTF8", "--no-sync"],
            user=run_as,
            check=True,
            capture_output=True,
            timeout=60,
        )
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [bindir / "pg_ctl", "-D", data, "-l", home / "log", "-o", options, "-w", "-t", "30", "start"],
            user=run_as,
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"postgresql://cds@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"],
            user=run_as,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database on the server for one test."""
    for name in ("NALTREXONE_CDS_DATABASE_URL", "NALTREXONE_CDS_STATE_DIR", "NALTREXONE_CDS_AUTO_MIGRATE"):
        monkeypatch.delenv(name, raising=False)
    name = f"cds_{uuid.uuid4().hex[:12]}"
    admin = create_engine(db.database_url(load_settings({"database_url": postgres_server})))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    db.dispose_engines()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


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
