"""The catalogue in the ``sources`` table, so that runs, health and articles keep their source
and analysts see every source in SQL.

Rows are upserted by name and never deleted: a source taken out of the catalogue keeps its
articles and runs, and is marked disabled with the reason ``not in the catalogue``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from kn_crawl.catalog.model import SourceEntry
from kn_crawl.db.models import Source, table_of
from kn_crawl.db.upsert import insert_ignore

NOT_IN_CATALOGUE = "not in the catalogue"

sources_t = table_of(Source)
_SYNCED = ("family", "title", "base_url", "enabled", "disabled_reason", "language")


@dataclass(frozen=True, slots=True)
class SyncResult:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()
    """Rows whose source left the catalogue, disabled now."""


def _values(entry: SourceEntry) -> dict[str, Any]:
    return {
        "family": entry.family,
        "title": entry.title,
        "base_url": entry.base_url,
        "enabled": entry.enabled,
        "disabled_reason": entry.disabled_reason,
        "language": entry.language,
    }


def sync_catalog(conn: Connection, catalog: Mapping[str, SourceEntry]) -> SyncResult:
    """Make the ``sources`` rows say what ``catalog`` says, in the caller's transaction.
    Writes nothing when they already do, so running it before every crawl costs one
    query. New rows are inserted first (skipping a name another process inserted
    meanwhile); a database that may not be written fails on that first write."""
    rows = {r.name: r for r in conn.execute(select(sources_t.c.name, *_columns())).all()}
    added = [e for e in catalog.values() if e.name not in rows]
    insert_ignore(conn, sources_t, [{"name": e.name, **_values(e)} for e in added], "name")
    updated = []
    for entry in catalog.values():
        row = rows.get(entry.name)
        values = _values(entry)
        if row is not None and any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(update(sources_t).where(sources_t.c.name == entry.name).values(values))
            updated.append(entry.name)
    retired = []
    for name, row in rows.items():
        if name not in catalog and (row.enabled or row.disabled_reason != NOT_IN_CATALOGUE):
            conn.execute(
                update(sources_t)
                .where(sources_t.c.name == name)
                .values(enabled=False, disabled_reason=NOT_IN_CATALOGUE)
            )
            retired.append(name)
    return SyncResult(tuple(e.name for e in added), tuple(updated), tuple(retired))


def _columns() -> list[Any]:
    return [sources_t.c[name] for name in _SYNCED]
