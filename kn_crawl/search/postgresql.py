"""PostgreSQL: ``article_search`` (a weighted ``german`` tsvector of the folded text with a GIN
index, and the folded title/kicker/teaser with a pg_trgm index when available)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    bindparam,
    column,
    func,
    literal_column,
    not_,
    or_,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Connection

from kn_crawl.query.model import Query, Term

GERMAN: ColumnElement[object] = literal_column("'german'::regconfig")
SEARCH = table(
    "article_search", column("article_id"), column("document", TSVECTOR), column("head", Text)
)


def tsquery_term(term: Term) -> str:
    """tsquery syntax for one term; tokens are folded letters and digits only."""
    if term.matches_parts:
        return f"{term.tokens[0]}:*"
    if term.is_word:
        return term.tokens[0]  # a short word: whole words only
    return "(" + " <-> ".join(term.tokens) + ")"


def _tsquery(expression: str) -> ColumnElement[object]:
    return func.to_tsquery(GERMAN, bindparam(None, expression, unique=True))


def _any(terms: Sequence[Term]) -> ColumnElement[bool]:
    words = SEARCH.c.document.bool_op("@@")(_tsquery(" | ".join(map(tsquery_term, terms))))
    parts = [
        SEARCH.c.head.like(bindparam(None, f"%{t.tokens[0]}%", unique=True))
        for t in terms
        if t.matches_parts
    ]
    return or_(words, *parts)


def ids_with_any(conn: Connection, terms: Sequence[Term]) -> Select[int]:
    return select(SEARCH.c.article_id).where(_any(terms))


def text_hits(conn: Connection, query: Query) -> Select[int, float]:
    """(id, score) of the articles whose text satisfies the query's words and phrases."""
    positive = [t for g in query.groups for t in g]
    rank = func.ts_rank_cd(SEARCH.c.document, _tsquery(" | ".join(map(tsquery_term, positive))))
    conditions = [_any(g) for g in query.groups]
    if query.excluded:
        conditions.append(not_(_any(query.excluded)))
    return select(SEARCH.c.article_id.label("id"), rank.label("score")).where(*conditions)
