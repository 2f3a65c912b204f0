"""A throw-away PostgreSQL server for the test session, and a fresh database per test.

Uses NALTREXONE_CDS_TEST_POSTGRES_URL when given; otherwise starts a server from Debian's binaries
(/usr/lib/postgresql/*/bin, installed by ``make test``) on a free loopback port, as the 'postgres' user
when we are root (initdb refuses root).  Never skips: a missing server is an error naming the fix.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from plugin.settings import load_settings
from plugin.storage import db
from tests.support.live_server import free_port

MISSING = "no PostgreSQL server binaries under /usr/lib/postgresql: run scripts/install-system-deps.sh"


@dataclass(frozen=True)
class PostgresServer:
    url: str  # its 'postgres' database, as the superuser 'cds'

    def create_database(self) -> str:
        """A new empty database on this server; its URL."""
        name = f"cds_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        admin = create_engine(db.database_url(load_settings({"database_url": self.url})))
        try:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(statement))
        finally:
            admin.dispose()


def server_binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError(MISSING)
    return found[-1].parent


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        raise RuntimeError("running as root and there is no 'postgres' user to run PostgreSQL") from None


class LocalPostgres:
    """A server of our own in a temp directory: started, stopped and started again on the same port."""

    def __init__(self) -> None:
        self.bindir, self.run_as = server_binaries(), _run_as()
        self.home = Path(tempfile.mkdtemp(prefix="naltrexone-pg-"))
        if self.run_as:
            shutil.chown(self.home, self.run_as)
        self.data, self.port = self.home / "data", free_port()
        self._ctl("initdb", "-D", self.data, "-A", "trust", "-U", "cds", "-E", "UTF8", "--no-sync")
        self.server = PostgresServer(f"postgresql://cds@127.0.0.1:{self.port}/postgres")

    def _ctl(self, program: str, *args: object) -> None:
        subprocess.run(
            [self.bindir / program, *map(str, args)],
            user=self.run_as,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._ctl(
            "pg_ctl", "-D", self.data, "-l", self.home / "log", "-o", options, "-w", "-t", "30", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._ctl("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:  # already stopped
            pass
        shutil.rmtree(self.home, ignore_errors=True)


def start_postgres() -> Iterator[PostgresServer]:
    """Generator for a fixture: the given server, or one started here and stopped afterwards."""
    given = os.environ.get("NALTREXONE_CDS_TEST_POSTGRES_URL")
    if given:
        yield PostgresServer(given)
        return
    local = LocalPostgres()
    try:
        local.start()
        yield local.server
    finally:
        local.remove()
