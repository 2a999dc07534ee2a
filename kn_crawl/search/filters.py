"""A parsed query as SQL: the ids (and relevance scores) of the matching articles, on either
backend. Bound parameters only; filters compare normalised keys like the Python matcher."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Subquery,
    exists,
    func,
    literal,
    select,
)
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


def source_keys(values: Collection[str]) -> list[str]:
    """The source names a ``source:`` value may mean: catalogue names are lower case (with
    ``_``), so ``Kommune21`` is ``kommune21``; ``tag_key`` also lets ``stadt-und-werk`` find
    ``stadtundwerk``."""
    return sorted({v.casefold() for v in values} | {tag_key(v) for v in values})


def synonym_keys(name: str) -> list[str]:
    """The tag keys a ``tag:`` value finds: its own and its synonyms' (``tag:OZG`` finds
    articles tagged Onlinezugangsgesetz), by the alerts' vocabulary, so that a search and a
    subscription for the same Stichwort agree."""
    from kn_crawl.alerts.vocabulary import configured_vocabulary

    return [
        tag_key(name),
        *(k for k in configured_vocabulary().keys_of(name) if k != tag_key(name)),
    ]


def _tagged(keys: Collection[str]) -> Select[int]:
    join = select(ArticleTag.article_id).join(Tag, Tag.id == ArticleTag.tag_id)
    if len(keys) == 1:
        return join.where(Tag.key == next(iter(keys)))
    return join.where(Tag.key.in_(sorted(keys)))


@dataclass(frozen=True, slots=True)
class FilterTable:
    """Where a backend reads the values filters compare and dates sort by.

    On SQLite that is ``article_facets`` (migration 0005): the same values as ``articles``
    in rows of ~30 bytes, where in ``articles`` they sit behind the body text, so that each
    look-up there reads the body's overflow pages too. PostgreSQL reads ``articles``.
    """

    table: FromClause
    id: ColumnElement[int]
    source_id: ColumnElement[int]
    published_at: ColumnElement[datetime]
    section_key: ColumnElement[str]
    section_missing: ColumnElement[bool]
    date_index: str


def filter_table(conn: Connection) -> FilterTable:
    if conn.dialect.name == "sqlite":
        c = sqlite.FACETS.c
        return FilterTable(
            sqlite.FACETS,
            c.article_id,
            c.source_id,
            c.published_at,
            c.section_key,
            c.section_key.is_(None),
            "ix_article_facets_published_at",
        )
    return FilterTable(
        Article.__table__,
        Article.id,  # type: ignore[arg-type]
        Article.source_id,  # type: ignore[arg-type]
        Article.published_at,  # type: ignore[arg-type]
        sql_key(Article.section),
        Article.section.is_(None),
        "ix_articles_published_at",
    )


def filter_conditions(
    query: Query, on: FilterTable, *, listed_tags: Collection[str] | None = None
) -> list[ColumnElement[bool]]:
    """Conditions for the query's tag/source/section/date filters on the table ``on``.

    A ``tag:`` filter is a list of the tag's articles, or, when ``listed_tags`` (keys) is
    given and does not name it, a look-up of each candidate article in ``article_tags`` (see
    ``kn_crawl.search.tagged.tag_to_list``)."""
    conditions: list[ColumnElement[bool]] = []
    if query.sources or query.excluded_sources:
        names = select(Source.id)
        if query.sources:
            conditions.append(
                on.source_id.in_(names.where(Source.name.in_(source_keys(query.sources))))
            )
        if query.excluded_sources:
            conditions.append(
                on.source_id.not_in(
                    names.where(Source.name.in_(source_keys(query.excluded_sources)))
                )
            )
    if query.sections:
        conditions.append(on.section_key.in_([tag_key(s) for s in query.sections]))
    if query.excluded_sections:
        keys = [tag_key(s) for s in query.excluded_sections]
        conditions.append(on.section_missing | on.section_key.not_in(keys))
    for keys in (synonym_keys(t) for t in query.tags):
        if listed_tags is None or keys[0] in listed_tags:
            conditions.append(on.id.in_(_tagged(keys)))
        else:
            conditions.append(exists(_tagged(keys).where(ArticleTag.article_id == on.id)))
    for keys in (synonym_keys(t) for t in query.excluded_tags):
        conditions.append(on.id.not_in(_tagged(keys)))
    if query.since is not None:
        conditions.append(on.published_at >= query.since)
    if query.until is not None:
        conditions.append(on.published_at < query.until)
    return conditions


def hits(query: Query, conn: Connection) -> Subquery:
    """The matching articles as a subquery with columns ``id`` and ``score`` (0 without words).

    Join it to ``articles`` on ``id``; order by ``score`` for relevance.
    """
    on = filter_table(conn)
    conditions = filter_conditions(query, on)
    backend = sqlite if conn.dialect.name == "sqlite" else postgresql
    if query.groups:
        text = backend.text_hits(conn, query).subquery("text_hits")
        stmt = select(text.c.id.label("id"), text.c.score.label("score"))
        if conditions:
            # Only filters need the article's values; a plain text search stays in the index.
            stmt = stmt.join(on.table, on.id == text.c.id)
        return stmt.where(*conditions).subquery("hits")
    stmt = select(on.id.label("id"), literal(0.0).label("score")).select_from(on.table)
    if query.excluded:
        stmt = stmt.where(on.id.not_in(backend.ids_with_any(conn, query.excluded)))
    return stmt.where(*conditions).subquery("hits")
