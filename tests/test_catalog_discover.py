"""Discovery rules for ``kn-crawl sources add``: tables of pages, links and documents."""

from __future__ import annotations

import re

import pytest

from kn_crawl.catalog.discover import (
    Sitemap,
    feed_candidates,
    feed_kind,
    feed_links,
    guess_family,
    page_links,
    propose_pattern,
    read_page,
    read_sitemap,
    site_title,
    sitemaps_in_robots,
    source_name_for,
)

HEX = "0123456789abcdef" * 2


def page(html: str) -> tuple[object, str]:
    return read_page(html.encode(), "text/html; charset=utf-8")


# --- feeds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<link rel="alternate" type="application/rss+xml" href="/feed/">', ["/feed/"]),
        (
            '<link rel="alternate" type="application/atom+xml" href="atom.xml">'
            '<link rel="alternate" type="application/feed+json" href="https://x.de/f.json">',
            ["/aktuelles/atom.xml", "https://x.de/f.json"],
        ),
        ('<link rel="Alternate Feed" type="Application/RSS+XML; charset=utf-8" href="/r">', ["/r"]),
        ('<link rel="alternate" type="text/html" hreflang="en" href="/en/">', []),
        ('<link rel="stylesheet" type="application/rss+xml" href="/no">', []),
        ('<link rel="alternate" type="application/rss+xml">', []),
        ('<link rel="alternate" type="application/rss+xml" href="javascript:x()">', []),
        (
            '<link rel="alternate" type="application/rss+xml" href="/feed/#top">'
            '<link rel="alternate" type="application/rss+xml" href="/feed/">',
            ["/feed/"],
        ),
    ],
)
def test_feed_links(head: str, expected: list[str]) -> None:
    root, _ = page(f"<html><head>{head}</head><body></body></html>")
    url = "https://x.de/aktuelles/"
    absolute = [e if e.startswith("http") else "https://x.de" + e for e in expected]
    assert feed_links(root, url) == absolute  # type: ignore[arg-type]


def test_feed_candidates_announced_first_then_common_paths_then_typo3() -> None:
    assert feed_candidates("https://x.de/aktuelles?p=2", ["https://x.de/rss.xml"]) == [
        "https://x.de/rss.xml",
        "https://x.de/feed/",
        "https://x.de/feed.xml",
        "https://x.de/atom.xml",
        "https://x.de/index.xml",
        "https://x.de/rss/",
        "https://x.de/aktuelles?type=9818",
    ]


RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
ATOM = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>'
RDF = (
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns="http://purl.org/rss/1.0/"><channel/></rdf:RDF>'
)
JSON_FEED = b'{"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": []}'
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;">]><rss version="2.0"><channel>&lol2;</channel></rss>'
)
EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<rss version="2.0"><channel><title>&x;</title></channel></rss>'
)
SITEMAP = (
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>https://x.de/a</loc></url></urlset>"
)
COOKIE_WALL = (
    b"<!DOCTYPE html><html><head><title>Cookie-\xc3\x9cberpr\xc3\xbcfung</title></head></html>"
)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (RSS, "rss"),
        (b"\n  " + RSS, "rss"),
        (ATOM, "atom"),
        (RDF, "rdf"),
        (JSON_FEED, "json"),
        (b'{"version": "1", "items": []}', None),
        (b"[1, 2]", None),
        (b"{broken", None),
        (BOMB, None),
        (EXTERNAL, None),
        (SITEMAP, None),
        (COOKIE_WALL, None),
        (b"<html><body>Seite</body></html>", None),
        (b"<rss><channel>", None),
        (b"", None),
        (b'<feed xmlns="urn:other"/>', None),
    ],
)
def test_feed_kind(body: bytes, kind: str | None) -> None:
    assert feed_kind(body) == kind


# --- sitemaps -----------------------------------------------------------------------------


def test_sitemaps_in_robots() -> None:
    robots = (
        "User-agent: *\nDisallow: /intern/\n\nSitemap: https://x.de/sitemap.xml\n"
        "sitemap:/news-sitemap.xml\nSITEMAP : https://x.de/sitemap.xml\n# Sitemap: /no.xml\n"
        "Sitemap: ftp://x.de/s.xml\n"
    )
    assert sitemaps_in_robots(robots, "https://x.de/robots.txt") == [
        "https://x.de/sitemap.xml",
        "https://x.de/news-sitemap.xml",
    ]


