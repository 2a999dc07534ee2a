"""The origin policy in the downloader: no request leaves for an origin its source does not own.

Scrapy's redirect handling hands a redirect on as a new request carrying the chain in
``meta["redirect_urls"]`` and why in ``meta["redirect_reasons"]`` (a status code, or
``"meta refresh"``); that request is scheduled and goes through every downloader middleware
again. This middleware checks every request against the spider's ``origin_policy`` when it is
scheduled, and again first of all middlewares (before Scrapy's host-only OffsiteMiddleware at 50
and robots.txt at 100, so neither a robots.txt nor a page of a refused origin is fetched): each
hop of a redirect chain included. A refused request is recorded as a ``dropped_items`` row
(stage ``fetch``) under the URL the spider asked for, and ends in ``OriginRefused`` — an
``IgnoreRequest`` the spider's errback knows to be recorded already.
"""

from __future__ import annotations

from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from kn_crawl.crawling.origin import OriginPolicy, origin_of
from kn_crawl.crawling.signals import page_failed


class OriginRefused(IgnoreRequest):
    """A request refused by the origin policy; already recorded in ``dropped_items``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def redirect_reason(request: Request) -> str:
    """The refusal reason for ``request`` leaving the source's origins, by how it came about."""
    if not request.meta.get("redirect_urls"):
        return "offsite_request"  # the spider asked for it: a backstop, spiders check first
    reasons = request.meta.get("redirect_reasons") or ["redirect"]
    return "offsite_meta_refresh" if reasons[-1] == "meta refresh" else "offsite_redirect"


class OriginGuardMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        guard = cls(crawler)
        # Scrapy's OffsiteMiddleware drops requests to hosts outside allowed_domains when they
        # are scheduled (a redirect to 169.254.169.254 ended there, counted in a stat and
        # recorded nowhere). This handler is connected first, so it records them first.
        crawler.signals.connect(guard.request_scheduled, signal=signals.request_scheduled)
        return guard

    def request_scheduled(self, request: Request) -> None:
        self.process_request(request)

    def process_request(self, request: Request) -> None:
        policy: OriginPolicy | None = getattr(self.crawler.spider, "origin_policy", None)
        if policy is None:
            return  # a spider without a policy (not a NewsSpider): Scrapy's rules only
        reason = policy.refusal(request.url, redirect_reason(request))
        if reason is None:
            return
        chain = request.meta.get("redirect_urls") or []
        asked = chain[0] if chain else request.url
        by = (request.meta.get("redirect_reasons") or ["redirect"])[-1] if chain else None
        detail = refusal_detail(policy, reason, request.url, asked=asked, by=by)
        self.crawler.signals.send_catch_log(
            signal=page_failed, url=asked, stage="fetch", reason=reason, detail=detail
        )
        raise OriginRefused(reason, detail)


def refusal_detail(
    policy: OriginPolicy, reason: str, url: str, *, asked: str, by: object | None
) -> str:
    """One line for ``dropped_items.detail``: where the request went, and why not."""
    how = f"{asked} redirected ({by}) to {url}" if by is not None else url
    if reason == "private_address":
        return f"{how}: a private or special address, not a host of the source"
    origins = ", ".join(str(o) for o in policy.origins)
    return f"{how}: {origin_of(url) or 'no http(s) origin'} is not the source's ({origins})"
