"""Search results and facets: what the CLI, the web UI and the JSON API show."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import Select, Subquery, func, null, select
from sqlalchemy.engine import Connection

from kn_crawl.db.models import Article, ArticleTag, Source, Tag
from kn_crawl.queries import tags_with_origins
from kn_crawl.query.matching import highlight, snippet
from kn_crawl.query.model import Query
from kn_crawl.search import postgresql
from kn_crawl.search.filters import filter_conditions, filter_table, hits, synonym_keys
from kn_crawl.search.periods import month_of
from kn_crawl.search.planner import by_index, serial
from kn_crawl.search.tagged import (
    article_estimate,
    tag_id_of,
    tag_to_list,
    tagged_count,
    tagged_newest,
)
from kn_crawl.tags import tag_key

Segments = list[tuple[str, bool]]
# Relevance ranks the newest this many matches first (see _by_relevance); facet counts of a
# larger result count this many matches (see facets).
RANK_WINDOW = 20_000
Order = Literal["relevance", "date"]


@dataclass(frozen=True, slots=True)
class Hit:
    id: int
    source: str
    url: str
    title: str
    kicker: str | None
    teaser: str | None
    section: str | None
    published_at: datetime
    score: float
    tags: list[str] = field(default_factory=list)
    tag_origins: dict[str, str] = field(default_factory=dict)
    """Origin of each tag that did not come from the site: ``feed`` or ``vocabulary``."""
    title_marks: Segments = field(default_factory=list)
    """The title split into (text, is_match) segments."""
    snippet: Segments = field(default_factory=list)
    """Teaser, or the part of the body with the first match, highlighted."""
    story_id: int | None = None
    """The article's story (``kn_crawl.search.stories``); None while not clustered."""


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[Hit]
    total: int
    offset: int
    limit: int


def _ranked_ids(
    conn: Connection, query: Query, order: Order, limit: int, offset: int, rank_window: int
) -> list[tuple[int, float]]:
    """Step one: only (id, score) of one page, so the sort handles narrow rows."""
    tag_id = _single_tag(conn, query)
    if tag_id is not None:
        return [(i, 0.0) for i in tagged_newest(conn, tag_id, limit=limit, offset=offset)]
    on = filter_table(conn)
    if not query.groups and not query.excluded:
        # Filters only: one pass, newest first. When the Stichwörter are common, the date
        # index drives it and each article's tags are looked up; else the rarest one's
        # articles are read, checked for the others and sorted.
        keys = [tag_key(t) for t in query.tags]
        listed = tag_to_list(conn, keys, limit + offset)
        newest = (
            select(on.id)
            .select_from(on.table)
            .where(*filter_conditions(query, on, listed_tags=[] if listed is None else [listed]))
            .order_by(on.published_at.desc(), on.id.desc())
        )
        if keys and listed is None:
            newest = newest.with_hint(on.table, f"INDEXED BY {on.date_index}", "sqlite")
        with serial(conn):
            page = conn.execute(newest.limit(limit).offset(offset)).scalars().all()
        return [(int(i), 0.0) for i in page]
    matched = hits(query, conn)
    if order == "relevance" and query.groups:
        # The text matches before the filters: what PostgreSQL's index route fetches.
        text_only = None
        if conn.dialect.name == "postgresql" and filter_conditions(query, on):
            text_only = postgresql.text_hits(conn, query).subquery("text_only")
        return _by_relevance(conn, matched, limit, offset, rank_window, text_only)
    stmt = (
        select(matched.c.id, matched.c.score)
        .join(on.table, on.id == matched.c.id)
        .order_by(on.published_at.desc(), on.id.desc())
    )
    return _pairs(conn, stmt.limit(limit).offset(offset))


def _pairs(conn: Connection, stmt: Select[int, float]) -> list[tuple[int, float]]:
    return [(int(i), float(s or 0.0)) for i, s in conn.execute(stmt)]