NEWS_SITEMAP = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://x.de/a</loc>
<news:news><news:publication_date>2025-01-28</news:publication_date></news:news></url></urlset>"""
INDEX = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://x.de/post-sitemap.xml</loc></sitemap>
<sitemap><loc>https://x.de/news-sitemap.xml</loc></sitemap></sitemapindex>"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (SITEMAP, Sitemap("urlset", False, ("https://x.de/a",))),
        (NEWS_SITEMAP, Sitemap("urlset", True, ("https://x.de/a",))),
        (
            INDEX,
            Sitemap(
                "index", True, ("https://x.de/post-sitemap.xml", "https://x.de/news-sitemap.xml")
            ),
        ),
        (
            INDEX.replace(b"news-", b"page-"),
            Sitemap(
                "index", False, ("https://x.de/post-sitemap.xml", "https://x.de/page-sitemap.xml")
            ),
        ),
        (RSS, None),
        (b"<html></html>", None),
        (BOMB, None),
    ],
)
def test_read_sitemap(body: bytes, expected: Sitemap | None) -> None:
    assert read_sitemap(body) == expected


# --- article-URL patterns -------------------------------------------------------------------

NAV = ["/", "/kontakt", "/impressum", "/datenschutz", "/ueber-uns", "/presse/"]


def _slugs(n: int) -> list[str]:
    words = ["digitale", "verwaltung", "kommt", "voran", "ozg", "portal", "start", "neu"]
    return [f"{words[i % 8]}-{words[(i + 3) % 8]}-{words[(i + 5) % 8]}-{i}" for i in range(n)]


PATTERN_CASES = {
    "typo3 news": (
        [f"/aktuelles/details/{s}" for s in _slugs(5)]
        + ["/aktuelles", "/aktuelles?tx_news_pi1%5BcurrentPage%5D=2", "/aktuelles/details/x"],
        r"^/aktuelles/details/[^/]+$",
    ),
    "wordpress dates": (
        [f"/2025/01/{10 + i}/{s}/" for i, s in enumerate(_slugs(4))]
        + ["/category/politik/", "/tag/ozg-und-mehr-dazu/", "/page/2/", "/2025/01/", "/feed/"]
        + [f"/tag/{s}/" for s in _slugs(6)],
        r"^/\d{4}/\d{2}/\d{2}/[^/]+/$",
    ),
    "egovernment id suffix": (
        [f"/{s}-a-{HEX}/" for s in _slugs(4)] + ["/themen/", "/kontakt/", "/digitale-welt/"],
        "-a-[0-9a-f]{32}/$",
    ),
    "drupal nodes": (
        ["/node/123", "/node/4567", "/node/89", "/node/1000", "/user/login"],
        r"^/node/\d+$",
    ),
    "gsb shared docs": (
        [
            f"/SharedDocs/Pressemitteilungen/DE/2025/0{i + 1}/pm-{s}.html?nn=123"
            for i, s in enumerate(_slugs(4))
        ]
        + ["/DE/Service-Navi/Presse/pressemitteilungen_node.html", "/DE/Home/home_node.html"],
        r"^/SharedDocs/Pressemitteilungen/DE/\d{4}/\d{2}/[^/]+\.html$",
    ),
    "dstgb month folders": (
        [f"/aktuelles/2024-{i:02d}/{s}/" for i, s in enumerate(_slugs(4), start=9)],
        r"^/aktuelles/\d{4}-\d{2}/[^/]+/$",
    ),
    "k21": (
        [f"/k21-meldungen/{s}/" for s in _slugs(6)]
        + ["/k21-meldungen/page/2/", "/k21-themen/politik/", "/k21-meldungen/feed"],
        r"^/k21-meldungen/[^/]+/$",
    ),
    "top-level slugs": (
        [f"/{s}" for s in _slugs(4)] + ["/kontakt", "/newsletter", "/ueber-uns"],
        "^/[a-z0-9]+(?:-[a-z0-9]+){2,}$",
    ),
    "top-level numeric": (["/12345", "/12346", "/22000", "/kontakt"], r"^/\d+$"),
    "the bigger group wins": (
        [f"/blog/{s}/" for s in _slugs(3)] + [f"/presse/{s}/" for s in _slugs(5)],
        r"^/presse/[^/]+/$",
    ),
    "too few articles": ([f"/aktuelles/details/{s}" for s in _slugs(2)], None),
    "menu pages only": (NAV, None),
    "another site's articles": (
        [f"https://other.example/2025/01/0{i}/{s}/" for i, s in enumerate(_slugs(5), 1)],
        None,
    ),
    "http is another origin": ([f"http://x.de/aktuelles/details/{s}" for s in _slugs(5)], None),
    "assets": ([f"/fileadmin/{s}.pdf" for s in _slugs(5)], None),
}


@pytest.mark.parametrize(("links", "pattern"), PATTERN_CASES.values(), ids=PATTERN_CASES)
def test_propose_pattern(links: list[str], pattern: str | None) -> None:
    absolute = [link if "://" in link else "https://x.de" + link for link in links]
    proposed = propose_pattern(absolute + ["https://x.de" + n for n in NAV], "https://x.de/")
    assert proposed == pattern
    if proposed is not None:
        # It takes the articles and leaves the menu.
        compiled = re.compile(proposed)
        assert not any(compiled.search(n) for n in NAV)


def test_page_links_are_absolute_in_order_without_fragments() -> None:
    root, _ = page(
        '<html><head><base href="https://x.de/sub/"></head><body><a href="a#x">1</a>'
        '<a href="/b">2</a><a href="#top">3</a><a href="mailto:a@x.de">4</a><a href="a">5</a>'
        '<a href=" https://y.de/c ">6</a><a>7</a></body></html>'
    )
    assert page_links(root, "https://x.de/") == [  # type: ignore[arg-type]
        "https://x.de/sub/a",
        "https://x.de/b",
        "https://y.de/c",
    ]


# --- the site -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "family"),
    [
        ('<meta name="generator" content="WordPress 6.5.2">', "wordpress"),
        ('<link rel="stylesheet" href="https://x.de/wp-content/themes/a/style.css">', "wordpress"),
        ('<script src="/wp-includes/js/jquery.js"></script>', "wordpress"),
        ('<meta name="Generator" content="TYPO3 CMS">', "typo3"),
        ('<link href="/typo3conf/ext/site/Resources/Public/main.css" rel="stylesheet">', "typo3"),
        ('<meta name="generator" content="Drupal 10 (https://www.drupal.org)">', "generic"),
        ("<p>Über WordPress schreiben wir hier.</p>", "generic"),
        ("", "generic"),
    ],
)
def test_guess_family(html: str, family: str) -> None:
    root, text = page(f"<html><head>{html}</head><body></body></html>")
    assert guess_family(root, text) == family  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("head", "title"),
    [
        (
            '<meta property="og:site_name" content=" FITKO "><title>Aktuelles | FITKO</title>',
            "FITKO",
        ),
        ("<title>\n  Aktuelles -  Vitako\n</title>", "Vitako"),
        (
            "<title>Startseite - move-online.de | move - moderne verwaltung</title>",
            "move - moderne verwaltung",
        ),
        ("<title>Aktuelles – Deutscher Städtetag</title>", "Deutscher Städtetag"),
        ("<title>Pressemitteilungen</title>", "Pressemitteilungen"),
        ("", None),
    ],
)
def test_site_title(head: str, title: str | None) -> None:
    root, _ = page(f"<html><head>{head}</head><body></body></html>")
    assert site_title(root) == title  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://www.behoerden-spiegel.de/", "behoerdenspiegel"),
        ("https://negz.org/neuigkeiten-aus-dem-negz/", "negz"),
        ("https://digitalservice.bund.de/presse", "digitalservice"),
        ("http://localhost:8040/aktuelles", "localhost"),
        ("http://127.0.0.1:8040/", "source_8040"),
        ("http://[::1]:8040/", "source_8040"),
        ("http://127.0.0.1/", "source"),
        ("https://1und1.de/", "s1und1"),
    ],
)
def test_source_name_for(url: str, name: str) -> None:
    assert source_name_for(url) == name


@pytest.mark.parametrize(
    ("url", "title", "name"),
    [
        ("http://127.0.0.1:8040/", "Städtetag NRW", "staedtetag_nrw"),
        ("http://127.0.0.1:8040/", "Behörden Spiegel", "behoerden_spiegel"),
        ("http://127.0.0.1:8040/", "STRAẞE & Grüße", "strasse_gruesse"),
        ("http://127.0.0.1:8040/", "Übersicht – Café Öffentlich", "uebersicht_cafe_oeffentlich"),
        ("http://[::1]:8041/", "move - moderne verwaltung", "move_moderne_verwaltung"),
        ("http://127.0.0.1:8040/", "1&1 Versatel", "s1_1_versatel"),
        ("http://127.0.0.1:8040/", "Ελλάδα", "source_8040"),
        ("http://127.0.0.1:8040/", "  ", "source_8040"),
        ("http://127.0.0.1:8040/", "x" * 70, "x" * 64),
        ("http://127.0.0.1:8040/", "a" * 63 + " b", "a" * 63),
        # A host with a name keeps it: the title is for addresses only.
        ("https://www.behoerden-spiegel.de/", "Behörden Spiegel", "behoerdenspiegel"),
        ("http://localhost:8040/", "Musterstadt", "localhost"),
    ],
)
def test_source_name_for_an_address_comes_from_the_title(url: str, title: str, name: str) -> None:
    assert source_name_for(url, title) == name
