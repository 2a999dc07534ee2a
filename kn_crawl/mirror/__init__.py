"""A local, deterministic mirror of the three K21 media news sites (kommune21.de,
move-online.de, stadt-und-werk.de) for tests and demos: realistic WordPress-theme pages, old URL
forms, feeds, conditional requests and deliberate defects, served on 127.0.0.1.

    with Mirror() as mirror:
        mirror.base_urls["kommune21"]  # "http://127.0.0.1:PORT/"
        mirror.expected["kommune21"].articles
"""

from kn_crawl.mirror.app import FAULTS
from kn_crawl.mirror.model import (
    SOURCES,
    ExpectedArticle,
    ExpectedCounts,
    RequestRecord,
)
from kn_crawl.mirror.server import Mirror, serve

__all__ = [
    "FAULTS",
    "SOURCES",
    "ExpectedArticle",
    "ExpectedCounts",
    "Mirror",
    "RequestRecord",
    "serve",
]
