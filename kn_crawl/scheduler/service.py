"""The long-running scheduler: APScheduler 3 jobs, one per enabled source.

Each job runs the source's crawl in a child process and blocks until it ends, so with
``max_instances=1`` a source never runs twice at once; missed runs coalesce into one; the
misfire grace is generous (APScheduler's default of one second silently drops late runs).
After each run the after-run hooks run, each failure recorded. On SIGTERM/SIGINT no new runs
start, running crawls get the grace period, and every run ends with a recorded status.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, func, select

from kn_crawl.dates import BERLIN
from kn_crawl.db import runs
from kn_crawl.db.models import CrawlRun, Source, table_of
from kn_crawl.hooks import run_after_run_hooks
from kn_crawl.scheduler.child import ChildResult, run_child
from kn_crawl.scheduler.config import ScheduleConfig, SourceSchedule
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)
runs_t = table_of(CrawlRun)


def close_stale_runs(engine: Engine, *, now: datetime) -> int:
    """Runs left "running" by a process that no longer exists (killed, crashed, power loss)
    are marked failed (finish_reason ``stale``; the rule is in kn_crawl.db.runs)."""
    return len(runs.close_stale_runs(engine, now=now))


def last_success(engine: Engine) -> dict[str, datetime]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Source.name, func.max(CrawlRun.started_at))
            .join(CrawlRun, CrawlRun.source_id == Source.id)
            .where(CrawlRun.status == "ok")
            .group_by(Source.name)
        ).all()
    return {name: started for name, started in rows}


def is_due(schedule: SourceSchedule, last_ok: datetime | None, now: datetime) -> bool:
    """Due when it never succeeded, or its last success is older than its interval (for a
    cron schedule: when a fire time passed since the last success)."""
    if last_ok is None:
        return True
    if schedule.interval is not None:
        return now - last_ok >= timedelta(seconds=schedule.interval)
    assert schedule.cron is not None
    trigger = CronTrigger.from_crontab(schedule.cron, timezone=BERLIN)
    fire = trigger.get_next_fire_time(None, last_ok.astimezone(BERLIN))
    return fire is not None and fire <= now


def trigger_for(schedule: SourceSchedule) -> BaseTrigger:
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=BERLIN)
    assert schedule.interval is not None
    return IntervalTrigger(
        seconds=schedule.interval, jitter=schedule.jitter or None, timezone=BERLIN
    )


@dataclass
class Scheduler:
    engine: Engine
    settings: Settings
    config: ScheduleConfig
    stop: threading.Event = field(default_factory=threading.Event)
    results: list[ChildResult] = field(default_factory=list)

    def run_source(self, name: str) -> ChildResult | None:
        """One job: the crawl in a child, then the after-run hooks. Never raises."""
        if self.stop.is_set():
            return None
        schedule = self.config.sources[name]
        logger.info("%s: crawl starting", name)
        try:
            result = run_child(
                name,
                self.engine,
                timeout=schedule.timeout,
                stop=self.stop,
                grace=self.config.shutdown_grace,
            )
        except Exception:
            logger.exception("%s: could not run the crawl", name)
            return None
        self.results.append(result)
        logger.info(
            "%s: crawl ended (code %s, %.1f s, runs %s)",
            name,
            result.returncode,
            result.seconds,
            list(result.run_ids),
        )
        if result.run_ids:
            for outcome in run_after_run_hooks(self.engine, self.settings, result.run_ids):
                if not outcome.ok:
                    logger.error("%s: after-run hook %s failed", name, outcome.name)
        return result

    def run_due_once(self, *, now: datetime | None = None) -> list[ChildResult]:
        """``--once``: every due source once, one after another."""
        now = now or datetime.now(UTC)
        close_stale_runs(self.engine, now=now)
        last = last_success(self.engine)
        results = []
        for schedule in self.config.enabled():
            if self.stop.is_set():
                break
            if is_due(schedule, last.get(schedule.name), now):
                result = self.run_source(schedule.name)
                if result is not None:
                    results.append(result)
        return results

    def build(self, *, now: datetime | None = None) -> BackgroundScheduler:
        now = now or datetime.now(UTC)
        sources = self.config.enabled()
        scheduler = BackgroundScheduler(
            timezone=BERLIN,
            executors={"default": ThreadPoolExecutor(max_workers=max(len(sources), 1))},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(self.config.misfire_grace),
            },
        )
        last = last_success(self.engine)
        for i, schedule in enumerate(sources):
            # Catch-up after downtime: a source whose last success is older than its
            # interval runs now (staggered by a second each), once — not once per missed run.
            if is_due(schedule, last.get(schedule.name), now):
                first = now + timedelta(seconds=i)
            elif schedule.interval is not None:
                first = last[schedule.name] + timedelta(seconds=schedule.interval)
            else:
                first = None
            scheduler.add_job(
                self.run_source,
                trigger_for(schedule),
                args=[schedule.name],
                id=schedule.name,
                name=f"crawl {schedule.name}",
                **({"next_run_time": first} if first is not None else {}),
            )
        return scheduler

    def serve(self) -> None:
        """Run until SIGTERM/SIGINT."""
        close_stale_runs(self.engine, now=datetime.now(UTC))
        scheduler = self.build()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            logger.info(
                "signal %s: no new runs; running crawls get %.0f s",
                signum,
                self.config.shutdown_grace,
            )
            self.stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            scheduler.start()
            for job in scheduler.get_jobs():
                logger.info("scheduled %s, next run %s", job.name, job.next_run_time)
            self.stop.wait()
            scheduler.shutdown(wait=True)  # waits for running jobs (they honour the grace)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            close_stale_runs(self.engine, now=datetime.now(UTC))
