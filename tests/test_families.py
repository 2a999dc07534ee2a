"""Site families: the registry, and what the K21 family declares (its URL rules are in
test_k21_urls.py, its page objects in test_pages.py)."""

from __future__ import annotations

import pytest

from kn_crawl.catalog.model import SourceEntry
from kn_crawl.settings import ConfigError
from kn_crawl.sources import source_entry, source_names, spider_for
from spiders.family import Family, PageKind, StartPage, family_class, family_names, register
from spiders.k21 import K21Family

BASE = "https://www.kommune21.de/"
K21 = SourceEntry(
    name="kommune21",
    title="Kommune21",
    family="k21",
    base_url=BASE,
    feed_urls=(BASE + "k21-meldungen/feed",),
    listing_urls=(BASE + "k21-meldungen/",),
)


@register
class RegistryTestFamily(Family):
    name = "test_registry"
    title = "test only"


def test_family_class_finds_registered_and_importable_families() -> None:
    assert family_class("k21") is K21Family
    assert family_class("test_registry") is RegistryTestFamily
    names = family_names()
    assert names == sorted(names)
    assert {"k21", "test_registry"} <= set(names)


@pytest.mark.parametrize("name", ["no_such_family", "news", "family"])
def test_an_unknown_family_is_a_key_error(name: str) -> None:
    # spiders.news and spiders.family are modules of spiders/, but no families.
    with pytest.raises(KeyError):
        family_class(name)


def test_the_k21_sources_are_k21_entries() -> None:
    assert source_names()[:3] == ["kommune21", "move", "stadtundwerk"]
    entry = source_entry("kommune21")
    assert (entry.family, entry.base_url, entry.feed_urls, entry.listing_urls) == (
        K21.family,
        K21.base_url,
        K21.feed_urls,
        K21.listing_urls,
    )
    k21 = {n for n in source_names() if source_entry(n).family == "k21"}
    assert k21 == {"kommune21", "move", "stadtundwerk"}


def test_a_base_url_override_moves_the_start_pages() -> None:
    entry = source_entry("move", "http://127.0.0.1:8022")
    assert (entry.base_url, entry.feed_urls, entry.listing_urls) == (
        "http://127.0.0.1:8022/",
        ("http://127.0.0.1:8022/k21-meldungen/feed",),
        ("http://127.0.0.1:8022/k21-meldungen/",),
    )


def test_an_unknown_source_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"'komune21' \(did you mean 'kommune21'\?"):
        spider_for("komune21")
    with pytest.raises(ConfigError, match=r"unknown source 'nope' \(kn-crawl sources lists all"):
        spider_for("nope")


def test_spider_for_makes_one_spider_class_per_source() -> None:
    cls = spider_for("move")
    assert (cls.name, cls.source_title, cls.default_base_url) == (
        "move",
        "move – moderne verwaltung",
        "https://www.move-online.de/",
    )
    assert spider_for("move") is cls


def test_k21_start_pages_feed_archive_and_home_for_a_backfill() -> None:
    assert K21Family(K21).start_pages() == [
        StartPage(BASE + "k21-meldungen/feed", PageKind.FEED, priority=20),
        StartPage(BASE + "k21-meldungen/", PageKind.LISTING, priority=10),
        StartPage(BASE, PageKind.LISTING, priority=0, backfill_only=True),
    ]


@pytest.mark.parametrize(
    ("url", "kind", "legacy"),
    [
        (BASE + "k21-meldungen/x/", PageKind.ARTICLE, None),
        (BASE + "meldung_4711_gn", PageKind.LEGACY_ARTICLE, "meldung:4711"),
        (BASE + "meldung_4711_Titel.html", PageKind.LEGACY_ARTICLE, "meldung:4711"),
        (BASE + "k21-meldungen/", PageKind.LISTING, None),
        (BASE + "k21-meldungen/page/3/", PageKind.LISTING, None),
        (BASE + "k21-themen/politik/", PageKind.LISTING, None),
        (BASE + "k21-meldungen/feed", PageKind.FEED, None),
        (BASE + "heftarchiv/", None, None),
        ("https://elsewhere.example/k21-meldungen/x/", None, None),
    ],
)
def test_k21_classify_and_legacy_ids(url: str, kind: PageKind | None, legacy: str | None) -> None:
    family = K21Family(K21)
    assert (family.classify(url), family.legacy_id(url)) == (kind, legacy)
