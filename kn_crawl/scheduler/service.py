"""The long-running scheduler of one node: an APScheduler 3 job that ticks every
``KN_TICK`` seconds and dispatches batches of due sources.

Each tick closes the runs dead processes left ``running``, selects the due sources
(``sources.next_due_at``, set by each run's end from the source's schedule), plans batches
(``KN_BATCH_SIZE`` sources, all sources of one host together) and launches as many as there
are free batch processes (``KN_BATCH_PROCESSES``), each in a cheap child process
(``kn_crawl.batch.launch``). After each batch the after-run hooks run for its runs, each
failure recorded. A source never runs twice at once (a source with a ``running`` run is not
due, a claimed one waits for its batch); missed runs coalesce (a source overdue for a day is
due once); on SIGTERM/SIGINT no new batch starts, running batches get the grace period, and
every run ends with a recorded status.
"""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor as Pool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, func, select

from kn_crawl.batch.due import claim, due_sources
from kn_crawl.batch.launch import BatchResult, launch_batch
from kn_crawl.batch.plan import Batch, plan_batches
from kn_crawl.catalog.refresh import refresh_catalog
from kn_crawl.dates import BERLIN
from kn_crawl.db import runs
from kn_crawl.db.models import CrawlRun, Source, table_of
from kn_crawl.hooks import run_after_run_hooks
from kn_crawl.scheduler.config import ScheduleConfig
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)
runs_t = table_of(CrawlRun)


def close_stale_runs(engine: Engine, *, now: datetime, here: str | None = None) -> int:
    """Runs left "running" by a process that no longer exists (killed, crashed, power loss)
    are marked failed (finish_reason ``stale``; the rule is in kn_crawl.db.runs)."""
    return len(runs.close_stale_runs(engine, now=now, here=here))


def last_success(engine: Engine) -> dict[str, datetime]:
    """Each source's last ``ok`` run (skipped runs are not successes)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Source.name, func.max(CrawlRun.started_at))
            .join(CrawlRun, CrawlRun.source_id == Source.id)
            .where(CrawlRun.status == "ok")
            .group_by(Source.name)
        ).all()
    return {name: started for name, started in rows}


@dataclass
class Scheduler:
    engine: Engine
    settings: Settings
    config: ScheduleConfig
    stop: threading.Event = field(default_factory=threading.Event)
    watch_catalog: bool = False
    """Write the catalogue at each tick when it changed (``kn-crawl schedule``)."""
    schedule_file: Path | None = None
    results: list[BatchResult] = field(default_factory=list)
    _busy: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pool: Pool | None = None

    def run_batch(self, batch: Batch) -> BatchResult | None:
        """One batch in a child, then the after-run hooks of its runs. Never raises."""
        batch_id = uuid.uuid4().hex
        try:
            if self.stop.is_set():
                return None
            logger.info("batch %s starting: %s", batch_id, ", ".join(batch.sources))
            try:
                result = launch_batch(
                    batch,
                    self.settings,
                    batch_id=batch_id,
                    timeout=self.config.timeout,
                    stop=self.stop,
                    grace=self.config.shutdown_grace,
                )
            except Exception:
                logger.exception("batch %s: could not run it", batch_id)
                return None
            self.results.append(result)
            logger.info(
                "batch %s ended (code %s, %.1f s, runs %s)",
                batch_id,
                result.returncode,
                result.seconds,
                list(result.run_ids),
            )
            if result.run_ids:
                for outcome in run_after_run_hooks(self.engine, self.settings, result.run_ids):
                    if not outcome.ok:
                        logger.error("batch %s: after-run hook %s failed", batch_id, outcome.name)
            return result
        finally:
            with self._lock:
                self._busy -= 1

    def tick(self, *, now: datetime | None = None) -> list[Future[BatchResult | None]]:
        """Close stale runs, claim due sources for the free batch processes, launch their
        batches (in the background) and return them."""
        if self.stop.is_set():
            return []
        now = now or datetime.now(UTC)
        node = self.settings.node or None
        if self.watch_catalog:
            refresh_catalog(self.engine, self.settings, self.schedule_file)
        close_stale_runs(self.engine, now=now, here=node)
        with self._lock:
            free = self.settings.batch_processes - self._busy
        if free <= 0:
            return []
        size = self.settings.batch_size
        with self.engine.begin() as conn:
            due = due_sources(conn, now, free * size)
            batches = plan_batches(due, size)[:free]
            claim(
                conn,
                [name for b in batches for name in b.sources],
                self.settings.node,
                now,
                # Not due again while its batch starts; the run's end sets the real time.
                hold=self.settings.lease,
            )
        futures = []
        for batch in batches:
            with self._lock:
                self._busy += 1
            futures.append(self._executor().submit(self.run_batch, batch))
        return futures

    def _executor(self) -> Pool:
        if self._pool is None:
            self._pool = Pool(
                max_workers=self.settings.batch_processes, thread_name_prefix="kn-batch"
            )
        return self._pool

    def run_due_once(self, *, now: datetime | None = None) -> list[BatchResult]:
        """``--once``: ticks until no source is due, each tick's batches run to their end."""
        results: list[BatchResult] = []
        seen: set[str] = set()
        while not self.stop.is_set():
            futures = self.tick(now=now)
            done = [r for f in futures if (r := f.result()) is not None]
            fresh = [r for r in done if not set(r.batch.sources) & seen]
            if not fresh:
                break
            for result in fresh:
                seen.update(result.batch.sources)
            results += fresh
        return results

    def build(self) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            timezone=BERLIN,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(self.config.misfire_grace),
            },
        )
        scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.settings.tick, timezone=BERLIN),
            id="tick",
            name="tick",
            next_run_time=datetime.now(UTC),
        )
        return scheduler

    def serve(self) -> None:
        """Run until SIGTERM/SIGINT."""
        scheduler = self.build()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            logger.info(
                "signal %s: no new batches; running batches get %.0f s",
                signum,
                self.config.shutdown_grace,
            )
            self.stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            scheduler.start()
            logger.info(
                "ticking every %.0f s: batches of %d sources, %d at once",
                self.settings.tick,
                self.settings.batch_size,
                self.settings.batch_processes,
            )
            self.stop.wait()
            scheduler.shutdown(wait=True)
            if self._pool is not None:
                self._pool.shutdown(wait=True)  # running batches honour the grace
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            close_stale_runs(self.engine, now=datetime.now(UTC), here=self.settings.node or None)
