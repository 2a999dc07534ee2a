"""What every news spider shares: its base URL, politeness, and recording failed pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from kn_crawl.crawling.failures import download_reason
from kn_crawl.crawling.known import KnownState, load_known, signature_changed
from kn_crawl.crawling.origin import OriginPolicy
from kn_crawl.crawling.origin_guard import OriginRefused, refusal_detail
from kn_crawl.crawling.ratelimit import SourcePostponed
from kn_crawl.crawling.signals import page_failed
from kn_crawl.crawling.worker import PageWorker, page_worker
from kn_crawl.db.engine import get_engine
from kn_crawl.items import ListingEntry
from kn_crawl.settings import FULL_CRAWL_FACTOR, ConfigError, Settings


def normalize_base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"base URL {url!r} is not an absolute http(s) URL")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc.lower()}{path}"


def failure_reason(failure: Failure) -> tuple[str, str]:
    """A short reason code and a readable detail for a failed request."""
    exc = failure.value
    if failure.check(HttpError):
        status = exc.response.status
        return f"http_{status}", f"HTTP {status}"
    return download_reason(exc)


class NewsSpider(scrapy.Spider):
    """Base class: a subclass declares one source (name, title, default base URL)."""

    family: ClassVar[str]
    source_title: ClassVar[str]
    default_base_url: ClassVar[str]

    def __init__(
        self, base_url: str | None = None, full: bool | str = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        settings = Settings.from_env()
        configured = settings.base_urls.get(self.name)
        self.base_url = normalize_base_url(base_url or configured or self.default_base_url)
        # What the source may fetch and store (scheme, host and port; see crawling/origin.py),
        # enforced for every request by OriginGuardMiddleware. Scrapy's own offsite filter,
        # by host name only, stays as a second line.
        try:
            self.origin_policy = OriginPolicy.for_base_url(self.base_url)
        except ValueError as exc:  # a bad port: "http://host:99999/"
            raise ConfigError(f"base URL {self.base_url!r}: {exc}") from None
        host = urlsplit(self.base_url).hostname
        self.allowed_domains = [host] if host else []
        # -a full=1 on the command line arrives as a string.
        self.full = full is True or str(full).lower() in ("1", "true", "yes")
        self.recheck = timedelta(days=settings.recheck_days)
        # Every listing is bounded, a full crawl's too (a trap of endless pages must end).
        factor = FULL_CRAWL_FACTOR if self.full else 1
        self.max_listing_pages = settings.max_listing_pages * factor
        self.max_section_pages = settings.max_section_pages * factor
        self.max_links_per_page = settings.max_links_per_page
        self.known = KnownState()
        self.backfill = True
        # Set once the start requests have all been issued (a run stopped before that has not
        # started every listing chain; kn_crawl.crawling.backfill reads it).
        self.starts_issued = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # The page worker runs while any spider of this process is open.
        crawler.signals.connect(spider._acquire_worker, signal=signals.spider_opened)
        crawler.signals.connect(spider._release_worker, signal=signals.spider_closed)
        return spider

    @property
    def worker(self) -> PageWorker:
        return page_worker()

    async def _acquire_worker(self) -> None:
        await self.worker.acquire()

    async def _release_worker(self) -> None:
        await self.worker.release()

    def load_known(self) -> None:
        """What the database knows of this source; a first crawl (or ``full``) is a
        backfill that reads every listing page. A first crawl that ended early is continued
        from the pages it left unread (``known.resume``), or, if its process was killed
        before it could say which, walked again from the start."""
        if not self.full:
            self.known = load_known(get_engine(Settings.from_env().database_url), self.name)
        resume = [p for p in self.known.resume if self.origin_policy.allows(p.url)]
        if len(resume) < len(self.known.resume):
            # Pages left on another origin (the base URL changed since: a site moved to
            # https, a mirror): not fetched. A backfill they belonged to is walked again from
            # its first pages, so no part of the archive is skipped.
            if any(p.is_listing and p.backfill for p in self.known.resume if p not in resume):
                self.known.restart_backfill = True
            self.known.resume = resume
        self.backfill = self.full or not self.known.articles or self.known.restart_backfill
        self.logger.info(
            "%s crawl: %d known article URLs, %d pages to retry, %d unread pages to resume",
            "full" if self.full else ("backfill" if self.backfill else "incremental"),
            len(self.known.articles),
            len(self.known.retry_urls),
            len(self.known.resume),
        )

    def decide(self, url: str, entry: ListingEntry | None = None) -> str:
        """``new``, ``changed``, ``recheck`` (young: may have been edited) or ``skip``."""
        if self.full:
            return "new"
        signature = self.known.signature(url)
        if signature is None:
            return "new"
        if entry is not None and signature_changed(signature, entry):
            return "changed"
        if datetime.now(UTC) - signature.published_at < self.recheck:
            return "recheck"
        return "skip"

    def url(self, path: str) -> str:
        """An absolute URL on this source for ``path`` (relative to the base URL)."""
        return self.base_url + path.lstrip("/")

    def record_failure(self, failure: Failure) -> None:
        """Errback: every request that ends in an error is recorded with its reason."""
        if failure.check(OriginRefused):
            return  # recorded by the origin guard, with the redirect chain
        if failure.check(SourcePostponed):
            return  # the site asked for a rest: recorded once, by the middleware
        request = failure.request  # type: ignore[attr-defined]
        reason, detail = failure_reason(failure)
        self.crawler.signals.send_catch_log(
            signal=page_failed, url=request.url, stage="fetch", reason=reason, detail=detail
        )

    def refused_link(self, url: str, *, reason: str, on_page: str, what: str) -> bool:
        """True (and recorded under ``url``, stage ``parse``) if a link the spider would
        follow leads off the source's origins: ``reason`` is ``offsite_next``,
        ``offsite_feed_entry``, …; ``what`` names the link on the page ``on_page``."""
        if self.origin_policy.allows(url):
            return False
        origins = ", ".join(str(o) for o in self.origin_policy.origins)
        self.crawler.signals.send_catch_log(
            signal=page_failed,
            url=url,
            stage="parse",
            reason=reason,
            detail=f"{what} on {on_page} leads off the source's origins ({origins})",
        )
        return True

    def refused_redirect(self, asked: str, target: str, status: int) -> bool:
        """True (and recorded, stage ``fetch``) if a redirect the spider reads itself
        (``dont_redirect``) leads where OriginGuardMiddleware would not let it go."""
        reason = self.origin_policy.refusal(target, "offsite_redirect")
        if reason is None:
            return False
        detail = refusal_detail(self.origin_policy, reason, target, asked=asked, by=status)
        self.crawler.signals.send_catch_log(
            signal=page_failed, url=asked, stage="fetch", reason=reason, detail=detail
        )
        return True
