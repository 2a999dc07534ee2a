"""What a catalogue entry pointed at a zoo site needs: family, feeds, listings, article-URL
pattern, next-page rule and selectors where the generic extraction cannot see a field.

The paths are the real sites' paths (the zoo copies them), so the real catalogue's entries,
rebased on the mirror's base URLs, must agree with these; tests check that.
"""

from __future__ import annotations

from typing import Any

# Government Site Builder pages carry no date metadata: the date is the text after "Datum:".
_GSB_SELECTORS = {
    "title": "div.article h1",
    "teaser": "div.article p.abstract",
    "date": "xpath://div[@class='article']//p[@class='date']/text()[last()]",
    "body": "div.article div.text > p:not(.date):not(.abstract)",
}

_ENTRIES: dict[str, dict[str, Any]] = {
    "behoerdenspiegel": {
        "title": "Behörden Spiegel",
        "family": "wordpress",
        "feeds": ["feed/"],
        "listings": [""],
        "article_pattern": r"^/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$",
        "next_page": "page/{n}/",
    },
    "negz": {
        "title": "NEGZ",
        "family": "wordpress",
        "feeds": ["feed/"],
        "listings": ["neuigkeiten-aus-dem-negz/"],
        "article_pattern": r"^/neuigkeiten-aus-dem-negz/(?!page/)[a-z0-9-]+/$",
        "next_page": "page/{n}/",
    },
    "egovernment": {
        "title": "eGovernment",
        "family": "generic",
        "feeds": ["rss/news.xml"],
        "listings": ["news/"],
        "article_pattern": r"^/[a-z0-9-]+-a-[0-9a-f]{32}/$",
        "next_page": "?p={n}",
    },
    "itplanungsrat": {
        "title": "IT-Planungsrat",
        "family": "typo3",
        "feeds": [],
        "listings": ["aktuelles"],
        "article_pattern": r"^/aktuelles/details/[a-z0-9-]+$",
        "next_page": "?tx_news_pi1%5BcurrentPage%5D={n}",
    },
    "fitko": {
        "title": "FITKO",
        "family": "typo3",
        "feeds": ["aktuelles?type=9818"],
        "listings": ["aktuelles"],
        "article_pattern": r"^/aktuelles/details/[a-z0-9-]+$",
        "next_page": "?tx_news_pi1%5BcurrentPage%5D={n}",
    },
    "bsi": {
        "title": "BSI Pressemitteilungen",
        "family": "generic",
        "feeds": ["SiteGlobals/Functions/RSSFeed/RSSNewsfeed/RSSNewsfeed.xml"],
        "listings": ["DE/Service-Navi/Presse/Pressemitteilungen/pressemitteilungen_node.html"],
        "article_pattern": r"^/SharedDocs/Pressemitteilungen/DE/\d{4}/\d{2}/pm-[a-z0-9-]+\.html$",
        "next_page": "?gtp=913608_list%253D{n}",
        "selectors": _GSB_SELECTORS,
    },
    "digitaleverwaltung": {
        "title": "Digitale Verwaltung",
        "family": "generic",
        "feeds": ["SiteGlobals/Functions/RSSFeed/DV/RSSNewsfeed/RSSNewsfeed.xml"],
        "listings": ["Webs/DV/DE/aktuelles-service/aktuelles-service-node.html"],
        "article_pattern": r"^/SharedDocs/kurzmeldungen/Webs/DV/DE/\d{4}/\d{2}/[a-z0-9-]+\.html$",
        "next_page": "?gtp=2091456_list%253D{n}",
        "selectors": _GSB_SELECTORS,
    },
    "vdz": {
        "title": "Verwaltung der Zukunft",
        "family": "generic",
        "feeds": ["rss.xml"],
        "listings": ["aktuelles"],
        "article_pattern": r"^/node/\d+$",
        # Drupal counts pages from 0 (?page=1 is the second): follow its rel=next link.
        "next_page": "li.pager__item--next a",
    },
    "zendis": {
        "title": "ZenDiS",
        "family": "generic",
        "feeds": [],
        "listings": ["newsroom"],
        "article_pattern": r"^/newsroom/-/asset_publisher/[A-Za-z0-9]+/content/[a-z0-9-]+$",
        "next_page": "?delta=20&start={n}",
        # Liferay shows an asset's tags in its tags-summary taglib only.
        "selectors": {"tags": ".taglib-asset-tags-summary .badge"},
    },
    "egovpodcast": {
        "title": "eGovernment Podcast",
        "family": "generic",
        "feeds": ["feed/mp3/"],
        "listings": [],
        "article_pattern": r"^/episoden/[a-z0-9-]+/$",
        "next_page": None,
    },
    "dstgb": {
        "title": "DStGB Pressemitteilungen",
        "family": "generic",
        "feeds": [],
        "listings": ["publikationen/pressemitteilungen/"],
        "article_pattern": r"^/publikationen/pressemitteilungen/[a-z0-9-]+/$",
        "next_page": "?page={n}",
    },
}


def zoo_entries(base_urls: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Per zoo site served at ``base_urls[name]`` (absolute, ending in ``/``): the catalogue
    keys of :class:`kn_crawl.catalog.model.SourceEntry` (``name``, ``title``, ``family``,
    ``base_url``, ``feed_urls``, ``listing_urls``, ``article_pattern``, ``next_page``,
    ``selectors`` as a dict, ``fetch_articles``). Sites missing from ``base_urls`` are left
    out."""
    result: dict[str, dict[str, Any]] = {}
    for name, entry in _ENTRIES.items():
        base = base_urls.get(name)
        if base is None:
            continue
        result[name] = {
            "name": name,
            "title": entry["title"],
            "family": entry["family"],
            "base_url": base,
            "feed_urls": tuple(base + p for p in entry["feeds"]),
            "listing_urls": tuple(base + p for p in entry["listings"]),
            "article_pattern": entry["article_pattern"],
            "next_page": entry["next_page"],
            "selectors": dict(entry.get("selectors", {})),
            "fetch_articles": True,
        }
    return result
