"""When a source is due, and which sources a tick takes: the schedule kept in ``sources``.

A run that ends sets its source's ``next_due_at`` from the source's schedule (``next_due``, in
the same transaction as the run's end); a tick selects the sources due now (``due_sources``)
and claims them (``claim``) so that the batch waiting for a process is not planned twice. The
queries are dialect-neutral: the cluster's tick runs them on PostgreSQL with
``skip_locked=True`` (``FOR UPDATE SKIP LOCKED``), so two ticks at once never take one source.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Connection, exists, select, update

from kn_crawl.batch.plan import DueSource
from kn_crawl.dates import BERLIN
from kn_crawl.db.models import CrawlRun, Source, table_of

sources_t = table_of(Source)
runs_t = table_of(CrawlRun)


def next_due(
    schedule: str | None,
    *,
    default_interval: float,
    jitter: float,
    after: datetime,
    rand: Callable[[], float] = random.random,
) -> datetime:
    """When a source with ``schedule`` (``30m``, ``1h30m``, ``cron:<expression>`` in
    Europe/Berlin, or None for ``default_interval`` seconds) is due after a run that ended at
    ``after``. An interval gets a random delay of up to ``jitter`` seconds (at most half the
    interval), so sources of one schedule drift apart instead of hitting sites in step; a
    cron schedule fires on its times exactly."""
    from kn_crawl.scheduler.config import parse_schedule

    interval: float | None = default_interval
    cron: str | None = None
    if schedule:
        interval, cron = parse_schedule(schedule, what="schedule")
    if cron is not None:
        trigger = CronTrigger.from_crontab(cron, timezone=BERLIN)
        # Strictly after the run's end: a run ending on a fire time is not due again at once.
        start = (after + timedelta(seconds=1)).astimezone(BERLIN)
        fire: datetime | None = trigger.get_next_fire_time(None, start)
        # A cron expression that never fires again (none does in practice): a year later.
        return (fire or after + timedelta(days=366)).astimezone(after.tzinfo)
    assert interval is not None
    spread = min(jitter, interval / 2) * rand() if jitter > 0 else 0.0
    return after + timedelta(seconds=interval + spread)


def due_sources(
    conn: Connection,
    now: datetime,
    limit: int,
    *,
    skip_locked: bool = False,
    names: Sequence[str] | None = None,
) -> list[DueSource]:
    """Enabled sources due at ``now`` (never crawled, or ``next_due_at`` passed) with no run
    ``running`` — neither of their own nor of another source of their web host —, longest
    waiting first, at most ``limit``. ``names``: only these. ``skip_locked``: lock the rows,
    skipping rows another transaction holds (PostgreSQL).

    A source whose host is being crawled is left where it is (unclaimed, ``next_due_at``
    unchanged): dispatched now it would only find the host taken and be ``skipped``, and a
    later tick would then rank it after sources due later; left alone it goes first once
    the host is free."""
    running = exists().where(runs_t.c.source_id == sources_t.c.id, runs_t.c.status == "running")
    neighbours = sources_t.alias("neighbour")
    host_running = exists().where(
        runs_t.c.source_id == neighbours.c.id,
        runs_t.c.status == "running",
        neighbours.c.host == sources_t.c.host,
        neighbours.c.host != "",
    )
    query = (
        select(sources_t.c.name, sources_t.c.host)
        .where(
            sources_t.c.enabled.is_(True),
            (sources_t.c.next_due_at.is_(None)) | (sources_t.c.next_due_at <= now),
            ~running,
            ~host_running,
        )
        .order_by(sources_t.c.next_due_at.asc().nulls_first(), sources_t.c.name)
        .limit(limit)
    )
    if names is not None:
        query = query.where(sources_t.c.name.in_(list(names)))
    if skip_locked:
        query = query.with_for_update(of=sources_t, skip_locked=True)
    return [DueSource(r.name, r.host or "") for r in conn.execute(query).all()]


def claim(conn: Connection, names: Sequence[str], node: str, now: datetime, hold: float) -> None:
    """Mark ``names`` claimed by ``node`` at ``now``, and not due again for ``hold`` seconds:
    a batch that waits for a process (or whose process died before it started a run) is due
    again after that, not planned twice meanwhile. The run's end sets the real next time."""
    if not names:
        return
    conn.execute(
        update(sources_t)
        .where(sources_t.c.name.in_(list(names)))
        .values(claimed_at=now, claimed_by=node, next_due_at=now + timedelta(seconds=hold))
    )


def set_next_due(conn: Connection, source_id: int, when: datetime) -> None:
    conn.execute(update(sources_t).where(sources_t.c.id == source_id).values(next_due_at=when))
