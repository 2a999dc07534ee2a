"""What a subscription would have matched lately: the matcher's own compiled subscription and
``article_reasons`` over the recent articles, so the preview and the alerts cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from kn_crawl.alerts.matching import ArticleFacts, article_reasons, compile_subscriptions
from kn_crawl.alerts.subscriptions import SubscriptionSpec
from kn_crawl.alerts.vocabulary import Vocabulary
from kn_crawl.db.models import Article, ArticleTag, Source, Tag, table_of

articles_t = table_of(Article)
sources_t = table_of(Source)
tags_t = table_of(Tag)
article_tags_t = table_of(ArticleTag)

DAYS = 30
SCAN_LIMIT = 20_000
"""Newest articles of the period looked at, at most (a preview, not a report)."""
WEB_SCAN_LIMIT = 5_000
"""The same for the web form, which anyone may open without limit: a quarter of the work per
request (matching runs in Python, article by article)."""


@dataclass(frozen=True, slots=True)
class Preview:
    since: datetime
    until: datetime
    """The end of the period: now, or the newest article's date when the data is older than
    the period (an old database, the demo), so the preview is not empty for no reason."""
    stale: bool
    """``until`` is the newest article's date, not now."""
    total: int
    """Matches among the articles looked at."""
    scanned: int
    capped: bool
    """More articles were published in the period than were looked at."""
    newest: list[Any]
    """Up to ``show`` of the matching articles, newest first (id, title, url, published_at,
    source_title)."""


def preview(
    conn: Connection,
    spec: SubscriptionSpec,
    vocabulary: Vocabulary,
    *,
    now: datetime,
    days: int = DAYS,
    show: int = 10,
    scan_limit: int = SCAN_LIMIT,
) -> Preview:
    until = now
    newest_date = conn.execute(
        select(func.max(articles_t.c.published_at)).where(articles_t.c.published_at <= now)
    ).scalar_one()
    if newest_date is not None and newest_date.tzinfo is None:
        newest_date = newest_date.replace(tzinfo=now.tzinfo)  # SQLite keeps no offset
    stale = newest_date is not None and newest_date < now - timedelta(days=days)
    if stale:
        until = newest_date
    since = until - timedelta(days=days)
    row = SimpleNamespace(id=0, email=spec.email or "-", tags=list(spec.tags),
                          queries=list(spec.queries), sources=list(spec.sources),
                          new_tags=spec.new_tags, mode=spec.mode, digest_time=spec.digest_time,
                          digest_weekday=spec.digest_weekday, channel=spec.channel)  # fmt: skip
    (sub,) = compile_subscriptions([row], vocabulary, now=now)
    rows = conn.execute(
        select(
            articles_t.c.id,
            articles_t.c.title,
            articles_t.c.kicker,
            articles_t.c.teaser,
            articles_t.c.section,
            articles_t.c.url,
            articles_t.c.published_at,
            sources_t.c.name.label("source"),
            sources_t.c.title.label("source_title"),
        )
        .join(sources_t, sources_t.c.id == articles_t.c.source_id)
        .where(articles_t.c.published_at >= since, articles_t.c.published_at <= until)
        .order_by(articles_t.c.published_at.desc(), articles_t.c.id.desc())
        .limit(scan_limit + 1)
    ).all()
    capped = len(rows) > scan_limit
    rows = rows[:scan_limit]
    tags: dict[int, list[str]] = {}
    ids = [r.id for r in rows]
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        for aid, name in conn.execute(
            select(article_tags_t.c.article_id, tags_t.c.name)
            .join(tags_t, tags_t.c.id == article_tags_t.c.tag_id)
            .where(article_tags_t.c.article_id.in_(ids[start : start + 900]))
            .order_by(article_tags_t.c.article_id, article_tags_t.c.position)
        ).all():
            tags.setdefault(aid, []).append(name)
    matches = []
    for r in rows:
        facts = ArticleFacts(
            r.id, r.source, r.title, r.kicker, r.teaser, r.section, r.published_at,
            tuple(tags.get(r.id, ())),
        )  # fmt: skip
        if article_reasons(sub, facts, vocabulary):
            matches.append(r)
    return Preview(since, until, stale, len(matches), len(rows), capped, matches[:show])
