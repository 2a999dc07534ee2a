"""A parsed query as SQL: the ids (and relevance scores) of the matching articles, on either
backend. Bound parameters only; filters compare normalised keys like the Python matcher."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, Subquery, func, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute

from kn_crawl.db.models import Article, ArticleTag, Source, Tag
from kn_crawl.query.fold import UMLAUTS
from kn_crawl.query.model import Query
from kn_crawl.search import postgresql, sqlite
from kn_crawl.tags import tag_key

# Characters tag_key drops that occur in section names ("E-Government", "Bauen & Wohnen").
_KEY_DROPS = " -_./&,'"


def sql_key(
    expr: ColumnElement[str | None] | InstrumentedAttribute[str | None],
) -> ColumnElement[str]:
    """SQL approximation of ``tag_key`` for short labels such as sections."""
    folded: ColumnElement[str] = func.lower(expr)
    for old, new in UMLAUTS.items():
        folded = func.replace(folded, old, new.lower())
    for char in _KEY_DROPS:
        folded = func.replace(folded, char, "")
    return folded


def _tagged(key: str) -> Select[int]:
    return (
        select(ArticleTag.article_id).join(Tag, Tag.id == ArticleTag.tag_id).where(Tag.key == key)
    )


def filter_conditions(query: Query) -> list[ColumnElement[bool]]:
    """Conditions on ``articles`` for the query's tag/source/section/date filters."""
    conditions: list[ColumnElement[bool]] = []
    if query.sources or query.excluded_sources:
        names = select(Source.id)
        if query.sources:
            conditions.append(
                Article.source_id.in_(
                    names.where(Source.name.in_([tag_key(s) for s in query.sources]))
                )
            )
        if query.excluded_sources:
            conditions.append(
                Article.source_id.not_in(
                    names.where(Source.name.in_([tag_key(s) for s in query.excluded_sources]))
                )
            )
    if query.sections:
        conditions.append(sql_key(Article.section).in_([tag_key(s) for s in query.sections]))
    if query.excluded_sections:
        keys = [tag_key(s) for s in query.excluded_sections]
        conditions.append(Article.section.is_(None) | sql_key(Article.section).not_in(keys))
    for tag in query.tags:
        conditions.append(Article.id.in_(_tagged(tag_key(tag))))
    for tag in query.excluded_tags:
        conditions.append(Article.id.not_in(_tagged(tag_key(tag))))
    if query.since is not None:
        conditions.append(Article.published_at >= query.since)
    if query.until is not None:
        conditions.append(Article.published_at < query.until)
    return conditions


def hits(query: Query, conn: Connection) -> Subquery:
    """The matching articles as a subquery with columns ``id`` and ``score`` (0 without words).

    Join it to ``articles`` on ``id``; order by ``score`` for relevance.
    """
    conditions = filter_conditions(query)
    if query.groups:
        backend = sqlite if conn.dialect.name == "sqlite" else postgresql
        text = backend.text_hits(conn, query).subquery("text_hits")
        stmt = select(text.c.id.label("id"), text.c.score.label("score"))
        if conditions:
            # Only filters need the article rows; a plain text search stays in the index.
            stmt = stmt.join(Article, Article.id == text.c.id)
    else:
        stmt = select(Article.id.label("id"), literal(0.0).label("score"))
        if query.excluded:
            backend = sqlite if conn.dialect.name == "sqlite" else postgresql
            stmt = stmt.where(Article.id.not_in(backend.ids_with_any(conn, query.excluded)))
    return stmt.where(*conditions).subquery("hits")
