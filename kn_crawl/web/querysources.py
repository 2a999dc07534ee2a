"""An unknown ``source:``/``quelle:`` in a web search is an error, as in the CLI (``unknown
source``), not "0 Treffer" that reads like a source without matches."""

from __future__ import annotations

import difflib

from sqlalchemy import select
from sqlalchemy.engine import Connection

from kn_crawl.db.models import Source
from kn_crawl.query import Query
from kn_crawl.search.filters import source_keys
from kn_crawl.sources import source_names


def unknown_source(conn: Connection, query: Query) -> str | None:
    """``Unbekannte Quelle: foo`` for the first ``source:`` value (also an excluded one) that
    names neither a stored source nor one of the catalogue (which may have no articles yet);
    ``None`` when every value names one."""
    values = [*query.sources, *query.excluded_sources]
    if not values:
        return None
    known = set(conn.execute(select(Source.name)).scalars()) | set(source_names(enabled_only=False))
    for value in values:
        if known.isdisjoint(source_keys([value])):
            close = difflib.get_close_matches(value.casefold(), sorted(known), n=1)
            hint = f" (meinten Sie {close[0]}?)" if close else ""
            return f"Unbekannte Quelle: {value}{hint}"
    return None
