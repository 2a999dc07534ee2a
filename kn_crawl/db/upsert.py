"""Dialect-specific INSERT … ON CONFLICT, behind one function."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]], *keys: str) -> None:
    """Insert rows, skipping those that collide with an existing row on ``keys``."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
        conn.execute(pg, rows)
    elif dialect == "sqlite":
        lite = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
        conn.execute(lite, rows)
    else:  # pragma: no cover - we support SQLite and PostgreSQL only
        raise NotImplementedError(f"no upsert for {dialect}")


def upsert(
    conn: Connection, table: Table, rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> None:
    """Insert rows, or update every other column of the row that collides on ``keys``."""
    if not rows:
        return
    dialect = conn.dialect.name
    columns = [c for c in rows[0] if c not in keys]
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        pg = pg.on_conflict_do_update(
            index_elements=list(keys), set_={c: pg.excluded[c] for c in columns}
        )
        conn.execute(pg, rows)
    elif dialect == "sqlite":
        lite = sqlite.insert(table)
        lite = lite.on_conflict_do_update(
            index_elements=list(keys), set_={c: lite.excluded[c] for c in columns}
        )
        conn.execute(lite, rows)
    else:  # pragma: no cover - we support SQLite and PostgreSQL only
        raise NotImplementedError(f"no upsert for {dialect}")
