"""A batch in a child process that is cheap to start, with a hard timeout.

A Twisted reactor runs once per process, so every batch needs a process of its own; starting
one the classic way (``python -m kn_crawl crawl``: interpreter, Scrapy, lxml, our spiders)
costs ~2.4 CPU-seconds, far more than the refresh itself. Children are therefore forked from
a *forkserver* (``multiprocessing``) that imported those modules once: a clean server process
started with no threads, no database connection, no socket and no reactor installed, so each
fork starts with nothing to inherit but the imports.

The child gets the batch and a snapshot of the ``KN_*`` environment through the forkserver's
pipe, never on a command line or in a process title (the database URL may hold a password).
Whatever happens to it — it ends, crashes, is killed, overruns its timeout (SIGTERM, then
SIGKILL after the grace) or the node shuts down — every run it left ``running`` gets a final
status, found by the batch id (``crawl_runs.batch``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.context import ForkServerContext
from typing import Any

from sqlalchemy import update

from kn_crawl.batch.plan import Batch
from kn_crawl.crawling.run import status_from_outside
from kn_crawl.db.engine import get_engine
from kn_crawl.db.models import CrawlRun, table_of
from kn_crawl.db.runs import finalize_batch
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)
runs_t = table_of(CrawlRun)

# Imported once by the forkserver, so a batch child starts with them loaded. Importing them
# installs no reactor (Scrapy installs its asyncio reactor when the crawl starts) and opens
# nothing.
PRELOAD = [
    "kn_crawl.batch.process",
    "kn_crawl.crawling.runner",
    "kn_crawl.crawling.recorder",
    "kn_crawl.crawling.robots",
    "kn_crawl.crawling.backfill",
    "kn_crawl.crawling.origin_guard",
    "kn_crawl.crawling.conditional",
    "kn_crawl.crawling.ratelimit",
    "kn_crawl.crawling.reading",
    "kn_crawl.db.store",
    "pipelines.normalize",
    "pipelines.validate",
    "pipelines.vocabulary",
    "pipelines.dedupe",
    "pipelines.store",
    "spiders.generic",
    "spiders.news",
    "spiders.typo3",
    "spiders.wordpress",
    "spiders.k21",
    "scrapy.crawler",
    "scrapy.core.downloader.handlers.http11",
    "scrapy.extensions.throttle",
    "scrapy.downloadermiddlewares.httpcompression",
    "scrapy.downloadermiddlewares.retry",
    "scrapy.downloadermiddlewares.redirect",
    "protego",
    "sqlalchemy.dialects.sqlite",
]

EXIT_REFUSED = 2
"""The batch child's exit code when it refused to start (a database behind the code, not
writable, a bad setting): it recorded no run."""

_lock = threading.Lock()
_context: ForkServerContext | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    batch: Batch
    batch_id: str
    returncode: int | None
    timed_out: bool
    interrupted: bool
    run_ids: tuple[int, ...]
    """Every run of the batch (skipped ones too), each with a final status."""
    seconds: float


def forkserver() -> ForkServerContext:
    """The process's forkserver context, its preload set once (the server itself starts
    with the first batch)."""
    global _context
    with _lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_preloadable())
            _context = context
        return _context


def _preloadable() -> list[str]:
    # The spiders and pipelines packages live beside kn_crawl (the repository root); a
    # module that is not importable here would only be skipped by the server anyway.
    import importlib.util

    names = []
    for name in PRELOAD:
        try:
            if importlib.util.find_spec(name) is not None:
                names.append(name)
        except ModuleNotFoundError:
            continue
    return names


def _child(
    batch: Batch,
    env: Mapping[str, str],
    batch_id: str,
    base_urls: Mapping[str, str],
    full: bool,
    extra: Mapping[str, Any],
) -> None:
    # The forkserver's environment is that of the process that started it, maybe long ago:
    # the batch runs with the KN_* settings of the process that launched it.
    for key in [k for k in os.environ if k.startswith("KN_")]:
        del os.environ[key]
    os.environ.update(env)
    from kn_crawl.batch.process import run_batch
    from kn_crawl.db.errors import DatabaseNotWritable
    from kn_crawl.db.migrate import SchemaBehind
    from kn_crawl.settings import ConfigError, redact_secrets

    try:
        settings = Settings.from_env()
        run_batch(
            batch, settings, batch_id=batch_id, base_urls=base_urls, full=full, extra_settings=extra
        )
    except (SchemaBehind, DatabaseNotWritable, ConfigError) as exc:
        line = redact_secrets(" ".join(str(exc).split()), os.environ)
        print(f"kn-crawl: error: batch {batch_id}: {line}", file=sys.stderr, flush=True)
        sys.exit(EXIT_REFUSED)


def launch_batch(
    batch: Batch,
    settings: Settings,
    *,
    batch_id: str,
    timeout: float,
    stop: threading.Event,
    grace: float,
    base_urls: Mapping[str, str] | None = None,
    full: bool = False,
    extra_settings: Mapping[str, Any] | None = None,
) -> BatchResult:
    """Run ``batch`` in a forked child and wait for it; never leaves a run ``running``.

    ``timeout``: seconds before the child is stopped (SIGTERM, SIGKILL 30 s later at most);
    ``stop`` set: the node shuts down, the child may finish within ``grace`` seconds."""
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k.startswith("KN_")}
    child = forkserver().Process(
        target=_child,
        args=(batch, env, batch_id, dict(base_urls or {}), full, dict(extra_settings or {})),
        name=f"kn-crawl batch {batch_id}",
    )
    child.start()
    timed_out = interrupted = False
    stop_seen_at: float | None = None
    while child.is_alive():
        child.join(0.1)
        if not child.is_alive():
            break
        if time.monotonic() - started > timeout:
            logger.warning("batch %s: exceeded %.0f s, stopping it", batch_id, timeout)
            timed_out = True
            _stop(child, grace=min(grace, 30.0))
            break
        if stop.is_set():
            stop_seen_at = stop_seen_at or time.monotonic()
            if time.monotonic() - stop_seen_at > grace:
                logger.warning("batch %s: still running after the grace period, stopping", batch_id)
                interrupted = True
                _stop(child, grace=10.0)
                break
    child.join()
    returncode = child.exitcode
    if timed_out:
        reason = f"no end after {timeout:.0f} s"
    elif interrupted:
        reason = "scheduler shut down"
    else:
        reason = f"crawl process ended with code {returncode}"
    if returncode == EXIT_REFUSED and not (timed_out or interrupted):
        # Refused before its first run (it said why on stderr): nothing to finalize, and the
        # database may be one this code cannot read (behind the code).
        return BatchResult(
            batch, batch_id, returncode, False, False, (), time.monotonic() - started
        )
    status = status_from_outside(timed_out=timed_out, interrupted=interrupted)
    engine = get_engine(settings.database_url)
    now = datetime.now(UTC)
    ids = finalize_batch(engine, batch_id, status=status, reason=reason, now=now)
    if timed_out or interrupted:
        # A child stopped by SIGTERM closes its runs itself as "interrupted" (Scrapy's
        # "shutdown"); the parent knows the real reason.
        with engine.begin() as conn:
            conn.execute(
                update(runs_t)
                .where(runs_t.c.batch == batch_id, runs_t.c.finish_reason == "shutdown")
                .values(status=status, finish_reason=reason)
            )
    return BatchResult(
        batch, batch_id, returncode, timed_out, interrupted, ids, time.monotonic() - started
    )


def _stop(child: multiprocessing.process.BaseProcess, grace: float) -> None:
    """SIGTERM (Scrapy shuts down gracefully, closing its runs), then SIGKILL."""
    child.terminate()
    child.join(grace)
    if child.is_alive():
        child.kill()
        child.join()
