"""Conditional requests for feeds and listings (ETag / Last-Modified), plus a body hash.

A request marked ``meta["kn_conditional"] = True`` carries the validators stored for its URL;
a ``304`` or a body identical to last time sets ``meta["kn_unchanged"] = True`` for the
spider. New validators are saved when the spider closes, and only after a run that finished
without store failures: otherwise a listing would look "unchanged" next time while some of
its articles were never stored.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from kn_crawl.cluster.fence import RunFenced, fence
from kn_crawl.cluster.lease import lose_lease
from kn_crawl.crawling.run import results_trustworthy, run_of
from kn_crawl.crawling.signals import page_failed
from kn_crawl.db.engine import get_engine
from kn_crawl.db.errors import db_error_line
from kn_crawl.db.models import Source, table_of
from kn_crawl.db.reconnect import REACTOR_BUDGET_S, retrying
from kn_crawl.db.state_models import HttpValidator
from kn_crawl.db.upsert import upsert
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)

validators_t = table_of(HttpValidator)

# Notes about a page that was read but gave nothing to follow.
RECHECK_NOTES = frozenset({"no_articles_matched", "bad_feed"})


class ConditionalRequestsMiddleware:
    def __init__(self, crawler: Crawler, engine: Engine) -> None:
        self.crawler = crawler
        self.engine = engine
        self.stored: dict[str, tuple[str | None, str | None, str | None]] = {}
        self.seen: dict[str, tuple[str | None, str | None, str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("KN_CONDITIONAL_REQUESTS", True):
            raise NotConfigured
        mw = cls(crawler, get_engine(Settings.from_env().database_url))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(mw.page_failed, signal=page_failed)
        return mw

    def spider_opened(self, spider: Spider) -> None:
        try:
            rows = self._validators(spider)
        except SQLAlchemyError as exc:
            # The database went away after the run started: no validators, every page is
            # fetched whole (the crawl's writes find out about the database themselves).
            logger.error("validators of %s not read: %s", spider.name, db_error_line(exc))
            rows = []
        self.stored = {url: (etag, lm, h) for url, etag, lm, h in rows}

    def _validators(self, spider: Spider) -> list[Any]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(
                        validators_t.c.url,
                        validators_t.c.etag,
                        validators_t.c.last_modified,
                        validators_t.c.body_hash,
                    )
                    .join(Source, Source.id == validators_t.c.source_id)
                    .where(Source.name == spider.name)
                ).all()
            )

    def process_request(self, request: Request) -> None:
        if not request.meta.get("kn_conditional"):
            return
        request.meta.setdefault("handle_httpstatus_list", [304])
        if getattr(self.crawler.spider, "full", False):
            return  # a full crawl looks at everything
        etag, last_modified, _ = self.stored.get(request.url, (None, None, None))
        if etag:
            request.headers.setdefault(b"If-None-Match", etag.encode("latin-1"))
        if last_modified:
            request.headers.setdefault(b"If-Modified-Since", last_modified.encode("latin-1"))

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get("kn_conditional"):
            return response
        stats = self.crawler.stats
        assert stats is not None
        if response.status == 304:
            request.meta["kn_unchanged"] = True
            stats.inc_value("kn/not_modified")
            return response
        if response.status != 200:
            return response
        body_hash = hashlib.sha256(response.body).hexdigest()
        _, _, old_hash = self.stored.get(request.url, (None, None, None))
        if old_hash == body_hash and not getattr(self.crawler.spider, "full", False):
            # Same bytes as last time, whatever the validators say.
            request.meta["kn_unchanged"] = True
            stats.inc_value("kn/unchanged_body")
        etag = response.headers.get(b"ETag")
        last_modified = response.headers.get(b"Last-Modified")
        self.seen[request.url] = (
            etag.decode("latin-1") if etag else None,
            last_modified.decode("latin-1") if last_modified else None,
            body_hash,
        )
        return response

    def page_failed(
        self, url: str, stage: str, reason: str, detail: str | None = None, note: bool = False
    ) -> None:
        """A page the spider could not use (a feed that is a cookie wall, a listing whose
        pattern matched nothing) is not remembered as seen: the next run reads it again, and
        records (and health reports) the problem again, instead of a quiet 304."""
        if not note or reason in RECHECK_NOTES:
            self.seen.pop(url, None)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        values = stats.get_stats()
        # Transient fetch failures are retried by the next run anyway (KnownState.retry_urls);
        # what must not happen is a listing marked "seen" whose articles were never stored.
        run = run_of(self.crawler)
        if not self.seen or run is None:
            return
        source_id = run.source_id
        if not results_trustworthy(reason, values):
            logger.info("validators not saved: the run had failures (next run looks again)")
            return
        now = datetime.now(UTC)
        rows: list[dict[str, Any]] = [
            {
                "url": url,
                "source_id": source_id,
                "etag": etag,
                "last_modified": lm,
                "body_hash": body_hash,
                "checked_at": now,
            }
            for url, (etag, lm, body_hash) in self.seen.items()
        ]

        def write() -> None:
            with self.engine.begin() as conn:
                fence(conn, run.run_id)
                upsert(conn, validators_t, rows, ("url",))

        try:
            retrying(self.engine, write, what="validators", budget_s=REACTOR_BUDGET_S)
        except RunFenced as exc:
            # What this crawl saw may not stand: another process owns the source now.
            lose_lease(self.crawler, str(exc))
        except SQLAlchemyError as exc:
            # The database stayed away past the retries: the next run looks at these pages
            # again (no validator is no harm). One line, not a signal handler's traceback.
            logger.error("validators of %s not saved: %s", spider.name, db_error_line(exc))