def _by_relevance(
    conn: Connection,
    matched: Subquery,
    limit: int,
    offset: int,
    window: int,
    text_only: Subquery | None = None,
) -> list[tuple[int, float]]:
    """Relevance order: the newest ``window`` matches ranked by score, then the older ones
    ranked by score among themselves.

    Scoring a match costs about a microsecond (bm25 on SQLite), so ranking every match of a
    word found in 200,000 articles of a large database took longer than a search may take.
    Reading the matches newest first is nearly free (the full-text index is in id order,
    and ids follow collection), so only the newest ``window`` are scored for the first
    pages. Below that many matches — every query on a database of a few years of these
    sites — the order is plain relevance. Ties in score are broken by id, newest first.
    """
    newest_first = matched.c.id.desc()
    plan: AbstractContextManager[None] = nullcontext()
    if conn.dialect.name == "postgresql" and not postgresql.walk_newest(
        conn, matched, window, article_estimate(conn), text_only=text_only
    ):
        # The same order, by an expression no index provides, and no sequential scan:
        # PostgreSQL then fetches the matches through the text index and sorts them instead
        # of testing every article (see walk_newest).
        newest_first = (matched.c.id + 0).desc()
        plan = by_index(conn)
    newest = (
        select(matched.c.id, matched.c.score)
        .order_by(newest_first)
        .limit(window)
        .subquery("newest")
    )
    with plan:
        ranked = _pairs(
            conn,
            select(newest.c.id, newest.c.score)
            .order_by(newest.c.score.desc(), newest.c.id.desc())
            .limit(limit)
            .offset(offset),
        )
    if offset + limit <= window:
        return ranked
    # A page past the window: what is left of the window, then the older matches.
    oldest_in_window = select(func.min(newest.c.id)).scalar_subquery()
    older = (
        select(matched.c.id, matched.c.score)
        .where(matched.c.id < oldest_in_window)
        .order_by(matched.c.score.desc(), matched.c.id.desc())
        .limit(offset + limit - max(offset, window))
        .offset(max(0, offset - window))
    )
    return ranked + _pairs(conn, older)


def search(
    conn: Connection,
    query: Query,
    *,
    limit: int = 20,
    offset: int = 0,
    order: Order = "relevance",
    with_total: bool = True,
    rank_window: int = RANK_WINDOW,
) -> SearchPage:
    """One page of matching articles with highlighted title and snippet.

    By relevance, the newest ``rank_window`` matches come first (see ``_by_relevance``)."""
    ranked = _ranked_ids(conn, query, order, limit, offset, rank_window)
    ids = [i for i, _ in ranked]
    rows = {
        r[0]: r
        for r in conn.execute(
            select(
                Article.id,
                Source.name,
                Article.url,
                Article.title,
                Article.kicker,
                Article.teaser,
                Article.section,
                Article.published_at,
                Article.body,
                Article.story_id,
            )
            .join(Source, Source.id == Article.source_id)
            .where(Article.id.in_(ids))
        )
    }
    tags = tags_with_origins(conn, ids)
    terms = query.terms
    result = []
    for article_id, score in ranked:
        r = rows[article_id]
        marks = snippet(r[5], terms)
        if terms and not any(m for _, m in marks):
            body_marks = snippet(r[8], terms)
            if any(m for _, m in body_marks):
                marks = body_marks
        result.append(
            Hit(
                id=r[0],
                source=r[1],
                url=r[2],
                title=r[3],
                kicker=r[4],
                teaser=r[5],
                section=r[6],
                published_at=r[7],
                score=score,
                tags=[name for name, _ in tags.get(r[0], [])],
                tag_origins={n: o for n, o in tags.get(r[0], []) if o != "site"},
                title_marks=highlight(r[3], terms),
                snippet=marks,
                story_id=r[9],
            )
        )
    total = count(conn, query) if with_total else len(result)
    return SearchPage(hits=result, total=total, offset=offset, limit=limit)


def _single_tag(conn: Connection, query: Query) -> int | None:
    """The tag id when ``query`` is exactly one ``tag:`` filter (a Stichwort page)."""
    if len(query.tags) != 1 or replace(query, tags=(), text="") != Query():
        return None
    if len(synonym_keys(query.tags[0])) > 1:
        return None  # several tags (synonyms): the filters' path reads them all
    return tag_id_of(conn, tag_key(query.tags[0])) or -1


