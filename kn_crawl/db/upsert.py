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
