"""One article with everything known about it: fields, revisions, Stichwörter, and its story
(the other articles that tell the same news, found by clustering: see ``kn_crawl.stories``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from kn_crawl.db.models import Article, ArticleRevision, ArticleTag, Source, Tag, table_of
from kn_crawl.search.stories import StoryArticle, StoryDetail, story_detail

ARTICLES = table_of(Article)
REVISIONS = table_of(ArticleRevision)


@dataclass(frozen=True, slots=True)
class ArticleDetail:
    article: Row[Any]
    """Every column of ``articles`` (attribute access), plus ``source`` and ``source_title``."""
    tags: list[tuple[str, str, str]]
    """(key, name, origin) in page order; origin ``site``, ``feed`` or ``vocabulary``."""
    revisions: list[Row[Any]]
    """Earlier versions, newest first (every column of ``article_revisions``)."""
    story: StoryDetail | None
    """The article's story; None while it is not clustered."""
    same_story: list[StoryArticle]
    """The story's other articles (at other sources, or a second one at the same source),
    the story's first article first."""


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
    story = story_detail(conn, row.story_id) if row.story_id is not None else None
    same = [a for a in story.articles if a.id != article_id] if story else []
    return ArticleDetail(article=row, tags=tags, revisions=revisions, story=story, same_story=same)
