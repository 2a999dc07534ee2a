"""A crawl run's context, and the one rule for its final status.

The run recorder (``kn_crawl.crawling.recorder``) opens the run when the spider opens and
attaches a :class:`CrawlRun` to the crawler; everything else in the crawl process that needs
the run (the store pipeline, the validators and backfill recorders, the runner) finds it with
:func:`run_of`. :func:`final_status` is where a run's status is decided (and
:func:`status_from_outside` for a run its own process could not close).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from kn_crawl.catalog.model import SourceEntry

if TYPE_CHECKING:  # the scheduler imports this module without Scrapy
    from scrapy.crawler import Crawler

_ATTRIBUTE = "kn_run"

# Scrapy's finish reasons mapped to our run status; any other reason fails the run.
STATUS_FOR_REASON = {
    "finished": "ok",
    "shutdown": "interrupted",
    "closespider_timeout": "timeout",
}

# A run that lost more than half of the pages it tried (and at least this many) failed, even
# though it finished: a site answering 503 to 9 of 10 requests is down, not "degraded".
MOSTLY_FAILED_MIN = 3

LEFT_OPEN = "ended without closing its run"
"""The finish reason of a run its process could not close (status ``failed``)."""


@dataclass(frozen=True, slots=True)
class CrawlRun:
    """One source's crawl run, created once when its spider opens."""

    source: SourceEntry | None
    """None for a spider that is not a catalogue source's (a plain Scrapy spider)."""
    name: str
    run_id: int
    source_id: int
    engine: Engine


def attach(crawler: Crawler, run: CrawlRun) -> None:
    setattr(crawler, _ATTRIBUTE, run)


def run_of(crawler: Crawler) -> CrawlRun | None:
    """The crawler's run; None before it opened (or when runs are not recorded)."""
    run: CrawlRun | None = getattr(crawler, _ATTRIBUTE, None)
    return run


def pages_attempted(values: Mapping[str, Any]) -> int:
    """Pages the run tried to fetch: requests sent, less Scrapy's retries and robots.txt."""
    return max(
        int(values.get("downloader/request_count", 0))
        - int(values.get("retry/count", 0))
        - int(values.get("robotstxt/request_count", 0)),
        0,
    )


def pages_lost(values: Mapping[str, Any]) -> int:
    """Pages lost to the network, the server, our parser or the store."""
    return int(values.get("kn/errors", 0)) + int(values.get("kn/store_failed", 0))


def mostly_failed(errors: int, attempted: int) -> bool:
    """More than half of the attempted pages were lost (at least ``MOSTLY_FAILED_MIN``)."""
    return errors >= MOSTLY_FAILED_MIN and 2 * errors > attempted


def final_status(reason: str, values: Mapping[str, Any]) -> tuple[str, str]:
    """``(status, finish_reason)`` of a run that Scrapy closed with ``reason``, from its
    counters: ``ok``, ``interrupted``, ``timeout`` or ``failed``."""
    from kn_crawl.crawling.ratelimit import rate_limited

    status = STATUS_FOR_REASON.get(reason, "failed")
    if status != "ok":
        return status, reason
    if rate_limited(dict(values)):
        # The site asked for a rest (Retry-After): the rest of the site was not read.
        return "failed", "rate_limited"
    if mostly_failed(pages_lost(values), pages_attempted(values)):
        return "failed", "mostly_failed"
    pages = int(values.get("response_received_count", 0))
    robots_pages = int(values.get("robotstxt/response_count", 0))
    if (
        values.get("kn/store_failed")
        or values.get("kn/robots_unreachable")
        or pages - robots_pages <= 0
    ):
        # Finished, but the site was unreachable or nothing could be stored: a failure.
        return "failed", reason
    return "ok", reason


def status_from_outside(*, timed_out: bool, interrupted: bool) -> str:
    """The status of a run whose process was stopped, or ended, without closing it, as the
    process that started it (the scheduler, the runner) saw the end."""
    if timed_out:
        return "timeout"
    if interrupted:
        return "interrupted"
    return "failed"


def results_trustworthy(reason: str, values: Mapping[str, Any]) -> bool:
    """Whether what the run saw may stand for the next run (the validators of its pages): it
    finished, stored everything it read, and robots.txt was readable. Transient fetch
    failures do not count: the next run retries those pages anyway."""
    return (
        reason == "finished"
        and not values.get("kn/store_failed")
        and not values.get("kn/dropped/robots_unreachable")
    )
