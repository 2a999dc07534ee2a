"""Keyword queries of subscriptions, in the shared query language (``kn_crawl.query``):
words, "phrases", -exclusions, OR and filters over title, kicker and teaser."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kn_crawl.query import Query, QueryError, highlight, match_article, parse_query

__all__ = ["QueryError", "compile_query", "highlight_terms", "match_terms"]


def compile_query(text: str, *, now: datetime) -> Query:
    """The parsed query; QueryError (one line, with the position) when it is not one, or when
    it would match every article."""
    query = parse_query(text, now=now)
    if query.is_empty:
        raise QueryError("the query has no words or filters, so it would match everything", 0)
    return query


def match_terms(
    query: Query,
    *,
    title: str,
    kicker: str | None,
    teaser: str | None,
    tags: Sequence[str],
    source: str,
    section: str | None,
    published_at: datetime | None,
) -> list[str] | None:
    """The query's words and phrases found in the article (possibly none, for a query of
    filters only), or None when it does not match."""
    found = match_article(
        query,
        title=title,
        kicker=kicker,
        teaser=teaser,
        tags=tags,
        source=source,
        section=section,
        published_at=published_at,
    )
    return None if found is None else list(found.terms)


def highlight_terms(text: str, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """``(segment, matched)`` pairs that join back to ``text``."""
    return highlight(text, terms) if terms else [(text, False)]
