"""``naltrexone-cds db ...``: schema migrations for deployments that migrate separately."""

from __future__ import annotations

import click
from sqlalchemy.exc import SQLAlchemyError

from plugin.settings import load_settings
from plugin.storage import db


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations shipped with the package)."""


@db_group.command("upgrade")
@click.option("--sql", "as_sql", is_flag=True, help="Print the DDL instead of applying it.")
def upgrade_command(as_sql: bool) -> None:
    """Apply pending migrations to the configured database (NALTREXONE_CDS_DATABASE_URL)."""
    settings = load_settings()
    if as_sql:
        db.upgrade_sql(settings)
        return
    try:
        db.upgrade(settings)
        revision = db.current_revision(settings)
    except (SQLAlchemyError, OSError) as exc:
        raise click.ClickException(f"migration failed: {type(exc).__name__}: {exc}") from None
    click.echo(f"database at revision {revision} (head {db.head_revision()})")


@db_group.command("current")
def current_command() -> None:
    """Show the database's revision and the newest one this package ships."""
    settings = load_settings()
    try:
        revision = db.current_revision(settings)
    except (SQLAlchemyError, OSError) as exc:
        raise click.ClickException(f"cannot read the database: {type(exc).__name__}: {exc}") from None
    click.echo(f"current {revision or '(empty)'}; head {db.head_revision()}")
