"""Run crawls with Scrapy's CrawlerProcess.

The Twisted reactor cannot be restarted, so one process runs one crawl session. With
``KN_CRAWL_PROCESSES`` above 1, a crawl of several sources runs each source in a child
process of its own, that many at a time: Scrapy uses one core per process, so sources side
by side can use the machine's other cores, and a source that crashes its process takes no
other source with it — at ~130 MB per process. On the 2-core development machine with one
source three times the size of the others it gained little (bench/README.md), so the
default is 1: all sources in this process. The scheduler runs batches of sources, each in
a child process of its own (``kn_crawl.batch``), through :func:`crawl_here` as well.

Every crawl is a batch: its runs share a batch id (``crawl_runs.batch``), by which the runs
this process could not close are found and closed.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from kn_crawl.crawling.recorder import BATCH_SETTING
from kn_crawl.crawling.run import LEFT_OPEN, run_of, status_from_outside
from kn_crawl.crawling.scrapy_config import scrapy_settings
from kn_crawl.db.engine import get_engine
from kn_crawl.db.errors import check_writable
from kn_crawl.db.migrate import require_current
from kn_crawl.db.runs import finalize_batch, finalize_runs
from kn_crawl.settings import Settings
from kn_crawl.sources import spider_for

logger = logging.getLogger(__name__)


INTERRUPTED = "interrupted"
"""The finish reason of a source whose crawl Ctrl-C stopped before its run was recorded."""


class _CrawlerProcess(CrawlerProcess):
    """Scrapy's process, remembering a Ctrl-C (SIGINT/SIGTERM): one that came while the
    spiders were still starting leaves some without a run, and the caller must know why."""

    interrupted = False

    def _signal_shutdown(self, signum: int, _: Any) -> None:
        self.interrupted = True
        super()._signal_shutdown(signum, _)


@contextmanager
def _ctrl_c_noted(process: _CrawlerProcess) -> Iterator[None]:
    """Until Scrapy installs its own handler (when the reactor starts), a Ctrl-C raised
    KeyboardInterrupt inside a spider's set-up, which Twisted logged and swallowed: that
    source never crawled and the others went on. Noted here instead: the crawl then does
    not start, and every source ends ``interrupted``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def note(_signum: int, _frame: Any) -> None:
        process.interrupted = True

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    source: str
    run_id: int | None
    finish_reason: str | None


def run_crawl(
    sources: Sequence[str],
    settings: Settings,
    *,
    base_urls: Mapping[str, str] | None = None,
    extra_settings: Mapping[str, Any] | None = None,
    full: bool = False,
    progress: bool = False,
) -> list[CrawlOutcome]:
    """Crawl ``sources`` now and block until all are done: as a batch does, only where this
    process owns the web host and no other run is crawling the source or its host (else a
    ``skipped`` run, ``host_busy``).

    Never migrates (``kn-crawl crawl`` upgrades before it calls this): raises
    ``SchemaBehind`` for a database behind the code, and ``DatabaseNotWritable`` before the
    first request when the database cannot take the crawl's results (a crawl that cannot
    store would fetch the whole site for nothing). ``progress``: show the crawl's progress
    on stderr (``kn_crawl.crawling.progress``; crawls in this process only).
    """
    for name in sources:
        spider_for(name)  # an unknown source fails here, before anything starts
    engine = get_engine(settings.database_url)
    require_current(engine)
    check_writable(engine)
    urls = dict(base_urls or {})
    extra = dict(extra_settings or {})
    batch_id = uuid.uuid4().hex

    def crawl(names: list[str]) -> list[CrawlOutcome]:
        if len(names) > 1 and settings.crawl_processes > 1:
            return _crawl_side_by_side(names, settings, urls, extra, full)
        return crawl_here(names, settings, urls, extra, full, batch_id=batch_id, progress=progress)

    # The batch's ownership step: this process holds the sources' web hosts while they are
    # crawled, and a source a worker or the scheduler is crawling (or a source of a host one
    # is crawling) gets a skipped run (host_busy) instead of a second crawl.
    from kn_crawl.batch.process import crawl_owned

    return crawl_owned(sources, settings, batch_id=batch_id, base_urls=urls, crawl=crawl)


