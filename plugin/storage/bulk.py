"""A many-row INSERT compiled once per dialect and handed to the driver's own ``executemany``.

Why: the card log's background writer inserts a few rows per transaction, all day.  Through
``conn.execute(table.insert(), rows)`` SQLAlchemy looks the statement up in its cache, builds each
row's parameters through the compiled statement and runs every value's type processing: ~27 us a row
and ~250 us a batch of CPU on top of SQLite's own work (measured: 10-row batches 720 us).  Here the SQL
text (with the dialect's paramstyle and bind casts) and each column's bind processor are worked out
once per dialect; a batch is one ``exec_driver_sql`` on the same SQLAlchemy connection and transaction,
so the values stored are exactly those the Core insert would store (the types' own processors run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table

Processor = Callable[[Any], Any] | None


class PreparedInsert:
    """``INSERT INTO table (columns...)``, run with one driver ``executemany`` per call."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        self._prepared: dict[str, tuple[str, tuple[tuple[str, Processor], ...], bool]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[tuple[str, Processor], ...], bool]:
        found = self._prepared.get(dialect.name)
        if found is None:
            compiled = self.table.insert().compile(dialect=dialect, column_keys=list(self.columns))
            if compiled.positiontup is not None:  # qmark / format: values in the statement's order
                names = tuple(compiled.positiontup)
            else:  # named / pyformat: values by bind name
                names = tuple(compiled.binds)
            if set(names) != set(self.columns):
                raise ValueError(f"insert binds {names}, expected the columns {self.columns}")
            columns = self.table.c
            steps = tuple(
                (name, columns[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
            )
            found = (str(compiled), steps, compiled.positiontup is not None)
            self._prepared[dialect.name] = found
        return found

    def execute(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (each a mapping with every column) inside ``conn``'s transaction."""
        if not rows:
            return
        sql, steps, positional = self._for(conn.dialect)
        if positional:
            params: list[Any] = [
                tuple(row[name] if step is None else step(row[name]) for name, step in steps) for row in rows
            ]
        else:
            params = [
                {name: row[name] if step is None else step(row[name]) for name, step in steps} for row in rows
            ]
        conn.exec_driver_sql(sql, params)
