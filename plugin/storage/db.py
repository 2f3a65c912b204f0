"""Engines, transactions and migrations for the service database.

One engine per (process, URL): `serve` forks workers, and a pooled connection must never cross a
fork, so the cache is keyed by pid as well.  SQLite (the default, a file under ``state_dir``) runs in
WAL mode with a busy timeout; every transaction starts with ``BEGIN IMMEDIATE`` so two writers queue
on the busy timeout instead of failing a read-then-write upgrade.  PostgreSQL URLs without a driver
(``postgresql://``, ``postgres://``) are given psycopg 3.
"""

from __future__ import annotations

import fcntl
import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from plugin.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "current_revision",
    "get_engine",
    "head_revision",
    "sqlite_path",
    "transaction",
    "upgrade",
    "upgrade_sql",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions (a test keeps it in step).  Knowing it lets a worker that
# starts on an up-to-date database skip importing Alembic: one SELECT instead of ~150 ms.
SCHEMA_HEAD = "0002"
SQLITE_BUSY_TIMEOUT_MS = 5000
PG_CONNECT_TIMEOUT_S = 3
# pg_advisory_xact_lock key serialising start-up migrations of all workers ("NALTREX" in ASCII).
PG_MIGRATION_LOCK_KEY = 0x4E414C54524558

_engines: dict[tuple[int, str], Engine] = {}
_engines_lock = threading.Lock()


def database_url(settings: Settings) -> URL:
    """The configured URL, with psycopg 3 as the PostgreSQL driver when none is named."""
    return _parsed_url(settings.effective_database_url)


@functools.lru_cache(maxsize=16)
def _parsed_url(raw: str) -> URL:
    # Parsed once per URL (URL objects are immutable): every card-log batch asks for its engine.
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


@functools.lru_cache(maxsize=16)
def _rendered(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def sqlite_path(url: URL) -> Path | None:
    """The database file of a file-based SQLite URL; None for other backends and in-memory SQLite."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).absolute()


def get_engine(settings: Settings) -> Engine:
    """The process-wide engine for the configured database (created, and its directory made, once)."""
    url = database_url(settings)
    key = (os.getpid(), _rendered(url))
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _create_engine(url)
            _engines[key] = engine
        return engine


def _create_engine(url: URL) -> Engine:
    path = sqlite_path(url)
    if url.get_backend_name() != "sqlite":
        return create_engine(
            url, pool_pre_ping=True, pool_size=5, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S}
        )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy, not the sqlite3 module, decides when transactions begin (see _sqlite_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":  # plain reads take no lock
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def transaction(engine: Engine, *, durable: bool = False) -> Iterator[Connection]:
    """One transaction, committed on leaving the block, rolled back on an exception.

    ``durable=True`` is for writes acknowledged to a caller (feedback, JWT ids): on SQLite the commit
    is fsynced (``synchronous=FULL``) so it survives a power cut, not only a process kill.  Other
    writes (the card log) keep WAL's ``NORMAL``: safe against kill -9, may lose the last commits on
    power loss, and cost tens of microseconds instead of an fsync.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            _set_sqlite_synchronous(conn, "FULL" if durable else "NORMAL")
        with conn.begin():
            yield conn


def _set_sqlite_synchronous(conn: Connection, level: str) -> None:
    # A PRAGMA issued through SQLAlchemy would autobegin a transaction first; the raw DBAPI
    # connection (isolation_level=None) runs it outside one, which SQLite requires.
    pooled = conn.connection
    if pooled.info.get("synchronous") != level:
        pooled.dbapi_connection.execute(f"PRAGMA synchronous = {level}")  # type: ignore[union-attr]
        pooled.info["synchronous"] = level


def alembic_config() -> Config:
    """Alembic configured in code: migrations ship inside the package, so a wheel can migrate."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(settings: Settings) -> str | None:
    """The revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(settings).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _at_head(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
    except DBAPIError:  # no alembic_version table yet (any other fault recurs in the real upgrade)
        return False


def upgrade_sql(settings: Settings, revision: str = "head") -> None:
    """Print the SQL of pending migrations instead of running them (for DBAs who apply DDL by hand)."""
    from alembic import command

    cfg = alembic_config()
    cfg.set_main_option("sqlalchemy.url", database_url(settings).render_as_string(hide_password=False))
    command.upgrade(cfg, revision, sql=True)


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Apply pending migrations; safe when several workers start at once.

    Concurrent callers are serialised (a file lock beside the SQLite file, a transaction-scoped
    advisory lock on PostgreSQL); the later ones find the schema at head and do nothing.  The whole
    upgrade is one transaction: both backends have transactional DDL.
    """
    engine = get_engine(settings)
    if revision == "head" and _at_head(engine):
        return
    from alembic import command

    cfg = alembic_config()
    with _migration_file_lock(sqlite_path(engine.url)), engine.connect() as conn, conn.begin():
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@contextmanager
def _migration_file_lock(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    with open(path.with_name(path.name + ".migrate-lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def dispose_engines() -> None:
    """Close this process's pooled connections (before a fork, and between tests)."""
    with _engines_lock:
        for (pid, _), engine in _engines.items():
            # A parent's connections are the parent's: drop them here without closing them.
            engine.dispose(close=pid == os.getpid())
        _engines.clear()