def crawl_here(
    sources: Sequence[str],
    settings: Settings,
    base_urls: Mapping[str, str],
    extra_settings: Mapping[str, Any],
    full: bool,
    *,
    batch_id: str | None = None,
    progress: bool = False,
) -> list[CrawlOutcome]:
    """Crawl ``sources`` in this process (once per process: the reactor cannot restart), as
    one batch: ``batch_id``, or a new one."""
    from kn_crawl.logs import setup_crawl_logging

    batch_id = batch_id or uuid.uuid4().hex
    # Our handlers (KN_LOG_FILE, KN_LOG_FORMAT) rather than Scrapy's own on stderr; a child
    # process sets them up here from the settings its parent crawled with.
    setup_crawl_logging(settings)
    values = scrapy_settings(settings)
    values.update(extra_settings)
    values[BATCH_SETTING] = batch_id
    values["LOG_INSTALL_ROOT_HANDLER"] = False
    process = _CrawlerProcess(ScrapySettings(values))
    crawlers: list[tuple[str, Crawler]] = []
    with _ctrl_c_noted(process):
        for name in sources:
            crawler = process.create_crawler(spider_for(name))
            url = base_urls.get(name)
            process.crawl(crawler, **({"base_url": url} if url else {}), full=full)
            crawlers.append((name, crawler))
    shown = None
    if progress:
        from kn_crawl.crawling.progress import Progress

        shown = Progress(crawlers)
        shown.watch()
    if not process.interrupted:
        process.start()
    if shown is not None:
        shown.stop()
    # A Ctrl-C while a spider was still starting stops the reactor before the run recorder
    # closes that spider's run: close what this process left open.
    finalize_batch(
        get_engine(settings.database_url),
        batch_id,
        status=status_from_outside(timed_out=False, interrupted=False),
        reason=LEFT_OPEN,
        now=datetime.now(UTC),
    )
    outcomes = []
    for name, crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        run = run_of(crawler)
        outcomes.append(
            CrawlOutcome(
                source=name,
                run_id=run.run_id if run is not None else None,
                finish_reason=stats.get("finish_reason")
                or (INTERRUPTED if process.interrupted else None),
            )
        )
    return outcomes


def _child(
    name: str,
    settings: Settings,
    base_urls: Mapping[str, str],
    extra_settings: Mapping[str, Any],
    full: bool,
    results: Connection,
) -> None:
    outcome = crawl_here([name], settings, base_urls, extra_settings, full)[0]
    results.send(outcome)
    results.close()


def _crawl_side_by_side(
    sources: Sequence[str],
    settings: Settings,
    base_urls: Mapping[str, str],
    extra_settings: Mapping[str, Any],
    full: bool,
) -> list[CrawlOutcome]:
    # spawn, not fork: a forked child would inherit this process's threads, open database
    # connections and (in the demo) the mirror's sockets.
    context = multiprocessing.get_context("spawn")
    pending = list(sources)
    running: dict[Any, tuple[str, BaseProcess, Connection, datetime]] = {}
    outcomes: dict[str, CrawlOutcome] = {}
    interrupted = False
    while pending or running:
        while pending and len(running) < settings.crawl_processes:
            name = pending.pop(0)
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(
                target=_child,
                args=(name, settings, base_urls, extra_settings, full, sender),
                name=f"kn-crawl {name}",
            )
            started = datetime.now(UTC)
            child.start()
            sender.close()
            running[child.sentinel] = (name, child, receiver, started)
        try:
            finished = wait(list(running))
        except KeyboardInterrupt:
            if interrupted:
                # A second Ctrl-C: stop now.
                for _, alive, _, _ in running.values():
                    alive.terminate()
                raise
            # Ctrl-C reached the children too (same process group): they finish their
            # crawls' bookkeeping and exit. Start nothing new; wait for them.
            logger.warning("interrupted: waiting for the running crawls to stop")
            interrupted = True
            for name in pending:
                outcomes[name] = CrawlOutcome(name, None, "not started (interrupted)")
            pending.clear()
            continue
        for sentinel in finished:
            name, ended, receiver, started = running.pop(sentinel)
            outcomes[name] = _outcome_of(name, ended, receiver, started, settings)
    return [outcomes[name] for name in sources]


def _outcome_of(
    name: str, process: BaseProcess, receiver: Connection, started: datetime, settings: Settings
) -> CrawlOutcome:
    process.join()
    outcome = None
    try:
        if receiver.poll():
            received = receiver.recv()
            if isinstance(received, CrawlOutcome):
                outcome = received
    except (EOFError, OSError):
        pass
    finally:
        receiver.close()
    # Killed, crashed, or stopped before its run was closed (a Ctrl-C while it started): a
    # run it left "running" is marked failed here, so the summary shows it and nothing
    # stays "running".
    reason = f"process gone (exit code {process.exitcode})"
    if outcome is None:
        logger.error("the crawl of %s ended without a result: %s", name, reason)
    ids: tuple[int, ...] = ()
    if process.pid is not None:
        ids = finalize_runs(
            get_engine(settings.database_url),
            process.pid,
            since=started,
            status=status_from_outside(timed_out=False, interrupted=False),
            reason=reason if outcome is None else LEFT_OPEN,
            now=datetime.now(UTC),
        )
    if outcome is not None:
        return outcome
    return CrawlOutcome(source=name, run_id=ids[-1] if ids else None, finish_reason=reason)
