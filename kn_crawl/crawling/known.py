"""What the database already knows about a source, so a refresh fetches only what is new.

Loaded once when a spider opens. The decision whether a teaser's article must be fetched is
a pure function of that knowledge (``should_fetch``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select

from kn_crawl.dates import BERLIN
from kn_crawl.db.backfill import PendingPage, load_state
from kn_crawl.db.models import Article, ArticleUrl, CrawlRun, DroppedItem, Source
from kn_crawl.db.runs import NOT_CRAWLED
from kn_crawl.items import ListingEntry
from kn_crawl.text import clean_text, strip_more, title_key
from kn_crawl.urls import canonicalize_url

# Fetch failures worth retrying next run: the server or the network, not a missing page.
# (Codes from kn_crawl.crawling.failures; 408 and 429 say "later", like a 5xx.)
TRANSIENT_REASONS_PREFIXES = ("http_5", "http_408", "http_429", "timeout", "connection", "dns")
# Pages fetched but lost on our side: the page worker died with them, or the database refused
# their batch. Nothing about the page itself was wrong.
LOST_HERE_REASONS = frozenset({"page_worker", "store_failed"})


@dataclass(frozen=True, slots=True)
class Signature:
    """What a listing shows of an article: if this changes, the article may have changed."""

    title: str
    teaser: str | None
    day: str | None
    published_at: datetime


@dataclass(slots=True)
class KnownState:
    articles: dict[str, Signature] = field(default_factory=dict)
    """Every known URL of the source's articles (canonical and aliases), canonicalised."""
    retry_urls: list[str] = field(default_factory=list)
    """Pages whose fetch failed transiently in the previous run, or that were lost on our
    side after the fetch (``LOST_HERE_REASONS``)."""
    resume: list[PendingPage] = field(default_factory=list)
    """Pages earlier runs queued but did not read (``backfill_state.pending``)."""
    restart_backfill: bool = False
    """The first walk of the archive is unfinished and left no cursor (its process was
    killed): walk it again from the first pages."""

    def signature(self, url: str) -> Signature | None:
        return self.articles.get(canonicalize_url(url))


def _teaser_key(text: str | None) -> str | None:
    cleaned = clean_text(strip_more(text))
    return cleaned.casefold() if cleaned else None


def signature_changed(known: Signature, entry: ListingEntry) -> bool:
    """Whether a teaser shows a different title, teaser or date than the stored article.
    Missing fields in the teaser mean "no evidence", not "changed"."""
    if entry.title and title_key(entry.title) != known.title:
        return True
    shown_day = (
        entry.published_at.astimezone(BERLIN).date().isoformat() if entry.published_at else None
    )
    if shown_day is not None and shown_day != known.day:
        return True
    teaser = _teaser_key(entry.teaser)
    if teaser and known.teaser:
        # Listings may cut a long teaser ("…"): a prefix of the stored one is the same.
        prefix = teaser.rstrip(".… ")
        if not (teaser == known.teaser or known.teaser.startswith(prefix)):
            return True
    return False


def load_known(engine: Engine, source: str) -> KnownState:
    state = KnownState()
    with engine.connect() as conn:
        source_id = conn.execute(select(Source.id).where(Source.name == source)).scalar()
        if source_id is None:
            return state
        rows = conn.execute(
            select(
                ArticleUrl.url,
                Article.title,
                Article.teaser,
                Article.published_at,
            )
            .join(Article, Article.id == ArticleUrl.article_id)
            .where(Article.source_id == source_id)
        ).all()
        for url, title, teaser, published_at in rows:
            state.articles[url] = Signature(
                title=title_key(title),
                teaser=_teaser_key(teaser),
                day=published_at.astimezone(BERLIN).date().isoformat(),
                published_at=published_at,
            )
        archive = load_state(conn, source_id)
        if archive is not None:
            state.resume = list(archive.pending)
            state.restart_backfill = not archive.complete and not any(
                p.is_listing and p.backfill for p in archive.pending
            )
        last_run = conn.execute(
            select(CrawlRun.id)
            .where(CrawlRun.source_id == source_id, CrawlRun.status.not_in(NOT_CRAWLED))
            .order_by(CrawlRun.id.desc())
            .limit(1)
        ).scalar()
        if last_run is not None:
            failed = conn.execute(
                select(DroppedItem.url, DroppedItem.stage, DroppedItem.reason).where(
                    DroppedItem.run_id == last_run
                )
            ).all()
            state.retry_urls = sorted(
                {
                    url
                    for url, stage, reason in failed
                    if (stage == "fetch" and reason.startswith(TRANSIENT_REASONS_PREFIXES))
                    or reason in LOST_HERE_REASONS
                }
            )
    return state
