"""One batch in this process: one Twisted reactor, one Scrapy crawler per source.

Each source keeps what a crawl of its own would have: its spider's settings and politeness
(per-site concurrency, AutoThrottle, robots.txt), its own ``crawl_runs`` row (``batch`` set to
the batch id, ``host`` to this node) and its own failures — a dead site fails its run alone.
What the batch shares is the process: interpreter, Scrapy and the database engine start once
for all its sources, which is most of an unchanged refresh's cost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from kn_crawl.batch.ownership import ownership_for
from kn_crawl.batch.plan import Batch, host_of
from kn_crawl.crawling.runner import CrawlOutcome, crawl_here
from kn_crawl.db.engine import get_engine
from kn_crawl.db.errors import check_writable
from kn_crawl.db.migrate import require_current
from kn_crawl.db.models import CrawlRun, Source, table_of
from kn_crawl.db.runs import BUSY_REASON, record_skipped
from kn_crawl.settings import ConfigError, Settings
from kn_crawl.sources import spider_for

logger = logging.getLogger(__name__)
sources_t = table_of(Source)
runs_t = table_of(CrawlRun)


def run_batch(
    batch: Batch,
    settings: Settings,
    *,
    batch_id: str,
    base_urls: Mapping[str, str] | None = None,
    full: bool = False,
    extra_settings: Mapping[str, Any] | None = None,
) -> list[CrawlOutcome]:
    """Crawl the sources of ``batch`` in this process (once per process: the reactor cannot
    restart) and return one outcome per source, in the batch's order.

    The batch first takes its web hosts (:func:`crawl_owned`); a source whose host another
    process holds, or that has a run ``running`` already, is not crawled but recorded as a
    ``skipped`` run (``host_busy``) and is due again after one tick. Raises ``SchemaBehind``
    for a database behind the code and ``DatabaseNotWritable`` for one that cannot take
    results, before any request.
    """
    engine = get_engine(settings.database_url)
    require_current(engine)
    check_writable(engine)
    urls = dict(base_urls or {})
    extra = dict(extra_settings or {})

    def crawl(names: list[str]) -> list[CrawlOutcome]:
        return crawl_here(names, settings, urls, extra, full, batch_id=batch_id)

    return crawl_owned(batch.sources, settings, batch_id=batch_id, base_urls=urls, crawl=crawl)


def crawl_owned(
    sources: Sequence[str],
    settings: Settings,
    *,
    batch_id: str,
    base_urls: Mapping[str, str],
    crawl: Callable[[list[str]], list[CrawlOutcome]],
) -> list[CrawlOutcome]:
    """The ownership step every crawl path takes (a batch, ``kn-crawl crawl``): own the web
    hosts of ``sources`` for as long as ``crawl`` runs, and crawl only the sources whose
    host was taken and that no other run is crawling (a ``running`` run of the source, or
    of another source of its host: on SQLite, where every host is owned, this is what keeps
    a hand crawl off a scheduler's batch). The others get a ``skipped`` run
    (``host_busy``). One outcome per source, in the order given."""
    engine = get_engine(settings.database_url)
    known: list[str] = []
    outcomes: dict[str, CrawlOutcome] = {}
    for name in sources:
        try:
            spider_for(name)
        except ConfigError as exc:
            # Left the catalogue between the tick and now: nothing to crawl, no run.
            logger.error("batch %s: %s", batch_id, exc)
            outcomes[name] = CrawlOutcome(name, None, "unknown source")
        else:
            known.append(name)
    with engine.connect() as conn:
        rows = {
            r.name: r
            for r in conn.execute(
                select(
                    sources_t.c.id, sources_t.c.name, sources_t.c.host, sources_t.c.base_url
                ).where(sources_t.c.name.in_(known))
            ).all()
        }
    # The host a source's requests go to: its --base-url's (a mirror) when one is given.
    hosts = {
        name: host_of(base_urls[name]) if name in base_urls else (row.host or "")
        for name, row in rows.items()
    }
    ownership = ownership_for(engine, settings)
    _owned, busy = ownership.acquire([h for h in dict.fromkeys(hosts.values()) if h])
    try:
        taken = _crawled_elsewhere(engine, rows, hosts)
        crawl_now = []
        for name in known:
            row = rows.get(name)
            if row is not None and (hosts[name] in busy or row.id in taken):
                outcomes[name] = _skip(engine, row, settings, batch_id)
            else:
                crawl_now.append(name)
        if crawl_now:
            outcomes.update((o.source, o) for o in crawl(crawl_now))
    finally:
        ownership.release()
    return [outcomes[name] for name in sources]


def _crawled_elsewhere(engine: Any, rows: Mapping[str, Any], hosts: Mapping[str, str]) -> set[int]:
    """Of the sources ``rows`` (crawled at ``hosts``), the ids of those another run is
    crawling now: a run ``running`` of the source itself, or of a source of the same web
    host — its catalogue host, or the host the running run really fetches from (its
    ``base_url``: a ``--base-url`` mirror puts several sources on one host)."""
    if not rows:
        return set()
    with engine.connect() as conn:
        running = conn.execute(
            select(runs_t.c.source_id, runs_t.c.base_url, sources_t.c.host)
            .join(sources_t, sources_t.c.id == runs_t.c.source_id)
            .where(runs_t.c.status == "running")
        ).all()
    ids = {r.source_id for r in running}
    busy_hosts = {h for r in running for h in (r.host or "", host_of(r.base_url or "")) if h}
    return {
        row.id
        for name, row in rows.items()
        if row.id in ids or (row.host or "") in busy_hosts or hosts.get(name, "") in busy_hosts
    }


def _skip(engine: Any, row: Any, settings: Settings, batch_id: str) -> CrawlOutcome:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        run_id = record_skipped(
            conn,
            source_id=row.id,
            base_url=row.base_url,
            now=now,
            host=settings.node or None,
            batch=batch_id,
        )
        # Not a failure and not a crawl: the source is due again at the next tick.
        conn.execute(
            update(sources_t)
            .where(sources_t.c.id == row.id)
            .values(next_due_at=now + timedelta(seconds=settings.tick))
        )
    logger.warning(
        "%s skipped: it or its host %s is being crawled by another run", row.name, row.host
    )
    return CrawlOutcome(row.name, run_id, BUSY_REASON)
