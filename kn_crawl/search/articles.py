"""One article with everything known about it: fields, revisions, Stichwörter, and the same
story at other sources (same normalised title within a few days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from kn_crawl.db.models import Article, ArticleRevision, ArticleTag, Source, Tag, table_of
from kn_crawl.text import title_key

ARTICLES = table_of(Article)
REVISIONS = table_of(ArticleRevision)
# Sister sites publish the same story a day or two apart.
SAME_STORY_WINDOW = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class ArticleDetail:
    article: Row[Any]
    """Every column of ``articles`` (attribute access), plus ``source`` and ``source_title``."""
    tags: list[tuple[str, str, str]]
    """(key, name, origin) in page order; origin ``site``, ``feed`` or ``vocabulary``."""
    revisions: list[Row[Any]]
    """Earlier versions, newest first (every column of ``article_revisions``)."""
    same_story: list[Row[int, str, str, str, datetime]]
    """(id, source, title, url, published_at) of the same story at other sources."""


def article_detail(conn: Connection, article_id: int) -> ArticleDetail | None:
    row = conn.execute(
        select(ARTICLES, Source.name.label("source"), Source.title.label("source_title"))
        .join(Source, Source.id == ARTICLES.c.source_id)
        .where(ARTICLES.c.id == article_id)
    ).first()
    if row is None:
        return None
    tags = [
        (k, n, o)
        for k, n, o in conn.execute(
            select(Tag.key, Tag.name, ArticleTag.origin)
            .join(ArticleTag, ArticleTag.tag_id == Tag.id)
            .where(ArticleTag.article_id == article_id)
            .order_by(ArticleTag.position)
        ).all()
    ]
    revisions = list(
        conn.execute(
            select(REVISIONS)
            .where(REVISIONS.c.article_id == article_id)
            .order_by(REVISIONS.c.revised_at.desc(), REVISIONS.c.id.desc())
        ).all()
    )
    key = title_key(row.title)
    candidates = conn.execute(
        select(Article.id, Source.name.label("source"), Article.title, Article.url,
               Article.published_at)
        .join(Source, Source.id == Article.source_id)
        .where(
            Article.source_id != row.source_id,
            Article.published_at >= row.published_at - SAME_STORY_WINDOW,
            Article.published_at <= row.published_at + SAME_STORY_WINDOW,
        )
        .order_by(Article.published_at)
    ).all()  # fmt: skip
    same = [c for c in candidates if key and title_key(c.title) == key]
    return ArticleDetail(article=row, tags=tags, revisions=revisions, same_story=same)
