"""Full-text search over the articles, one interface over two backends.

SQLite uses FTS5 tables and PostgreSQL a ``german`` tsvector (both created, filled and kept in
sync by migration 0004's triggers); ``kn_crawl.search.filters.hits`` turns a parsed
``kn_crawl.query.Query`` into the SQL of either. Everything here only reads.
"""

from kn_crawl.search.filters import hits
from kn_crawl.search.results import (
    EXPORT_COLUMNS,
    Facets,
    Hit,
    SearchPage,
    count,
    export_rows,
    facets,
    search,
)

__all__ = [
    "EXPORT_COLUMNS",
    "Facets",
    "Hit",
    "SearchPage",
    "count",
    "export_rows",
    "facets",
    "hits",
    "search",
]
