"""Operations commands: schedule, runs, health."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from kn_crawl.cli.common import (
    EXIT_FAILURE,
    check_vocabulary,
    command_logging,
    fail,
    load_settings,
    local,
    open_engine,
    table,
)
from kn_crawl.settings import Settings


@click.command()
@click.option("--once", is_flag=True, help="Refresh every due source once, then exit (for cron).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Schedule file (TOML; default: KN_CONFIG_FILE or ./kn-crawl.toml if present).",
)
def schedule(once: bool, config_file: Path | None) -> None:
    """Refresh every enabled source of the catalogue on its own interval or cron schedule
    until stopped (the entry's schedule, unless the schedule file or KN_SCHEDULE_<SOURCE>
    says otherwise).

    Upgrades the database first (as `kn-crawl db upgrade`). Every KN_TICK seconds the due
    sources are refreshed in batches of KN_BATCH_SIZE (all sources of one web host in one
    batch), KN_BATCH_PROCESSES batches at once, each batch a child process with a hard
    timeout; a source never runs twice at once; after downtime an overdue source runs once,
    promptly. Only one scheduler may run per database. SIGTERM/SIGINT: no new batches,
    running ones get the grace period.
    """
    from kn_crawl.catalog.load import load_catalog
    from kn_crawl.queries import runs_of
    from kn_crawl.scheduler.config import load_schedule
    from kn_crawl.scheduler.lock import AlreadyRunning, SchedulerLock
    from kn_crawl.scheduler.service import Scheduler

    settings = load_settings()
    check_vocabulary(settings)
    catalog = load_catalog(settings)
    defaults = {e.name: e.schedule for e in catalog.enabled()}
    config = load_schedule(defaults, path=config_file, known=list(catalog))
    if not config.enabled():
        fail("no source is enabled in the schedule")
    command_logging(settings)
    try:
        with SchedulerLock(get_engine_for(settings)):
            # Under the lock: one scheduler migrates and writes the schedule at a time.
            engine = open_engine(settings, sync=True, schedule_file=config_file)
            scheduler = Scheduler(
                engine=engine,
                settings=settings,
                config=config,
                watch_catalog=True,
                schedule_file=config_file,
            )
            if once:
                results = scheduler.run_due_once()
                click.echo(f"{sum(len(r.batch.sources) for r in results)} sources crawled")
                run_ids = [i for r in results for i in r.run_ids]
                with engine.connect() as conn:
                    statuses = {r.status for r in runs_of(conn, run_ids)}
                # As `kn-crawl crawl`: a run that failed (or a batch process that did) is a
                # failure of the command; a skipped run is not.
                if any(r.returncode != 0 for r in results) or statuses - {"ok", "skipped"}:
                    sys.exit(EXIT_FAILURE)
            elif settings.metrics_port:
                from kn_crawl.metrics import MetricsServer

                try:
                    metrics = MetricsServer(engine, settings.metrics_port)
                except OSError as exc:
                    fail(
                        f"cannot serve metrics on 127.0.0.1:{settings.metrics_port}: "
                        f"{exc.strerror or exc}",
                        EXIT_FAILURE,
                    )
                with metrics:
                    scheduler.serve()
            else:
                scheduler.serve()
    except AlreadyRunning as exc:
        fail(str(exc), EXIT_FAILURE)
    except OperationalError as exc:
        # The lock's own connection (PostgreSQL) is the first to reach the database.
        fail(f"cannot open database {settings.safe_database_url}: {exc.orig}", EXIT_FAILURE)


def get_engine_for(settings: Settings) -> Engine:
    """The configured database's engine, neither migrated nor written (the scheduler lock's)."""
    from kn_crawl.db.engine import get_engine

    return get_engine(settings.database_url)


@click.command()
@click.option("--source", help="Only runs of this source.")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="At most this many runs.",
)
def runs(source: str | None, limit: int) -> None:
    """List recent crawl runs with their status and counts, newest first."""
    from kn_crawl.db.models import CrawlRun, Source, table_of
    from kn_crawl.db.runs import shown_status
    from kn_crawl.sources import resolve_source

    if source:
        source = resolve_source(source)
    runs_t = table_of(CrawlRun)
    query = (
        select(runs_t, Source.name.label("source"))
        .join(Source, Source.id == runs_t.c.source_id)
        .order_by(runs_t.c.id.desc())
        .limit(limit)
    )
    if source:
        query = query.where(Source.name == source)
    with open_engine(load_settings()).connect() as conn:
        rows = conn.execute(query).all()
    # Read-only: a run left "running" by a dead process shows as "stale" (a command that
    # writes closes it as failed).
    now = datetime.now(UTC)
    click.echo(
        table(
            [
                (
                    r.id,
                    r.source,
                    local(r.started_at, "%Y-%m-%d %H:%M:%S"),
                    (
                        f"{(r.finished_at - r.started_at).total_seconds():.0f}s"
                        if r.finished_at
                        else "-"
                    ),
                    shown_status(r, now=now),
                    r.requests,
                    r.not_modified,
                    r.articles_new,
                    r.articles_updated,
                    r.dropped,
                    r.errors,
                )
                for r in rows
            ],
            [
                "run",
                "source",
                "started",
                "took",
                "status",
                "requests",
                "304",
                "new",
                "updated",
                "dropped",
                "errors",
            ],
        )
    )


@click.command()
@click.option(
    "--events",
    type=click.IntRange(0, 1000),
    default=10,
    show_default=True,
    help="Also list this many recent health events.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of tables.")
def health(events: int, as_json: bool) -> None:
    """Show each source's health (healthy, degraded, failing) with the evidence."""
    from kn_crawl.db.backfill import archive_states
    from kn_crawl.db.models import Source
    from kn_crawl.db.state_models import HealthEvent, SourceHealth

    with open_engine(load_settings()).connect() as conn:
        archives = {n: a.describe() for n, a in archive_states(conn).items() if a.incomplete}
        states = conn.execute(
            select(Source.name, SourceHealth.status, SourceHealth.since, SourceHealth.evidence)
            .join(SourceHealth, SourceHealth.source_id == Source.id)
            .order_by(Source.name)
        ).all()
        recent = conn.execute(
            select(HealthEvent.created_at, Source.name, HealthEvent.kind, HealthEvent.evidence)
            .join(Source, Source.id == HealthEvent.source_id)
            .order_by(HealthEvent.id.desc())
            .limit(events)
        ).all()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "sources": [
                        {"source": n, "status": st, "since": si.isoformat(), "evidence": ev}
                        for n, st, si, ev in states
                    ],
                    "events": [
                        {"at": at.isoformat(), "source": n, "kind": k, "evidence": ev}
                        for at, n, k, ev in recent
                    ],
                    "archive_incomplete": archives,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not states:
        # An empty table read as "all fine" or as "broken"; it means nothing was checked yet.
        # (An interrupted first crawl has no health yet, but its incomplete archive follows.)
        click.echo(
            "No source health recorded yet: it is checked after each crawl "
            "(kn-crawl crawl, kn-crawl demo, the scheduler)."
        )
    else:
        click.echo(
            table(
                [
                    (n, st, local(si), "; ".join(str(e["message"]) for e in ev) or "-")
                    for n, st, si, ev in states
                ],
                ["source", "health", "since", "evidence"],
            )
        )
    for name, archive in sorted(archives.items()):
        click.echo(f"{name}: {archive}; the next crawl continues it")
    if events and states:
        click.echo("")
        click.echo(
            table(
                [
                    (local(at), n, k, "; ".join(str(e["message"]) for e in ev) or "-")
                    for at, n, k, ev in recent
                ],
                ["when", "source", "event", "evidence"],
            )
        )