def count(conn: Connection, query: Query) -> int:
    tag_id = _single_tag(conn, query)
    if tag_id is not None:
        return tagged_count(conn, tag_id)
    matched = hits(query, conn)
    return int(conn.execute(select(func.count()).select_from(matched)).scalar_one())


@dataclass(frozen=True, slots=True)
class Facets:
    sources: list[tuple[str, int]]
    sections: list[tuple[str, int]]
    tags: list[tuple[str, int]]
    months: list[tuple[str, int]]


def facets(
    conn: Connection, query: Query, *, top: int = 10, months: int = 24, sample: int | None = None
) -> Facets:
    """Counts of the matching articles by source, section, Stichwort and month.

    Source, section and month come from one grouped pass over the matches (a few thousand
    groups at most), Stichwörter from a second one. With ``sample``, only the newest ``sample``
    matches are counted (last collected for a text search, last published for filters alone):
    a broad query on a large database then answers in bounded time, and the UI says that the
    counts are a sample.
    """
    matched = hits(query, conn)
    if sample is not None:
        first = select(matched.c.id)
        if query.groups:
            # The newest matches in the index's order: no score, no sort.
            first = first.order_by(matched.c.id.desc())
        else:
            first = first.join(Article, Article.id == matched.c.id).order_by(
                Article.published_at.desc(), Article.id.desc()
            )
        matched = first.limit(sample).subquery("sampled")
    month = month_of(conn.dialect.name).label("month")
    by_source: Counter[str] = Counter()
    by_section: Counter[str] = Counter()
    by_month: Counter[str] = Counter()
    for source, section, m, rows in conn.execute(
        select(Source.name, Article.section, month, func.count())
        .select_from(matched)
        .join(Article, Article.id == matched.c.id)
        .join(Source, Source.id == Article.source_id)
        .group_by(Source.name, Article.section, month)
    ):
        by_source[source] += rows
        if section:
            by_section[section] += rows
        by_month[m] += rows
    n = func.count().label("n")
    tags = conn.execute(
        select(Tag.name, n)
        .select_from(matched)
        .join(ArticleTag, ArticleTag.article_id == matched.c.id)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .group_by(Tag.id, Tag.name)
        .order_by(n.desc(), Tag.name)
        .limit(top)
    ).all()
    return Facets(
        sources=_top(by_source, None),
        sections=_top(by_section, top),
        tags=[(name, int(c)) for name, c in tags],
        months=sorted(by_month.items(), reverse=True)[:months],
    )


def _top(counts: Counter[str], limit: int | None) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


EXPORT_COLUMNS = (
    "id",
    "source",
    "published_at",
    "url",
    "kicker",
    "title",
    "teaser",
    "section",
    "type_label",
    "tags",
    "body",
    "tag_origins",  # new columns go last, so the columns before keep their places
    "story_id",
)


def export_rows(
    conn: Connection, query: Query, *, batch_size: int = 2000, with_body: bool = True
) -> Iterator[dict[str, object]]:
    """Every matching article, newest first, streamed with a server-side cursor in batches:
    memory stays flat however many rows there are."""
    matched = hits(query, conn)
    stmt = (
        select(
            Article.id,
            Source.name,
            Article.published_at,
            Article.url,
            Article.kicker,
            Article.title,
            Article.teaser,
            Article.section,
            Article.type_label,
            Article.body if with_body else null(),
            Article.story_id,
        )
        .join(matched, matched.c.id == Article.id)
        .join(Source, Source.id == Article.source_id)
        .order_by(Article.published_at.desc(), Article.id.desc())
    )
    result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(stmt)
    for partition in result.partitions():
        tags = tags_with_origins(conn, [r[0] for r in partition])
        for r in partition:
            yield {
                "id": r[0],
                "source": r[1],
                "published_at": r[2],
                "url": r[3],
                "kicker": r[4],
                "title": r[5],
                "teaser": r[6],
                "section": r[7],
                "type_label": r[8],
                "tags": [name for name, _ in tags.get(r[0], [])],
                "body": r[9],
                "tag_origins": [origin for _, origin in tags.get(r[0], [])],
                "story_id": r[10],
            }
