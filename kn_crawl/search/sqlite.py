"""SQLite: ``articles_fts`` (FTS5 over folded title, kicker, teaser and body; bm25 ranking)
and ``search_words`` with its trigram index (compound parts).

A whole query becomes one FTS5 expression, evaluated and ranked in one index pass. A word of
4+ letters is widened to the compounds that contain it — looked up in the trigram index of the
words of titles, kickers and teasers — restricted to those columns, so the database finds what
``kn_crawl.query.match_article`` would.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    bindparam,
    column,
    func,
    literal,
    select,
    table,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import literal_column

from kn_crawl.db.models import UTCDateTime
from kn_crawl.query.fold import tokens
from kn_crawl.query.model import Query, Term

FTS = table("articles_fts", column("rowid"))
# Migration 0005: each article's filter values in a narrow row (see filters.filter_conditions).
FACETS = table(
    "article_facets",
    column("article_id", Integer),
    column("source_id", Integer),
    column("section_key", String),
    column("published_at", UTCDateTime()),
)
WORDS = table("search_words_trigram", column("word"))
# bm25 weights of title, kicker, teaser, body: a word in the headline counts most.
WEIGHTS = (10.0, 5.0, 3.0, 1.0)
# A part found in more compounds than this is widened to the first ones only (a short, common
# part such as "stadt" occurs in thousands of words; the word-prefix match still applies).
MAX_COMPOUNDS = 200


def _matching(index: str, expression: str) -> ColumnElement[bool]:
    return literal_column(index).op("MATCH")(bindparam(None, expression, unique=True))


def _phrase(parts: Sequence[str]) -> str:
    # Tokens are folded letters and digits only, so a quoted token cannot break out of its
    # quotes; the expression is still sent as a bound parameter.
    return '"' + " ".join(parts) + '"'


def compounds(conn: Connection, part: str) -> list[str]:
    """Words of titles, kickers and teasers that contain ``part`` inside (not at the start:
    the prefix match covers those)."""
    rows = conn.execute(
        select(WORDS.c.word)
        .where(_matching("search_words_trigram", _phrase([part])))
        .limit(MAX_COMPOUNDS * 2)
    ).scalars()
    found: dict[str, None] = {}
    for word in rows:
        # Stored words may carry punctuation ("(serviceportal)"); keep the token with the part.
        for token in tokens(word):
            if part in token and not token.startswith(part):
                found[token] = None
    return list(found)[:MAX_COMPOUNDS]


class Expressions:
    """FTS5 expressions for terms, with the compound look-ups of one connection cached."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._compounds: dict[str, list[str]] = {}

    def term(self, term: Term) -> str:
        if not term.matches_parts:
            return _phrase(term.tokens)  # a phrase, or a short word: whole words only
        base = _phrase(term.tokens) + "*"
        part = term.tokens[0]
        if part not in self._compounds:
            self._compounds[part] = compounds(self.conn, part)
        words = [_phrase([w]) for w in self._compounds[part]]
        if not words:
            return base
        return f"({base} OR {{title kicker teaser}} : ({' OR '.join(words)}))"

    def any(self, terms: Sequence[Term]) -> str:
        return " OR ".join(self.term(t) for t in terms)

    def query(self, query: Query) -> str:
        expression = " AND ".join(f"({self.any(g)})" for g in query.groups)
        if query.excluded:
            expression += f" NOT ({self.any(query.excluded)})"
        return expression


def ids_with_any(conn: Connection, terms: Sequence[Term]) -> Select[int]:
    return select(FTS.c.rowid).where(_matching("articles_fts", Expressions(conn).any(terms)))


def text_hits(conn: Connection, query: Query) -> Select[int, float]:
    """(id, score) of the articles whose text satisfies the query's words and phrases."""
    bm25 = -func.bm25(literal_column("articles_fts"), *(literal(w) for w in WEIGHTS))
    return select(FTS.c.rowid.label("id"), bm25.label("score")).where(
        _matching("articles_fts", Expressions(conn).query(query))
    )
