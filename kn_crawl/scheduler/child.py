"""One crawl of one source in a child process, with a hard timeout.

The Twisted reactor cannot be restarted in a process, and a child also isolates memory and
crashes. The child is ``kn-crawl crawl SOURCE --no-hooks``; its crawl run row carries its
pid, so whatever happens to the child, the parent can give that row a final status.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update

from kn_crawl.crawling.run import status_from_outside
from kn_crawl.db.models import CrawlRun, table_of
from kn_crawl.db.runs import finalize_runs

logger = logging.getLogger(__name__)
runs_t = table_of(CrawlRun)


@dataclass(frozen=True, slots=True)
class ChildResult:
    source: str
    returncode: int
    timed_out: bool
    interrupted: bool
    run_ids: tuple[int, ...]
    seconds: float


def _stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM (Scrapy shuts down gracefully), then SIGKILL after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_child(
    source: str,
    engine: Engine,
    *,
    timeout: float,
    stop: threading.Event,
    grace: float,
    full: bool = False,
) -> ChildResult:
    started = time.monotonic()
    # A second of slack: the child's clock reading and ours are not the same instant.
    started_at = datetime.now(UTC) - timedelta(seconds=1)
    command = [sys.executable, "-m", "kn_crawl", "crawl", source, "--no-hooks"]
    if full:
        command.append("--full")
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=None,  # the child's log goes where the scheduler's goes
        env=os.environ.copy(),
    )
    timed_out = interrupted = False
    stop_seen_at: float | None = None
    while proc.poll() is None:
        time.sleep(0.1)
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            logger.warning("%s: crawl exceeded %.0f s, stopping it", source, timeout)
            timed_out = True
            _stop(proc, grace=min(grace, 30.0))
            break
        if stop.is_set():
            # Shutting down: let the crawl finish within the grace period, then stop it.
            stop_seen_at = stop_seen_at or time.monotonic()
            if time.monotonic() - stop_seen_at > grace:
                logger.warning("%s: crawl still running after the grace period, stopping", source)
                interrupted = True
                _stop(proc, grace=10.0)
                break
    returncode = proc.wait()
    now = datetime.now(UTC)
    if timed_out:
        reason = f"no end after {timeout:.0f} s"
    elif interrupted:
        reason = "scheduler shut down"
    else:
        reason = f"crawl process ended with code {returncode}"
    status = status_from_outside(timed_out=timed_out, interrupted=interrupted)
    ids = finalize_runs(engine, proc.pid, since=started_at, status=status, reason=reason, now=now)
    if timed_out or interrupted:
        # The child may have closed its run itself ("interrupted") before being stopped;
        # the scheduler knows the real reason.
        with engine.begin() as conn:
            conn.execute(
                update(runs_t)
                .where(runs_t.c.id.in_(ids))
                .values(status=status, finish_reason=reason)
            )
    return ChildResult(source, returncode, timed_out, interrupted, ids, time.monotonic() - started)
