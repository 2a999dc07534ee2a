"""Reading request parameters: the query (errors become 400 pages with the message), paging."""

from __future__ import annotations

from datetime import datetime

from flask import abort, request

from kn_crawl.dates import BERLIN
from kn_crawl.query import Query, QueryError, parse_query

PAGE_SIZE = 20
MAX_PAGE = 500


def query_text() -> str:
    return request.args.get("q", "").strip()


def parsed_query() -> tuple[Query | None, QueryError | None]:
    try:
        return parse_query(query_text(), now=datetime.now(BERLIN)), None
    except QueryError as exc:
        return None, exc


def query_or_400() -> Query:
    query, error = parsed_query()
    if error is not None or query is None:
        abort(400, description=f"Ungültige Suche: {error}")
    return query


def page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, description="Ungültige Seitenzahl")
    return int(raw)


def order() -> str:
    value = request.args.get("order", "relevance")
    if value not in ("relevance", "date"):
        abort(400, description="Ungültige Sortierung")
    return value
