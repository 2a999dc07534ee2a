"""The batch job: one crawl process for the sources of a batch (``crawl_batch``).

The procrastinate worker never runs Scrapy itself (a Twisted reactor cannot restart): the
job hands the batch to ``kn_crawl.batch.launch.launch_batch``, which runs it in a child
process under the batch's host locks and gives every run the child left open a final
status. The job's id is the batch id in ``crawl_runs.batch``. After the batch, the
after-run hooks (health, alerts) run for its runs, as after the scheduler's crawls.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class WorkerState:
    """What the jobs of one ``kn-crawl worker`` share."""

    settings: Settings
    engine: Engine
    stop: threading.Event
    """Set on SIGTERM: a running batch gets ``grace`` seconds, then is stopped."""
    timeout: float
    """Hard limit of one batch (``KN_SCHEDULE_TIMEOUT``)."""
    grace: float
    """``KN_SCHEDULE_GRACE``."""
    hooks: bool = True


_state: WorkerState | None = None


def configure(state: WorkerState) -> None:
    global _state
    _state = state


def state() -> WorkerState:
    if _state is None:
        raise RuntimeError("crawl_batch runs in `kn-crawl worker` only")
    return _state


def crawled_since(engine: Engine, names: list[str], since: datetime) -> set[str]:
    """Sources of ``names`` that a run (not a skip) started for since ``since``: a job
    queued twice for them (two ticks' batches of different hosts) crawls them once."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT s.name FROM crawl_runs r JOIN sources s ON s.id = r.source_id "
                "WHERE s.name = ANY(:names) AND r.started_at >= :since AND r.status <> 'skipped'"
            ),
            {"names": names, "since": since},
        ).all()
    return {r.name for r in rows}


def crawl_batch(
    context: Any, sources: list[str], hosts: list[str], claimed_at: str | None = None
) -> dict[str, Any]:
    """Crawl one batch of sources in a child process (see the module's docstring)."""
    from kn_crawl.batch.launch import launch_batch
    from kn_crawl.batch.plan import Batch
    from kn_crawl.hooks import run_after_run_hooks

    worker = state()
    names = list(sources)
    if claimed_at is not None:
        try:
            done = crawled_since(worker.engine, names, datetime.fromisoformat(claimed_at))
        except SQLAlchemyError as exc:
            # The batch checks the database itself before it crawls; the host locks keep
            # a source crawled meanwhile from being crawled at the same time.
            logger.warning("batch %s: runs not looked up: %s", context.job.id, exc)
            done = set()
        if done:
            logger.info("already crawled since this batch was planned: %s", ", ".join(done))
        names = [n for n in names if n not in done]
    if not names:
        return {"runs": [], "skipped": list(sources)}
    batch = Batch(tuple(names), tuple(sorted(hosts)))
    result = launch_batch(
        batch,
        worker.settings,
        batch_id=str(context.job.id),
        timeout=worker.timeout,
        stop=worker.stop,
        grace=worker.grace,
    )
    if result.run_ids and worker.hooks:
        run_after_run_hooks(worker.engine, worker.settings, result.run_ids)
    return {
        "runs": list(result.run_ids),
        "returncode": result.returncode,
        "timed_out": result.timed_out,
        "interrupted": result.interrupted,
        "seconds": round(result.seconds, 3),
    }
