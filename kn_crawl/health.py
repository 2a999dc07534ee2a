"""Source health: after each crawl run, is the source still delivering what it used to?

Checks (each gives evidence with numbers and a sample URL):
- ``run``: the run failed or timed out → failing;
- ``listing``: listing pages were read but showed no article → failing (layout changed?);
- ``errors``: many pages could not be fetched or parsed → degraded;
- ``start_pages``: a feed was no usable feed (an HTML page such as a cookie wall, unsafe or
  broken XML) or a listing's article-URL pattern matched none of its links → degraded;
- ``coverage``: the share of articles with a date, teaser, kicker or Stichwörter fell far below
  the source's own baseline → degraded;
- ``cadence``: no new article for much longer than the source's usual gap → degraded;
- ``archive``: the first walk of the archive is unfinished, or a run left listing pages unread
  (``backfill_state``; the next run continues it) → degraded.
A change of status is recorded as a health event; while a source stays bad the complaint is
repeated at most once a day; recovery is recorded once.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from kn_crawl.crawling import counters
from kn_crawl.db.backfill import load_state
from kn_crawl.db.models import Article, ArticleTag, CrawlRun, DroppedItem, Source, table_of
from kn_crawl.db.state_models import HealthEvent, SourceHealth
from kn_crawl.db.upsert import upsert
from kn_crawl.hooks import RunContext
from spiders.family import PageKind

health_t = table_of(SourceHealth)
events_t = table_of(HealthEvent)

REMIND_EVERY = timedelta(days=1)
# Coverage: a field counts as "fallen" when its share drops this far below the baseline.
COVERAGE_DROP = 0.3
MIN_ARTICLES_FOR_COVERAGE = 5
ERROR_SHARE = 0.2
MIN_ERRORS = 3
MIN_ARTICLES_FOR_CADENCE = 20


@dataclass(frozen=True, slots=True)
class Evidence:
    check: str
    status: str
    message: str
    value: float | None = None
    baseline: float | None = None
    sample_url: str | None = None


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def evaluate_run(conn: Connection, run: Any, *, now: datetime) -> list[Evidence]:
    """The failing checks of one finished crawl run."""
    evidence: list[Evidence] = []
    stats: dict[str, Any] = run.stats or {}
    base = run.base_url or ""
    if run.status in ("failed", "timeout"):
        message = f"the crawl run ended {run.status} ({run.finish_reason})"
        sample = base or None
        if run.finish_reason == "mostly_failed":
            # Most pages lost: the numbers and a lost page say more than "failed".
            message = (
                f"the crawl run ended failed: {stats.get('kn/pages_lost', run.errors)} of "
                f"{stats.get('kn/pages_attempted', run.requests)} pages could not be fetched "
                "or used (mostly_failed)"
            )
            sample = _failed_page(conn, run.id) or sample
        elif run.finish_reason == "rate_limited":
            message = (
                "the crawl run ended failed: the site asked for a rest (Retry-After); no "
                f"requests until {stats.get('kn/rate_limited_until')} (rate_limited)"
            )
        evidence.append(Evidence("run", "failing", message, sample_url=sample))
    parsed = int(stats.get(counters.LISTING_PAGES_PARSED, 0))
    entries = int(stats.get(counters.LISTING_ENTRIES, 0))
    listing_url = _listing_url(run)
    if parsed and not entries:
        evidence.append(
            Evidence(
                "listing",
                "failing",
                f"{parsed} listing pages were read but showed no article (layout changed?)",
                value=0,
                sample_url=listing_url,
            )
        )
    dated = int(stats.get(counters.LISTING_ENTRIES_DATED, 0))
    if entries >= MIN_ARTICLES_FOR_COVERAGE and _share(dated, entries) < 0.5:
        evidence.append(
            Evidence(
                "coverage",
                "degraded",
                f"only {dated} of {entries} teasers on listing pages showed a date",
                value=round(_share(dated, entries), 3),
                baseline=1.0,
                sample_url=listing_url,
            )
        )
    errors = int(run.errors or 0)
    if errors >= MIN_ERRORS and _share(errors, max(int(run.requests or 0), 1)) > ERROR_SHARE:
        sample = _failed_page(conn, run.id)
        evidence.append(
            Evidence(
                "errors",
                "degraded",
                f"{errors} of {run.requests} requests failed",
                value=_share(errors, int(run.requests or 1)),
                sample_url=sample,
            )
        )
    evidence += _start_pages(conn, run)
    evidence += _coverage(conn, run)
    evidence += _cadence(conn, run, now=now)
    evidence += _archive(conn, run)
    return evidence


# Recorded when a feed or listing the source is read from gives nothing to follow: the crawl
# goes on with its other start pages, so only health says that one of them is broken.
START_PAGE_PROBLEMS = {
    # (one page, several pages): the message reads "1 page was …", "2 pages were …".
    "feed_is_html": ("answered an HTML page, not a feed", "answered an HTML page, not a feed"),
    "unsafe_xml": ("was refused as unsafe XML", "were refused as unsafe XML"),
    "bad_feed": ("is not a usable feed", "are not usable feeds"),
    "no_articles_matched": (
        "showed no link matching the article-URL pattern",
        "showed no link matching the article-URL pattern",
    ),
}


def start_page_message(reason: str, pages: int, sample_url: str) -> str:
    """The evidence of ``pages`` start pages dropped for ``reason``."""
    one, many = START_PAGE_PROBLEMS[reason]
    if pages == 1:
        return f"1 page {one} ({reason}), e.g. {sample_url}"
    return f"{pages} pages {many} ({reason}), e.g. {sample_url}"


def _start_pages(conn: Connection, run: Any) -> list[Evidence]:
    rows = conn.execute(
        select(DroppedItem.reason, func.count(), func.min(DroppedItem.url))
        .where(
            DroppedItem.run_id == run.id,
            DroppedItem.reason.in_(tuple(START_PAGE_PROBLEMS)),
        )
        .group_by(DroppedItem.reason)
        .order_by(DroppedItem.reason)
    ).all()
    return [
        Evidence(
            "start_pages",
            "degraded",
            start_page_message(reason, n, url),
            value=n,
            sample_url=url,
        )
        for reason, n, url in rows
    ]


def _listing_url(run: Any) -> str | None:
    """The source's first listing (else its first start page) at the run's base URL: where
    to look when listings stop showing articles."""
    from kn_crawl.crawling.reading import family_of
    from kn_crawl.settings import ConfigError
    from kn_crawl.sources import normalize_base_url, source_entry

    try:
        entry = source_entry(run.source)
        if run.base_url:
            entry = entry.rebased(normalize_base_url(run.base_url))
        pages = family_of(entry).start_pages()
    except (ConfigError, KeyError):  # a source no longer in the catalogue, a family gone
        return run.base_url or None
    listings = [p for p in pages if p.kind is PageKind.LISTING and not p.backfill_only]
    return (listings or pages)[0].url if pages else (run.base_url or None)


def _failed_page(conn: Connection, run_id: int) -> str | None:
    """A page the run could not fetch or parse, for the evidence."""
    return conn.execute(
        select(DroppedItem.url)
        .where(
            DroppedItem.run_id == run_id,
            DroppedItem.stage.in_(("fetch", "parse")),
            DroppedItem.note.is_(False),
        )
        .order_by(DroppedItem.id)
        .limit(1)
    ).scalar()


def _archive(conn: Connection, run: Any) -> list[Evidence]:
    state = load_state(conn, run.source_id)
    if state is None or not state.incomplete:
        return []
    first = next((p.url for p in state.pending if p.is_listing), None)
    return [
        Evidence(
            "archive",
            "degraded",
            f"{state.describe()}; the next run continues it",
            value=state.pending_listings,
            sample_url=first,
        )
    ]


def _coverage(conn: Connection, run: Any) -> list[Evidence]:
    seen = (Article.source_id == run.source_id) & (Article.last_seen_at >= run.started_at)
    n_seen = int(conn.execute(select(func.count()).where(seen)).scalar_one())
    no_date = conn.execute(
        select(func.count(), func.min(DroppedItem.url)).where(
            DroppedItem.run_id == run.id, DroppedItem.reason == "no_date"
        )
    ).one()
    evidence = []
    attempted = n_seen + int(no_date[0])
    if attempted >= MIN_ARTICLES_FOR_COVERAGE and no_date[0]:
        share = _share(n_seen, attempted)
        if share < 1 - COVERAGE_DROP:
            evidence.append(
                Evidence(
                    "coverage",
                    "degraded",
                    f"only {n_seen} of {attempted} article pages showed a publication date",
                    value=round(share, 3),
                    baseline=1.0,
                    sample_url=no_date[1],
                )
            )
    if n_seen < MIN_ARTICLES_FOR_COVERAGE:
        return evidence
    older = (Article.source_id == run.source_id) & (Article.last_seen_at < run.started_at)
    n_older = int(conn.execute(select(func.count()).where(older)).scalar_one())
    if n_older < MIN_ARTICLES_FOR_COVERAGE:
        return evidence  # no baseline yet
    tagged = select(ArticleTag.article_id).distinct().scalar_subquery()
    for field, condition in (
        ("teaser", Article.teaser.is_not(None)),
        ("kicker", Article.kicker.is_not(None)),
        ("Stichwörter", Article.id.in_(tagged)),
    ):
        now_share = _share(
            int(conn.execute(select(func.count()).where(seen & condition)).scalar_one()), n_seen
        )
        baseline = _share(
            int(conn.execute(select(func.count()).where(older & condition)).scalar_one()),
            n_older,
        )
        if baseline >= 0.5 and now_share < baseline - COVERAGE_DROP:
            sample = conn.execute(select(Article.url).where(seen & ~condition)).scalar()
            evidence.append(
                Evidence(
                    "coverage",
                    "degraded",
                    f"{field} on {now_share:.0%} of this run's articles, usually {baseline:.0%}",
                    value=round(now_share, 3),
                    baseline=round(baseline, 3),
                    sample_url=sample,
                )
            )
    return evidence


def _cadence(conn: Connection, run: Any, *, now: datetime) -> list[Evidence]:
    dates = list(
        conn.execute(
            select(Article.published_at)
            .where(Article.source_id == run.source_id)
            .order_by(Article.published_at.desc())
            .limit(50)
        ).scalars()
    )
    if len(dates) < MIN_ARTICLES_FOR_CADENCE:
        return []
    gaps = [(a - b).total_seconds() for a, b in itertools.pairwise(dates)]
    usual = max(statistics.median(gaps), 3600.0)
    allowed = max(4 * usual, timedelta(days=2).total_seconds())
    first_run = conn.execute(
        select(func.min(CrawlRun.started_at)).where(CrawlRun.source_id == run.source_id)
    ).scalar_one()
    # Only a source we have watched for longer than the allowed gap can be "silent".
    if first_run is None or (now - first_run).total_seconds() < allowed:
        return []
    silent = (now - dates[0]).total_seconds()
    if silent <= allowed:
        return []
    return [
        Evidence(
            "cadence",
            "degraded",
            f"no new article for {silent / 86400:.1f} days; usually one every "
            f"{usual / 3600:.1f} hours",
            value=round(silent / 3600, 1),
            baseline=round(usual / 3600, 1),
        )
    ]


def record(
    conn: Connection, source_id: int, run_id: int, evidence: list[Evidence], *, now: datetime
) -> str | None:
    """Store the source's health; returns the event kind recorded, if any."""
    status = (
        "failing"
        if any(e.status == "failing" for e in evidence)
        else ("degraded" if evidence else "healthy")
    )
    current = conn.execute(select(health_t).where(health_t.c.source_id == source_id)).first()
    previous = current.status if current else "healthy"
    since = current.since if current and current.status == status else now
    notified_at = current.notified_at if current else None
    kind = None
    if status != previous:
        kind = "recovered" if status == "healthy" else status
        notified_at = now if status != "healthy" else None
    elif status != "healthy" and (notified_at is None or now - notified_at >= REMIND_EVERY):
        kind = "reminder"
        notified_at = now
    data = [asdict(e) for e in evidence]
    upsert(
        conn,
        health_t,
        [
            {
                "source_id": source_id,
                "status": status,
                "evidence": data,
                "since": since,
                "checked_at": now,
                "last_run_id": run_id,
                "notified_at": notified_at,
            }
        ],
        ("source_id",),
    )
    if kind is not None:
        conn.execute(
            events_t.insert().values(
                source_id=source_id,
                created_at=now,
                kind=kind,
                status=status,
                previous_status=previous,
                evidence=data,
                run_id=run_id,
                notified=False,
            )
        )
    return kind


def check_runs(conn: Connection, run_ids: tuple[int, ...], *, now: datetime) -> dict[str, str]:
    """Evaluate and record the health of each run's source; returns source → status."""
    runs = conn.execute(
        select(table_of(CrawlRun), Source.name.label("source"))
        .join(Source, Source.id == CrawlRun.source_id)
        .where(CrawlRun.id.in_(run_ids), CrawlRun.status != "running")
        .order_by(CrawlRun.id)
    ).all()
    result = {}
    for run in runs:
        if run.status in ("interrupted", "skipped"):
            # Stopped by us, or not crawled at all (its host was busy): says nothing about
            # the source.
            continue
        evidence = evaluate_run(conn, run, now=now)
        record(conn, run.source_id, run.id, evidence, now=now)
        result[run.source] = (
            "failing"
            if any(e.status == "failing" for e in evidence)
            else ("degraded" if evidence else "healthy")
        )
    return result


def after_run(ctx: RunContext) -> None:
    """After-run hook."""
    with ctx.engine.begin() as conn:
        check_runs(conn, ctx.run_ids, now=ctx.now)
