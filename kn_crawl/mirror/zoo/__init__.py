"""The zoo: eleven generated sites of the CMS families German public-sector and trade sites use
(WordPress, TYPO3 news, Government Site Builder, Drupal, Liferay, own CMSs), each with its
realistic URL shapes, feeds and quirks, ground truth and deliberate defects:

- dstgb: one press release without any date (``no_date``);
- fitko: every second article in the site's older template (parseable from ``<time>``/``<h1>``);
- vdz: the whole site in ISO-8859-1;
- egovpodcast: feed-only (robots.txt disallows the episode pages);
- digitaleverwaltung: its RSS feed answers with a cookie-check HTML page;
- dstgb, behoerdenspiegel, egovernment: one BMDS press release, lightly edited (``story``);
  more planted stories and their look-alikes in :mod:`kn_crawl.mirror.zoo.planted`.

Served by :class:`kn_crawl.mirror.Mirror` with ``zoo=True``.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Mapping

from kn_crawl.mirror.app import SiteApp
from kn_crawl.mirror.model import ExpectedArticle, ExpectedCounts, Response
from kn_crawl.mirror.vocab import MONTHS
from kn_crawl.mirror.zoo import generate, planted
from kn_crawl.mirror.zoo.base import ZooSite
from kn_crawl.mirror.zoo.entries import zoo_entries
from kn_crawl.mirror.zoo.gsb import Bsi, DigitaleVerwaltung
from kn_crawl.mirror.zoo.others import Dstgb, Egovernment, Vdz, Zendis
from kn_crawl.mirror.zoo.typo3 import Fitko, ItPlanungsrat
from kn_crawl.mirror.zoo.wordpress import BehoerdenSpiegel, EgovPodcast, Negz

SITE_CLASSES: dict[str, type[ZooSite]] = {
    cls.source: cls
    for cls in (
        BehoerdenSpiegel, Negz, Egovernment, ItPlanungsrat, Fitko, Bsi, DigitaleVerwaltung,
        Vdz, Zendis, EgovPodcast, Dstgb,
    )
}  # fmt: skip
ZOO_SOURCES = tuple(SITE_CLASSES)

_ID_BASE = {name: 1000 * (i + 1) for i, name in enumerate(ZOO_SOURCES)}
_WITH_AUTHORS = frozenset(
    {"behoerdenspiegel", "negz", "egovernment", "itplanungsrat", "fitko", "vdz"}
)
_ANY_DATE = re.compile(
    rf"\d\d?\.\s*(?:\d\d\.|[A-ZÄÖÜ][a-zäöü]+)\s*\d{{4}}|(?:{'|'.join(MONTHS)})\s+\d{{4}}"
)
UNDATED_RANK = 7
"""Newest-first rank of dstgb's undated press release: beyond its home page."""


def build_site(source: str, count: int | None = None, seed: int = 21) -> ZooSite:
    """One zoo site with ``count`` articles (default: the site's own), deterministic in
    (source, count, seed)."""
    cls = SITE_CLASSES[source]
    n = cls.default_count if count is None else count
    items = generate.articles(
        source,
        cls.title,
        n,
        seed,
        id_base=_ID_BASE[source],
        sections=("Digitalisierung", "Verwaltung", "Sicherheit", "Kommunen"),
        authors=source in _WITH_AUTHORS,
        kickers=source == "egovernment",
        story=bool(planted.planted_for(source)),
    )
    if source == "dstgb" and len(items) > UNDATED_RANK:
        # The first release from that rank on whose text names no other date either: nothing
        # on its page may pass for a publication date.
        rank = next(
            (k for k in range(UNDATED_RANK, len(items))
             if items[k].story is None and not _ANY_DATE.search(" ".join(items[k].body))),
            len(items) - 1,
        )  # fmt: skip
        items[rank] = dataclasses.replace(items[rank], dated=False)
    if source == "egovpodcast":
        # Episodes are numbered from the oldest on.
        items = [
            dataclasses.replace(a, title=f"Folge {len(items) - k}: {a.title}")
            for k, a in enumerate(items)
        ]
    if cls.day_only:
        items = [
            dataclasses.replace(a, published=a.published.replace(hour=0, minute=0)) for a in items
        ]
    if source == "fitko":
        # The relaunch reached only the newer half: every second article keeps the old template.
        items = [dataclasses.replace(a, old_layout=i % 2 == 1) for i, a in enumerate(items)]
    return cls(items)


class ZooApp:
    """A zoo site as the mirror's HTTP application (same surface as :class:`SiteApp` where the
    server and the ``Mirror`` facade need it)."""

    def __init__(self, site: ZooSite) -> None:
        self.site = site
        self.spec = site  # the server reads ``app.spec.source``
        self._lock = threading.Lock()
        self._fault: str | None = None

    @property
    def source(self) -> str:
        return self.site.source

    @property
    def base_url(self) -> str:
        return self.site.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        with self._lock:
            self.site.base_url = value

    def reset_flaky(self) -> None:
        pass  # no flaky pages in the zoo

    def set_fault(self, fault: str | None) -> None:
        if fault not in (None, "unavailable"):
            raise ValueError(f"zoo sites know only the fault 'unavailable', not {fault!r}")
        self._fault = fault

    def handle(self, raw_path: str, headers: Mapping[str, str]) -> Response:
        if self._fault == "unavailable":
            return Response(503, [("Content-Type", "text/html; charset=utf-8")], b"")
        response = self.site.route(raw_path, headers)
        return SiteApp._conditional(response, headers)

    def expected(self) -> ExpectedCounts:
        return self.site.expected()

    def expected_articles(self) -> list[ExpectedArticle]:
        return self.site.expected_articles()

    def article_urls(self) -> list[str]:
        return [a.url for a in self.site.expected_articles()]


__all__ = ["SITE_CLASSES", "ZOO_SOURCES", "ZooApp", "ZooSite", "build_site", "zoo_entries"]
