"""The cluster's tick: every KN_TICK seconds one worker (any) looks for due sources.

It is a procrastinate periodic task on a queue of its own (``tick``): every worker's
periodic deferrer offers it, the database takes one job per tick time, and a
``queueing_lock`` keeps at most one waiting. Each tick

0. (the periodic task) writes the catalogue into ``sources`` when it changed
   (``kn_crawl.catalog.refresh``);
1. fails the runs whose lease ran out and frees their hosts (``lease.reap_stale_runs``), and
   marks the batch jobs of dead workers ``failed`` (never retried in place: their sources
   are due again and the next tick plans them afresh);
2. claims the due sources (``FOR UPDATE SKIP LOCKED``: two ticks at once claim disjoint
   sets; a claim moves ``next_due_at`` a lease ahead, so a claimed source is not claimed
   again while its job waits, and is due again if the job is lost);
3. plans batches (all sources of a host in one) and defers a ``crawl_batch`` job per batch
   with ``queueing_lock`` = its hosts: a batch of the same hosts already waiting is
   ``AlreadyEnqueued``, and its sources' claim is released (due now, for a later tick).

Running it twice, or on two nodes at once, is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from kn_crawl.batch.due import claim, due_sources
from kn_crawl.batch.plan import DueSource, plan_batches
from kn_crawl.catalog.refresh import refresh_catalog
from kn_crawl.cluster.app import CRAWL_QUEUE, CRAWL_TASK
from kn_crawl.cluster.lease import reap_stale_runs
from kn_crawl.db.runs import database_now
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)

# Sources claimed per tick and batch process: enough to keep the workers busy until the
# next tick, few enough that claims do not wait in the queue past their lease.
CLAIM_PER_PROCESS = 4


@dataclass(frozen=True, slots=True)
class Claim:
    sources: list[DueSource]
    claimed_at: datetime | None
    """The database's time of the claim (None: nothing claimed)."""


def claim_due(engine: Engine, *, node: str, lease_s: float, limit: int) -> Claim:
    """Claim up to ``limit`` due sources for this tick, longest-waiting first, by the
    database's clock; rows another tick holds are skipped (``SKIP LOCKED``)."""
    with engine.begin() as conn:
        now = database_now(conn, datetime.now(UTC))
        due = due_sources(conn, now, limit, skip_locked=True)
        claim(conn, [d.name for d in due], node, now, lease_s)
    return Claim(due, now if due else None)


def release_claim(engine: Engine, names: list[str] | tuple[str, ...]) -> None:
    """Due again now: their batch is queued already, or could not be deferred."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE sources SET next_due_at = now(), claimed_at = NULL, claimed_by = NULL "
                "WHERE name = ANY(:names)"
            ),
            {"names": list(names)},
        )


def claim_limit(engine: Engine, settings: Settings) -> int:
    """How many sources this tick claims: ``CLAIM_PER_PROCESS`` batches for each batch
    process of the cluster (its live workers: two per node, ``tick`` and ``crawl``), less
    the batches already waiting, so claims do not wait in the queue past their lease."""
    with engine.connect() as conn:
        live, waiting = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM procrastinate_workers "
                "        WHERE last_heartbeat > now() - interval '60 seconds'), "
                "       (SELECT count(*) FROM procrastinate_jobs "
                "        WHERE queue_name = :queue AND status = 'todo')"
            ),
            {"queue": CRAWL_QUEUE},
        ).one()
    nodes = max(1, live // 2)
    batches = nodes * settings.batch_processes * CLAIM_PER_PROCESS - waiting
    return max(0, batches) * settings.batch_size


async def fail_stalled_jobs(app: Any, settings: Settings) -> list[int]:
    """Batch jobs left ``doing`` by a worker that stopped beating: ``failed``, not retried in
    place (their runs are failed by the lease, their sources due again)."""
    from procrastinate.jobs import Status

    stalled = await app.job_manager.get_stalled_jobs(
        queue=CRAWL_QUEUE, seconds_since_heartbeat=max(settings.lease, 30.0)
    )
    failed = []
    for job in stalled:
        await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
        failed.append(job.id)
    if failed:
        logger.warning("batch jobs of dead workers marked failed: %s", failed)
    return failed


async def tick(app: Any, settings: Settings) -> dict[str, Any]:
    """One tick (see the module's docstring); returns what it did, for the job's result."""
    from procrastinate.exceptions import AlreadyEnqueued

    from kn_crawl.db.engine import get_engine

    engine = get_engine(settings.database_url)
    reaped = await asyncio.to_thread(reap_stale_runs, engine, settings.lease, here=settings.node)
    stalled = await fail_stalled_jobs(app, settings)
    limit = await asyncio.to_thread(claim_limit, engine, settings)
    claim = await asyncio.to_thread(
        claim_due, engine, node=settings.node, lease_s=settings.lease, limit=limit
    )
    deferred: list[int] = []
    queued_already: list[str] = []
    for batch in plan_batches(claim.sources, settings.batch_size):
        try:
            job_id = await app.configure_task(
                CRAWL_TASK, queueing_lock=batch.key, queue=CRAWL_QUEUE
            ).defer_async(
                sources=list(batch.sources),
                hosts=list(batch.hosts),
                claimed_at=claim.claimed_at.isoformat() if claim.claimed_at else None,
            )
        except AlreadyEnqueued:
            queued_already += batch.sources
            continue
        except BaseException:
            # Not deferred (the database went away): due again at once, not after the lease.
            await asyncio.to_thread(release_claim, engine, batch.sources)
            raise
        deferred.append(job_id)
    if queued_already:
        await asyncio.to_thread(release_claim, engine, queued_already)
    if deferred or reaped or stalled:
        logger.info(
            "tick: %d sources claimed in %d batches, %d runs failed (stale), %d stalled jobs",
            len(claim.sources) - len(queued_already),
            len(deferred),
            len(reaped),
            len(stalled),
        )
    return {
        "claimed": len(claim.sources),
        "batches": deferred,
        "already_queued": queued_already,
        "stale_runs": list(reaped),
        "stalled_jobs": stalled,
    }


async def tick_task(context: Any, timestamp: int) -> dict[str, Any]:
    """The periodic task (procrastinate passes the tick's time as ``timestamp``). A tick that
    loses the database (a restart) is one line in the log, not a traceback: the next tick
    does the same work again."""
    from procrastinate.exceptions import ConnectorException
    from sqlalchemy.exc import OperationalError

    from kn_crawl.db.engine import get_engine
    from kn_crawl.db.errors import db_error_line

    settings = Settings.from_env()
    # A catalogue or schedule change reaches the running cluster here: written when it
    # changed since this worker last wrote it; a bad file is one line and keeps the last
    # good state. Never raises.
    await asyncio.to_thread(refresh_catalog, get_engine(settings.database_url), settings)
    try:
        return await tick(context.app, settings)
    except OperationalError as exc:
        logger.warning("tick skipped, the database is unreachable: %s", db_error_line(exc))
        return {"error": db_error_line(exc)}
    except ConnectorException as exc:
        line = " ".join(str(exc).split())[:200]
        logger.warning("tick skipped, the job queue is unreachable: %s", line)
        return {"error": line}
