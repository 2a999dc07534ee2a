"""Apply the vocabulary again to stored articles (``kn-crawl vocabulary apply``), after the
vocabulary changed or to tag articles stored before it existed.

Only the vocabulary's Stichwörter (``article_tags.origin = 'vocabulary'``) are replaced; the
source's stay as they are, and no revision is written: the article did not change, kn-crawl's
reading of it did. One transaction per batch, each taking the store's per-source lock, so a
crawl writing at the same time is not disturbed; running it twice changes nothing the second
time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, select

from kn_crawl.db.models import Article, ArticleTag, Source, Tag, table_of
from kn_crawl.db.store import lock_source
from kn_crawl.db.upsert import insert_ignore
from kn_crawl.items import VOCABULARY
from kn_crawl.tags import tag_key
from kn_crawl.vocabulary import Matcher

articles_t = table_of(Article)
article_tags_t = table_of(ArticleTag)
tags_t = table_of(Tag)

BATCH_SIZE = 500


@dataclass(slots=True)
class RetagCounts:
    articles: int = 0
    """Articles looked at."""
    changed: int = 0
    """Articles whose vocabulary Stichwörter changed."""
    added: int = 0
    removed: int = 0


def reapply_vocabulary(
    engine: Engine,
    matcher: Matcher,
    *,
    now: datetime,
    source: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> RetagCounts:
    """Replace the vocabulary's Stichwörter of every stored article (of ``source``) by what
    ``matcher`` finds in its title, teaser and body now."""
    counts = RetagCounts()
    last_id = 0
    source_id: int | None = None
    if source is not None:
        with engine.connect() as conn:
            source_id = conn.execute(select(Source.id).where(Source.name == source)).scalar()
        if source_id is None:
            return counts
    while True:
        with engine.begin() as conn:
            query = (
                select(
                    articles_t.c.id,
                    articles_t.c.source_id,
                    articles_t.c.title,
                    articles_t.c.teaser,
                    articles_t.c.body,
                )
                .where(articles_t.c.id > last_id)
                .order_by(articles_t.c.id)
                .limit(batch_size)
            )
            if source_id is not None:
                query = query.where(articles_t.c.source_id == source_id)
            rows = list(conn.execute(query).all())
            if not rows:
                return counts
            last_id = rows[-1].id
            for sid in sorted({r.source_id for r in rows}):
                lock_source(conn, sid)
            _retag_batch(conn, rows, matcher, counts, now=now)


def _retag_batch(
    conn: Any, rows: list[Any], matcher: Matcher, counts: RetagCounts, *, now: datetime
) -> None:
    ids = [r.id for r in rows]
    current: dict[int, list[tuple[str, str, int]]] = {}  # id -> (name, origin, position)
    for aid, name, origin, position in conn.execute(
        select(
            article_tags_t.c.article_id, tags_t.c.name, article_tags_t.c.origin,
            article_tags_t.c.position,
        )
        .join(tags_t, tags_t.c.id == article_tags_t.c.tag_id)
        .where(article_tags_t.c.article_id.in_(ids))
        .order_by(article_tags_t.c.article_id, article_tags_t.c.position)
    ).all():  # fmt: skip
        current.setdefault(aid, []).append((name, origin, position))
    wanted: dict[int, list[str]] = {}
    for r in rows:
        counts.articles += 1
        tags = current.get(r.id, [])
        given = [name for name, origin, _ in tags if origin != VOCABULARY]
        had = [name for name, origin, _ in tags if origin == VOCABULARY]
        keys = {tag_key(name) for name in given}
        found = [
            name
            for name in matcher.tags(r.title, r.teaser, r.body, given=given)
            if tag_key(name) not in keys
        ]
        if [tag_key(n) for n in found] == [tag_key(n) for n in had]:
            continue
        counts.changed += 1
        counts.added += len({tag_key(n) for n in found} - {tag_key(n) for n in had})
        counts.removed += len({tag_key(n) for n in had} - {tag_key(n) for n in found})
        wanted[r.id] = found
        after = max((position for _, _, position in tags), default=-1) + 1
        current[r.id] = [(n, VOCABULARY, after + i) for i, n in enumerate(found)]
    if not wanted:
        return
    conn.execute(
        delete(article_tags_t).where(
            and_(
                article_tags_t.c.article_id.in_(list(wanted)),
                article_tags_t.c.origin == VOCABULARY,
            )
        )
    )
    names: dict[str, tuple[str, int]] = {}  # key -> (name, the batch's first article naming it)
    for aid, found in wanted.items():
        for n in found:
            names.setdefault(tag_key(n), (n, aid))
    insert_ignore(
        conn,
        tags_t,
        [
            {"key": key, "name": name, "first_seen_at": now, "first_article_id": aid}
            for key, (name, aid) in names.items()
        ],
        "key",
    )
    tag_ids = dict(
        conn.execute(select(tags_t.c.key, tags_t.c.id).where(tags_t.c.key.in_(names))).all()
    )
    insert_rows = [
        {
            "article_id": aid,
            "tag_id": tag_ids[tag_key(name)],
            "position": position,
            "origin": VOCABULARY,
        }
        for aid in wanted
        for name, _, position in current[aid]
    ]
    if insert_rows:
        conn.execute(article_tags_t.insert(), insert_rows)
