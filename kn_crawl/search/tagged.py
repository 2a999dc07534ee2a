"""The newest articles with one Stichwort, fast for rare and for common tags alike.

A rare tag: read its few articles and sort them by date. A common tag: walk the date index
from the newest article down and keep those that have the tag (each check is a primary-key
look-up), which stops after the first page instead of sorting tens of thousands of rows. The
switch point is where both cost about the same: ``tag_count² ≈ articles × rows_wanted``.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.engine import Connection

from kn_crawl.db.models import Article, ArticleTag, Tag


def tag_id_of(conn: Connection, key: str) -> int | None:
    return conn.execute(select(Tag.id).where(Tag.key == key)).scalar()


def tagged_count(conn: Connection, tag_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(ArticleTag).where(ArticleTag.tag_id == tag_id)
        ).scalar_one()
    )


def tagged_newest(conn: Connection, tag_id: int, *, limit: int, offset: int = 0) -> list[int]:
    """Ids of the article with this tag, newest first, one page."""
    wanted = limit + offset
    # max(id) is an index look-up, count(*) a scan; as a size estimate it is good enough.
    articles = int(conn.execute(select(func.max(Article.id))).scalar() or 0)
    if tagged_count(conn, tag_id) ** 2 > articles * wanted:
        has_tag = exists().where(ArticleTag.article_id == Article.id, ArticleTag.tag_id == tag_id)
        stmt = (
            select(Article.id)
            .where(has_tag)
            .order_by(Article.published_at.desc(), Article.id.desc())
            .with_hint(Article, "INDEXED BY ix_articles_published_at", "sqlite")
        )
    else:
        stmt = (
            select(Article.id)
            .join(ArticleTag, ArticleTag.article_id == Article.id)
            .where(ArticleTag.tag_id == tag_id)
            .order_by(Article.published_at.desc(), Article.id.desc())
        )
    return list(conn.execute(stmt.limit(limit).offset(offset)).scalars())
