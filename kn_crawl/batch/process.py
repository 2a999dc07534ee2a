"""One batch in this process: one Twisted reactor, one Scrapy crawler per source.

Each source keeps what a crawl of its own would have: its spider's settings and politeness
(per-site concurrency, AutoThrottle, robots.txt), its own ``crawl_runs`` row (``batch`` set to
the batch id, ``host`` to this node) and its own failures — a dead site fails its run alone.
What the batch shares is the process: interpreter, Scrapy and the database engine start once
for all its sources, which is most of an unchanged refresh's cost.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from kn_crawl.batch.ownership import ownership_for
from kn_crawl.batch.plan import Batch
from kn_crawl.crawling.runner import CrawlOutcome, crawl_here
from kn_crawl.db.engine import get_engine
from kn_crawl.db.errors import check_writable
from kn_crawl.db.migrate import require_current
from kn_crawl.db.models import Source, table_of
from kn_crawl.db.runs import BUSY_REASON, record_skipped
from kn_crawl.settings import ConfigError, Settings
from kn_crawl.sources import spider_for

logger = logging.getLogger(__name__)
sources_t = table_of(Source)


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

    The batch first takes its web hosts (``kn_crawl.batch.ownership``); a source whose host
    another process holds is not crawled but recorded as a ``skipped`` run (``host_busy``)
    and is due again after one tick. Raises ``SchemaBehind`` for a database behind the code
    and ``DatabaseNotWritable`` for one that cannot take results, before any request.
    """
    engine = get_engine(settings.database_url)
    require_current(engine)
    check_writable(engine)
    known: list[str] = []
    outcomes: dict[str, CrawlOutcome] = {}
    for name in batch.sources:
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
    ownership = ownership_for(engine, settings)
    _owned, busy = ownership.acquire(batch.hosts)
    try:
        crawl = []
        for name in known:
            row = rows.get(name)
            if row is not None and (row.host or "") in busy:
                outcomes[name] = _skip(engine, row, settings, batch_id)
            else:
                crawl.append(name)
        if crawl:
            done = crawl_here(
                crawl,
                settings,
                dict(base_urls or {}),
                dict(extra_settings or {}),
                full,
                batch_id=batch_id,
            )
            outcomes.update((o.source, o) for o in done)
    finally:
        ownership.release()
    return [outcomes[name] for name in batch.sources]


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
    logger.info("%s skipped: its host %s is being crawled by another run", row.name, row.host)
    return CrawlOutcome(row.name, run_id, BUSY_REASON)
