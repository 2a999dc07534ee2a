"""The query language shared by the CLI, the web UI and the alert subscriptions.

    from kn_crawl.query import parse_query, match_article, highlight

    query = parse_query('OZG OR Onlinezugangsgesetz -Bayern tag:Hessen since:01.03.2025')
    match = match_article(query, title=..., kicker=..., teaser=..., tags=[...], source="move")
    highlight(title, match.terms)  # [("…", False), ("OZG", True), …]

The grammar is described in ``kn_crawl.query.parser``; the matching rules in
``kn_crawl.query.model.Term``. The SQL side (full-text indexes) lives in ``kn_crawl.search``.
"""

from kn_crawl.query.fold import fold, tokens
from kn_crawl.query.matching import Match, highlight, match_article, snippet
from kn_crawl.query.model import PART_MIN_LENGTH, Query, QueryError, Term
from kn_crawl.query.parser import parse_query

__all__ = [
    "PART_MIN_LENGTH",
    "Match",
    "Query",
    "QueryError",
    "Term",
    "fold",
    "highlight",
    "match_article",
    "parse_query",
    "snippet",
    "tokens",
]
