"""The catalogue in the ``sources`` table, so that runs, health and articles keep their source
and analysts see every source in SQL.

Rows are upserted by name and never deleted: a source taken out of the catalogue keeps its
articles and runs, and is marked disabled with the reason ``not in the catalogue``.

Each row also gets the source's effective schedule (``KN_SCHEDULE_<SOURCE>`` or the schedule
file over the catalogue's ``schedule`` over the default interval; ``off`` disables it) and its
web host: what the tick needs to find due sources and batch them by host, from SQL alone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from kn_crawl.batch.plan import host_of
from kn_crawl.catalog.model import SourceEntry
from kn_crawl.db.models import Source, table_of
from kn_crawl.db.upsert import insert_ignore

NOT_IN_CATALOGUE = "not in the catalogue"
SCHEDULE_OFF = "schedule: off"

sources_t = table_of(Source)
_SYNCED = (
    "family",
    "title",
    "base_url",
    "enabled",
    "disabled_reason",
    "language",
    "schedule",
    "host",
)
_CLUSTER_STATE = ("enabled", "disabled_reason", "schedule")
"""What only the schedule-owning processes write: a crawl by hand leaves them as they are."""


@dataclass(frozen=True, slots=True)
class EffectiveSchedule:
    """What the schedule says of one source: ``30m``-style interval or ``cron:…``."""

    schedule: str
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class SyncResult:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()
    """Rows whose source left the catalogue, disabled now."""


def row_values(entry: SourceEntry, schedule: EffectiveSchedule | None) -> dict[str, Any]:
    enabled, reason = entry.enabled, entry.disabled_reason
    if enabled and schedule is not None and not schedule.enabled:
        enabled, reason = False, SCHEDULE_OFF
    return {
        "family": entry.family,
        "title": entry.title,
        "base_url": entry.base_url,
        "enabled": enabled,
        "disabled_reason": reason,
        "language": entry.language,
        "schedule": schedule.schedule if schedule is not None else entry.schedule,
        "host": host_of(entry.base_url),
    }


def sync_catalog(
    conn: Connection,
    catalog: Mapping[str, SourceEntry],
    schedules: Mapping[str, EffectiveSchedule] | None = None,
    *,
    only: Collection[str] | None = None,
) -> SyncResult:
    """Make the ``sources`` rows say what ``catalog`` says, in the caller's transaction.
    Writes nothing when they already do, so running it at a start or tick costs one
    query. New rows are inserted first (skipping a name another process inserted
    meanwhile); a database that may not be written fails on that first write. New rows
    have no ``next_due_at``: they are due now.

    ``schedules``: each source's effective schedule (``kn_crawl.scheduler.config``); a
    source without one keeps the catalogue's ``schedule``.

    ``only``: the sources a crawl by hand runs. Their rows are made to exist with the
    catalogue's base URL, title, family, language and host; their enabled state and schedule
    are written only when the row is new, and no other row is touched: the schedule and the
    enabled state of a cluster are the schedule-owning processes' (``schedule``, ``worker``,
    the tick), not of whichever shell last ran a crawl with its own environment."""
    schedules = schedules or {}
    if only is not None:
        wanted = set(only)
        catalog = {name: e for name, e in catalog.items() if name in wanted}
    rows = {r.name: r for r in conn.execute(select(sources_t.c.name, *_columns())).all()}
    added = [e for e in catalog.values() if e.name not in rows]
    insert_ignore(
        conn,
        sources_t,
        [{"name": e.name, **row_values(e, schedules.get(e.name))} for e in added],
        "name",
    )
    updated = []
    for entry in catalog.values():
        row = rows.get(entry.name)
        values = row_values(entry, schedules.get(entry.name))
        if only is not None:
            values = {k: v for k, v in values.items() if k not in _CLUSTER_STATE}
        if row is not None and any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(update(sources_t).where(sources_t.c.name == entry.name).values(values))
            updated.append(entry.name)
    retired: list[str] = []
    if only is not None:
        return SyncResult(tuple(e.name for e in added), tuple(updated), ())
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
