"""Reading request parameters. Every malformed value is a 400 with a German message (an HTML
error page, or a JSON error under ``/api/``), never a 500: numbers are ASCII digits within
their range (``int()`` takes ``٣`` and a database refuses ids beyond 64 bits), choices are
one of their values, and text holds no NUL (PostgreSQL refuses it in any text parameter)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from flask import abort, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter

from kn_crawl.dates import BERLIN
from kn_crawl.query import Query, QueryError, parse_query
from kn_crawl.query.german import german

PAGE_SIZE = 20
MAX_PAGE = 500
MAX_ID = 2**63 - 1
"""Article ids are 64-bit integers in both databases."""
MAX_TEXT = 2_000
"""Longest text parameter (a query, a Stichwort): far more than anyone types."""


def bounded_int(raw: str, low: int, high: int) -> int | None:
    """``raw`` as an integer in [low, high], or None: ASCII digits only, no sign, no
    exponent, no digits of other scripts, and no more digits than ``high`` has (so a
    thousand-digit number is never converted)."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw.lstrip("0")) > len(str(high)):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def int_arg(name: str, default: int, low: int, high: int, message: str) -> int:
    """The query parameter ``name`` as an integer in [low, high]; absent: ``default``."""
    raw = request.args.get(name)
    if raw is None:
        return default
    value = bounded_int(raw.strip(), low, high)
    if value is None:
        abort(400, description=f"{message}: {name} muss eine Zahl von {low} bis {high} sein")
    return value


def choice_arg(name: str, default: str, choices: Collection[str], message: str) -> str:
    value = request.args.get(name, default)
    if value not in choices:
        abort(400, description=f"{message}: {name} muss {' oder '.join(choices)} sein")
    return value


def check_text(value: str, what: str) -> str:
    if "\x00" in value or len(value) > MAX_TEXT:
        abort(400, description=f"Ungültige Anfrage: {what} ist zu lang oder enthält NUL")
    return value


def check_request() -> None:
    """Before every request: no parameter or path with NUL or beyond the length cap."""
    check_text(request.path, "der Pfad")
    for name, value in request.args.items(multi=True):
        check_text(name, "ein Parametername")
        check_text(value, f"der Parameter {name}")


class ArticleIdConverter(BaseConverter):
    """``<id:article_id>``: an article id in ASCII digits within 64 bits; anything else in
    that place of the path is a 400 (Werkzeug's ``int`` takes ``٣`` and any length)."""

    def to_python(self, value: str) -> int:
        article_id = bounded_int(value, 1, MAX_ID)
        if article_id is None:
            raise BadRequest(f"Ungültige Artikelnummer: eine Zahl von 1 bis {MAX_ID}")
        return article_id


def query_text() -> str:
    return request.args.get("q", "").strip()


def parsed_query() -> tuple[Query | None, QueryError | None]:
    try:
        return parse_query(query_text(), now=datetime.now(BERLIN)), None
    except QueryError as exc:
        return None, exc


def query_or_400() -> Query:
    query, error = parsed_query()
    if error is not None:
        abort(400, description=f"Ungültige Suche: {german(error)}")
    assert query is not None
    return query


def page_number() -> int:
    return int_arg("page", 1, 1, MAX_PAGE, "Ungültige Seitenzahl")


def order() -> str:
    return choice_arg("order", "relevance", ("relevance", "date"), "Ungültige Sortierung")
