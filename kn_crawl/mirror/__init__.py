"""A local, deterministic mirror of the three K21 media news sites (kommune21.de,
move-online.de, stadt-und-werk.de) for tests and demos: realistic WordPress-theme pages, old URL
forms, feeds, conditional requests and deliberate defects, served on 127.0.0.1; with
``zoo=True`` also the zoo's eleven sites of other CMS families (:mod:`kn_crawl.mirror.zoo`).

    with Mirror() as mirror:
        mirror.base_urls["kommune21"]  # "http://127.0.0.1:PORT/"
        mirror.expected["kommune21"].articles
    with Mirror(zoo=True) as mirror:
        mirror.expected_articles("fitko")
        mirror.zoo_entries()["fitko"]["feed_urls"]
"""

from kn_crawl.mirror.app import FAULTS
from kn_crawl.mirror.model import (
    SOURCES,
    ExpectedArticle,
    ExpectedCounts,
    RequestRecord,
)
from kn_crawl.mirror.server import Mirror, mirror_ports, serve
from kn_crawl.mirror.zoo import ZOO_SOURCES, zoo_entries

__all__ = [
    "FAULTS",
    "SOURCES",
    "ZOO_SOURCES",
    "ExpectedArticle",
    "ExpectedCounts",
    "Mirror",
    "RequestRecord",
    "mirror_ports",
    "serve",
    "zoo_entries",
]
