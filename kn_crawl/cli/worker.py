"""The cluster's command: kn-crawl worker."""

from __future__ import annotations

import logging
import threading

import click

from kn_crawl.cli.common import (
    EXIT_FAILURE,
    check_vocabulary,
    command_logging,
    fail,
    load_settings,
    open_engine,
)


@click.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=None,
    help="Batch processes this node runs at once (default: KN_BATCH_PROCESSES).",
)
@click.option(
    "--once",
    is_flag=True,
    help="One tick, then every batch job queued, then exit (for tests and cron).",
)
def worker(concurrency: int | None, once: bool) -> None:
    """Run one node of a cluster: every node runs `kn-crawl worker` against one PostgreSQL
    (KN_DATABASE_URL).

    Applies the migrations and the job queue's schema, writes the catalogue into `sources`,
    then takes jobs: a tick every KN_TICK seconds claims the due sources and queues batches;
    each batch is crawled by a child process holding an advisory lock per web host, so no
    source or host is crawled twice at once. SIGTERM/SIGINT: no new jobs, running batches get
    KN_SCHEDULE_GRACE, then every run gets a final status.
    """
    import asyncio

    from kn_crawl.catalog.load import load_catalog
    from kn_crawl.cluster.app import ensure_queue_schema
    from kn_crawl.cluster.lease import reap_stale_runs
    from kn_crawl.cluster.tasks import WorkerState, configure
    from kn_crawl.cluster.worker import serve
    from kn_crawl.scheduler.config import load_schedule

    settings = load_settings()
    if not settings.database_url.startswith("postgresql"):
        fail(
            "the cluster needs PostgreSQL (KN_DATABASE_URL=postgresql+psycopg://…); "
            "on one machine use `kn-crawl schedule`"
        )
    try:
        import procrastinate  # noqa: F401
    except ImportError:
        fail("kn-crawl worker needs procrastinate: pip install -e '.[postgres]'", EXIT_FAILURE)
    check_vocabulary(settings)
    catalog = load_catalog(settings)
    config = load_schedule({e.name: e.schedule for e in catalog.enabled()}, known=list(catalog))
    engine = open_engine(settings, sync=True)
    ensure_queue_schema(engine)
    command_logging(settings)
    # procrastinate logs every job at INFO; ours say what matters.
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    reap_stale_runs(engine, settings.lease, here=settings.node)
    timeouts = [s.timeout for s in config.sources.values()]
    state = WorkerState(
        settings=settings,
        engine=engine,
        stop=threading.Event(),
        timeout=max(timeouts) if timeouts else 1800.0,
        grace=config.shutdown_grace,
    )
    configure(state)
    click.echo(
        f"kn-crawl worker on {settings.node}: {settings.safe_database_url}, "
        f"{concurrency or settings.batch_processes} batch processes, tick every "
        f"{settings.tick:g} s"
    )
    asyncio.run(
        serve(
            state,
            concurrency=concurrency or settings.batch_processes,
            once=once,
            listen_notify=settings.listen_notify,
        )
    )
