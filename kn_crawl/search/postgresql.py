"""PostgreSQL: ``article_search`` (a weighted ``german`` tsvector of the folded text with a GIN
index, and the folded title/kicker/teaser with a pg_trgm index when available)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
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

from kn_crawl.query.fold import fold
from kn_crawl.query.model import Query, Term
from kn_crawl.search.planner import planner_settings

GERMAN: ColumnElement[object] = literal_column("'german'::regconfig")
SEARCH = table(
    "article_search", column("article_id"), column("document", TSVECTOR), column("head", Text)
)


def tsquery_term(term: Term) -> ColumnElement[object]:
    """The tsquery of one term; tokens are folded letters and digits only."""
    if term.matches_parts:
        return _tsquery(f"{term.tokens[0]}:*")
    if term.is_word:
        return _tsquery(term.tokens[0])  # a short word: whole words only
    # A phrase: phraseto_tsquery leaves stop words out and keeps their places (``für den
    # Deutschland-Stack``: ``'fuer' <2> 'deutschland'``).
    words = _phrase(" ".join(term.tokens))
    typed = fold(" ".join(term.text.split()))
    if typed == " ".join(term.tokens):
        return words
    # PostgreSQL's parser gives a hyphenated word a place of its own before its parts
    # (``deutschland-stack``:6 ``deutschland``:7 ``stack``:8), so the words before it are one
    # place further away than the tokens say. The phrase as typed, parsed the same way as the
    # document, meets that; the tokens alone meet the same words written apart.
    return words.op("||")(_phrase(typed))


def _tsquery(expression: str) -> ColumnElement[object]:
    return func.to_tsquery(GERMAN, bindparam(None, expression, unique=True))


def _phrase(text: str) -> ColumnElement[object]:
    return func.phraseto_tsquery(GERMAN, bindparam(None, text, unique=True))


def _either(terms: Sequence[Term]) -> ColumnElement[object]:
    """The tsquery matching any of ``terms``."""
    return reduce(lambda a, b: a.op("||")(b), map(tsquery_term, terms))


def _any(terms: Sequence[Term]) -> ColumnElement[bool]:
    words = SEARCH.c.document.bool_op("@@")(_either(terms))
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
    rank = func.ts_rank_cd(SEARCH.c.document, _either(positive))
    conditions = [_any(g) for g in query.groups]
    if query.excluded:
        conditions.append(not_(_any(query.excluded)))
    return select(SEARCH.c.article_id.label("id"), rank.label("score")).where(*conditions)


# Per article read, testing the articles newest first (the primary key's order, a row each)
# costs about a third of fetching a match through the GIN index's bitmap (a random page
# each): ~2 µs against ~6.6 µs on the 1,000,000-article bench database.
WALK_COST = 0.3
# How many of the newest articles ``walk_newest`` tests to see how dense the matches are.
PROBE = 2_000


def newest_density(conn: Connection, matched: Subquery, newest_id: int, probe: int) -> float:
    """The share of the ``probe`` newest articles (by id) that match, found by testing them.

    This is what a walk newest first costs per match found, measured rather than estimated:
    the planner's row estimate of prefix queries is poor (76,000 for the 41,582 matches of
    ``Glasfaser OR Breitband``), and on it ``walk_newest`` walked 480,000 rows (1.6 s).
    Testing 2,000 rows costs a few milliseconds, as much as planning the query did.
    """
    floor = newest_id - probe
    stmt = select(func.count()).select_from(matched).where(matched.c.id > floor)
    # The newest rows by the primary key's range, not the text index's bitmap of every match.
    with planner_settings(conn, enable_bitmapscan="off"):
        found = conn.execute(stmt).scalar_one()
    return int(found) / probe


def walk_newest(
    conn: Connection,
    matched: Subquery,
    window: int,
    newest_id: int,
    *,
    text_only: Subquery | None = None,
) -> bool:
    """Whether the newest ``window`` matches are found sooner by testing every article newest
    first (about ``window ÷ density`` rows read) than by fetching every text match through the
    index and sorting them (``newest_id`` stands for the number of articles).

    ``text_only`` is ``matched`` without its filters, when it has any: the index fetches every
    match of the words, and the filters drop theirs only after (``Stadtwerke
    source:stadtundwerk``: 208,000 fetched for 69,000 kept; walking is cheaper there).

    PostgreSQL's planner makes this choice itself, but it prices the text match at a fraction
    of its cost, so it walks far too often: ``Glasfaser OR Breitband`` (41,582 matches of
    1,000,000) read 480,000 rows for its 20,000 (1.1 s; the index and a sort: ~0.3 s).
    """
    probe = min(PROBE, newest_id)
    if probe <= 0:
        return False
    density = newest_density(conn, matched, newest_id, probe)
    if density * newest_id <= window:
        return False
    fetched = density
    if text_only is not None:
        fetched = newest_density(conn, text_only, newest_id, probe)
    return window / density * WALK_COST < fetched * newest_id
