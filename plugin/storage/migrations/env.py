"""Alembic environment: runs on the connection plugin.storage.db.upgrade hands over.

Run directly by the ``alembic`` command (no connection given) it migrates the database the
service settings name, so the same env vars work for both.
"""

from __future__ import annotations

from alembic import context

from plugin.storage.models import metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():  # `db upgrade --sql`: print the DDL for a DBA to apply
        context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from plugin.settings import load_settings
    from plugin.storage.db import get_engine

    with get_engine(load_settings()).connect() as conn:
        _run(conn)
        conn.commit()


main()
