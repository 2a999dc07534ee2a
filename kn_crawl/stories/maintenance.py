"""What an operator does to stories outside a crawl: re-cluster everything (``rebuild``), and
delete articles so that their stories stay right (``forget``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection, Engine

from kn_crawl.stories.clustering import (
    _chunks,
    articles,
    assign,
    buckets_t,
    lock_stories,
    recount,
    signatures_t,
    stories_t,
)

REBUILD_BATCH = 500


@dataclass(frozen=True, slots=True)
class RebuildResult:
    articles: int
    stories: int
    multi_source: int
    """Stories told by more than one source."""


def rebuild(engine: Engine, *, now: datetime) -> RebuildResult:
    """Re-cluster every article from scratch, in one transaction (a failure leaves the old
    stories as they were): for a database from before the stories, or after the threshold,
    window or sketch changed. Articles are taken in the order they were first seen, as the
    crawls met them, so a rebuild ends where incremental clustering would."""
    with engine.begin() as conn:
        lock_stories(conn)
        conn.execute(delete(buckets_t))
        conn.execute(delete(signatures_t))
        conn.execute(update(articles).values(story_id=None))
        conn.execute(delete(stories_t))
        ids = list(
            conn.execute(
                select(articles.c.id).order_by(articles.c.first_seen_at, articles.c.id)
            ).scalars()
        )
        for i in range(0, len(ids), REBUILD_BATCH):
            assign(conn, ids[i : i + REBUILD_BATCH], now=now)
        return _summary(conn, len(ids))


def _summary(conn: Connection, n_articles: int) -> RebuildResult:
    stories = int(conn.execute(select(func.count()).select_from(stories_t)).scalar_one())
    multi = int(
        conn.execute(
            select(func.count()).select_from(stories_t).where(stories_t.c.source_count > 1)
        ).scalar_one()
    )
    return RebuildResult(articles=n_articles, stories=stories, multi_source=multi)


def forget(engine: Engine, article_ids: Sequence[int], *, now: datetime) -> list[int]:
    """Delete articles (with their URLs, tags, revisions, sketches and alert records) in one
    transaction; each one's story is recounted, and deleted if it was its last article.
    Returns the ids that existed (unknown ids are no error: forgetting is idempotent)."""
    with engine.begin() as conn:
        lock_stories(conn)
        return forget_in(conn, article_ids, now=now)


def forget_in(conn: Connection, article_ids: Sequence[int], *, now: datetime) -> list[int]:
    ids = sorted(set(article_ids))
    found: list[int] = []
    touched: set[int] = set()
    for chunk in _chunks(ids):
        for aid, story_id in conn.execute(
            select(articles.c.id, articles.c.story_id).where(articles.c.id.in_(chunk))
        ):
            found.append(aid)
            if story_id is not None:
                touched.add(story_id)
    for chunk in _chunks(found):
        # Sketches and buckets cascade; deleted explicitly too, for a SQLite connection opened
        # without ``PRAGMA foreign_keys``.
        conn.execute(delete(buckets_t).where(buckets_t.c.article_id.in_(chunk)))
        conn.execute(delete(signatures_t).where(signatures_t.c.article_id.in_(chunk)))
        conn.execute(delete(articles).where(articles.c.id.in_(chunk)))
    recount(conn, touched, now=now)
    return sorted(found)
