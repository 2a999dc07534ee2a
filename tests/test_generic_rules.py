"""The generic and WordPress families' rules as tables: URL classification, next-page
rules, title cleaning, selectors, the body's limits, feed paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kn_crawl.catalog.model import Selectors, SourceEntry
from kn_crawl.dates import BERLIN
from kn_crawl.extract.dom import parse_html
from kn_crawl.extract.field_rules import author_name, breadcrumb_section, meta_keywords
from kn_crawl.extract.generic import clean_title, extract_article
from kn_crawl.extract.listings import next_from_template, next_page_url, page_number
from kn_crawl.extract.metadata import primary_language
from kn_crawl.items import ArticleItem, ListingEntry
from spiders.family import PageKind
from spiders.generic import GenericFamily, looks_like_article_url
from spiders.wordpress import WordPressFamily, feed_page_url

BASE = "https://www.example.de/"


def _entry(**kwargs: object) -> SourceEntry:
    fields: dict[str, object] = {"name": "ex", "title": "Ex", "family": "generic", "base_url": BASE}
    fields.update(kwargs)
    return SourceEntry(**fields)  # type: ignore[arg-type]


# -- classify ----------------------------------------------------------------------------

GENERIC = GenericFamily(
    _entry(
        feed_urls=(f"{BASE}rss.xml",),
        listing_urls=(f"{BASE}presse/",),
        next_page="?page={n}",
    )
)
PATTERNED = GenericFamily(
    _entry(
        listing_urls=(f"{BASE}DE/Presse/presse_node.html",),
        article_pattern=r"^/SharedDocs/.+\.html",
    )
)


@pytest.mark.parametrize(
    ("family", "url", "kind"),
    [
        (GENERIC, f"{BASE}rss.xml", PageKind.FEED),
        (GENERIC, f"{BASE}presse/", PageKind.LISTING),
        (GENERIC, f"{BASE}presse/?page=3", PageKind.LISTING),
        (GENERIC, f"{BASE}presse/neue-cloud-strategie", PageKind.ARTICLE),
        (GENERIC, f"{BASE}2025/01/28/titel/#kommentare", PageKind.ARTICLE),
        (GENERIC, BASE, None),
        (GENERIC, f"{BASE}impressum/", None),
        (GENERIC, f"{BASE}tag/ozg/", None),
        (GENERIC, f"{BASE}files/bericht.pdf", None),
        (GENERIC, f"{BASE}bild.JPG", None),
        (GENERIC, "https://other.example.de/presse/x", None),
        (GENERIC, "http://www.example.de/presse/x", None),  # another origin: scheme
        (PATTERNED, f"{BASE}SharedDocs/Pressemitteilungen/DE/2025/x.html?nn=1", PageKind.ARTICLE),
        (PATTERNED, f"{BASE}DE/Presse/presse_node.html?gtp=1_list%253D2", PageKind.LISTING),
        (PATTERNED, f"{BASE}DE/Themen/themen_node.html", None),
        (PATTERNED, f"{BASE}DE/SharedDocs/x.html", None),  # the pattern is anchored
    ],
)
def test_generic_classify(family: GenericFamily, url: str, kind: PageKind | None) -> None:
    assert family.classify(url) is kind


WORDPRESS = WordPressFamily(
    _entry(
        family="wordpress",
        feed_urls=(f"{BASE}feed/",),
        listing_urls=(f"{BASE}aktuelles/",),
    )
)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (f"{BASE}feed/", PageKind.FEED),
        (f"{BASE}feed/?paged=4", PageKind.FEED),
        (f"{BASE}2025/01/28/ozg-reform/", PageKind.ARTICLE),
        (f"{BASE}2025/01/28/ozg-reform", PageKind.ARTICLE),
        (f"{BASE}?p=4711", PageKind.ARTICLE),
        (f"{BASE}aktuelles/", PageKind.LISTING),
        (f"{BASE}aktuelles/page/3/", PageKind.LISTING),
        (f"{BASE}page/2/", PageKind.LISTING),
        (f"{BASE}category/digitales/", PageKind.LISTING),
        (f"{BASE}category/digitales/page/2/", PageKind.LISTING),
        (f"{BASE}tag/ozg/", PageKind.LISTING),
        (f"{BASE}author/anna/", PageKind.LISTING),
        (f"{BASE}2025/01/", PageKind.LISTING),  # a month archive
        (f"{BASE}2025/01/28/", PageKind.LISTING),  # a day archive
        (f"{BASE}2025/page/2/", PageKind.LISTING),
        (f"{BASE}wp-content/uploads/2025/01/bild.jpg", None),
        (f"{BASE}wp-json/wp/v2/posts", None),
        (f"{BASE}ueber-uns/", PageKind.ARTICLE),  # /%postname%/ permalinks look the same
    ],
)
def test_wordpress_classify(url: str, kind: PageKind | None) -> None:
    assert WORDPRESS.classify(url) is kind


# A listing URL with a query is a page of it only by the next-page rule's own keys, and an
# article URL on a listing's path is an article.
WP_HOME = WordPressFamily(_entry(family="wordpress", listing_urls=(BASE,), next_page="page/{n}/"))
TYPO3_BY_ID = GenericFamily(
    _entry(
        listing_urls=(f"{BASE}index.php?id=34",),
        article_pattern=r"tx_news%5Bnews%5D=\d+",
        next_page="&tx_news_pi1%5BcurrentPage%5D={n}",
    )
)
BY_SELECTOR = GenericFamily(_entry(listing_urls=(f"{BASE}presse/",), next_page="li.next a"))


@pytest.mark.parametrize(
    ("family", "url", "kind"),
    [
        (WP_HOME, f"{BASE}?p=123", PageKind.ARTICLE),
        (WP_HOME, f"{BASE}?s=ozg", None),  # a search
        (WP_HOME, f"{BASE}page/2/", PageKind.LISTING),
        (WP_HOME, BASE, PageKind.LISTING),
        (TYPO3_BY_ID, f"{BASE}index.php?id=34&tx_news%5Bnews%5D=5", PageKind.ARTICLE),
        (TYPO3_BY_ID, f"{BASE}index.php?id=34&tx_news_pi1%5BcurrentPage%5D=2", PageKind.LISTING),
        (TYPO3_BY_ID, f"{BASE}index.php?id=34", PageKind.LISTING),
        (TYPO3_BY_ID, f"{BASE}index.php?id=35", None),  # another page of the site
        (TYPO3_BY_ID, f"{BASE}index.php?id=34&L=1&type=9818", None),
        (GENERIC, f"{BASE}presse/?page=3", PageKind.LISTING),
        (GENERIC, f"{BASE}presse/?id=5", None),  # not the rule's key
        (BY_SELECTOR, f"{BASE}presse/?seite=2", PageKind.LISTING),  # its pages' URLs unknown
    ],
)
def test_listing_queries_and_articles_on_a_listing_path(
    family: GenericFamily, url: str, kind: PageKind | None
) -> None:
    assert family.classify(url) is kind


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{BASE}nachrichten/titel", True),
        (f"{BASE}", False),
        (f"{BASE}presse/", False),  # the entry's listing
        (f"{BASE}suche?q=ozg", False),
        (f"{BASE}kontakt", False),
        (f"{BASE}dokument.docx", False),
        ("https://www.example.de/anderer/pfad/", True),
    ],
)
def test_looks_like_article_url(url: str, expected: bool) -> None:
    assert looks_like_article_url(url, BASE, (f"{BASE}presse/",)) is expected


# -- next pages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "template", "number", "following"),
    [
        (f"{BASE}presse/", "?page={n}", 1, f"{BASE}presse/?page=2"),
        (f"{BASE}presse/?page=2", "?page={n}", 2, f"{BASE}presse/?page=3"),
        (f"{BASE}presse/?cat=5&page=7", "?page={n}", 7, f"{BASE}presse/?cat=5&page=8"),
        (f"{BASE}aktuelles", "?delta=20&start={n}", 1, f"{BASE}aktuelles?delta=20&start=2"),
        (
            f"{BASE}aktuelles?delta=20&start=4",
            "?delta=20&start={n}",
            4,
            f"{BASE}aktuelles?delta=20&start=5",
        ),
        (f"{BASE}news/", "page/{n}/", 1, f"{BASE}news/page/2/"),
        (f"{BASE}news", "page/{n}/", 1, f"{BASE}news/page/2/"),
        (f"{BASE}news/page/2/", "page/{n}/", 2, f"{BASE}news/page/3/"),
        (f"{BASE}liste", "/liste/seite-{n}", 1, f"{BASE}liste/seite-2"),
        (f"{BASE}liste/seite-5", "/liste/seite-{n}", 5, f"{BASE}liste/seite-6"),
    ],
)
def test_template_paging(url: str, template: str, number: int, following: str) -> None:
    assert page_number(url, template) == number
    assert next_from_template(url, template) == following


PAGE = f"{BASE}presse/"


@pytest.mark.parametrize(
    ("html", "rule", "expected"),
    [
        ('<link rel="next" href="/presse/?p=2">', None, f"{BASE}presse/?p=2"),
        ('<a rel="next" href="?p=2">2</a>', None, f"{BASE}presse/?p=2"),
        ('<a href="?p=2">Weiter</a>', None, f"{BASE}presse/?p=2"),
        ('<a href="?p=2">nächste Seite</a>', None, f"{BASE}presse/?p=2"),
        ('<a href="?p=2">›</a>', None, f"{BASE}presse/?p=2"),
        ('<a href="?p=2">»</a>', None, f"{BASE}presse/?p=2"),
        ('<a href="?p=2">Next</a>', None, f"{BASE}presse/?p=2"),
        ('<a href="?p=2">Weiter »</a>', None, f"{BASE}presse/?p=2"),
        (
            '<a href="page/2/" class="next page-numbers">Ältere Beiträge</a>',
            None,
            f"{BASE}presse/page/2/",
        ),
        ('<a href="?p=2" title="Zur nächsten Seite"><img alt=""></a>', None, f"{BASE}presse/?p=2"),
        ('<a href="?p=2" aria-label="Next page"><svg></svg></a>', None, f"{BASE}presse/?p=2"),
        ('<a href="/x/">Weiterlesen</a>', None, None),
        ('<a href="https://other.de/presse/?p=2">Weiter</a>', None, None),
        ('<a href="/presse/">Weiter</a>', None, None),  # back to this page
        ('<a href="#">Weiter</a>', None, None),
        ('<div class="pager"><a href="?s=2">2</a></div>', "div.pager a", f"{BASE}presse/?s=2"),
        ('<ul><li><a href="?s=9">9</a></li></ul>', "//li/a/@href", f"{BASE}presse/?s=9"),
        ('<ul><li><a href="?s=9">9</a></li></ul>', "xpath://li/a", f"{BASE}presse/?s=9"),
        ('<a href="?p=2">Weiter</a>', "a.nichts", None),  # the rule decides alone
        ('<a href="?p=2">Weiter</a>', "a[", None),  # a broken rule pages nowhere
        ("<p>nichts</p>", "?seite={n}", f"{BASE}presse/?seite=2"),
    ],
)
def test_next_page_url(html: str, rule: str | None, expected: str | None) -> None:
    root = parse_html(f"<html><head></head><body>{html}</body></html>")
    same_origin = GENERIC.policy.allows
    assert next_page_url(PAGE, root, rule, same_origin=same_origin) == expected


# -- listings ----------------------------------------------------------------------------

LISTING_HTML = """<html><body>
<nav><a href="/2025/01/02/menu-artikel/">Menü</a></nav>
<main><ul>
<li><h3><a href="/meldungen/eins">Erste Meldung</a></h3>
<time datetime="2025-02-03">3. Feb.</time></li>
<li><a href="/meldungen/zwei">Zweite Meldung</a> <span>Stand: 01.02.2025</span></li>
</ul><a href="/presse/?page=2">Weiter</a></main>
<aside><a href="/meldungen/drei">Meistgelesen</a></aside>
</body></html>"""


def test_listing_with_a_pattern() -> None:
    family = GenericFamily(
        _entry(listing_urls=(PAGE,), article_pattern=r"^/meldungen/", next_page="?page={n}")
    )
    page = family.read_listing(PAGE, parse_html(LISTING_HTML), with_sections=False)
    assert [(e.url, e.title, e.published_at) for e in page.listing.entries] == [
        (f"{BASE}meldungen/eins", "Erste Meldung", datetime(2025, 2, 3, tzinfo=BERLIN)),
        (f"{BASE}meldungen/zwei", "Zweite Meldung", datetime(2025, 2, 1, tzinfo=BERLIN)),
    ]
    assert page.listing.next_url == f"{BASE}presse/?page=2"
    assert page.listing.notes == []
    assert page.section_urls == []


def test_listing_whose_pattern_matches_nothing_says_so() -> None:
    family = GenericFamily(_entry(listing_urls=(PAGE,), article_pattern=r"^/artikel/\d+"))
    page = family.read_listing(PAGE, parse_html(LISTING_HTML), with_sections=False)
    assert page.listing.entries == []
    assert page.listing.next_url is None  # no articles: no paging on
    assert page.listing.notes == [
        (
            "no_articles_matched",
            "5 links to the source on the page, none matches the pattern '^/artikel/\\\\d+'",
        )
    ]


def test_listing_without_a_pattern_reads_main_only() -> None:
    family = GenericFamily(_entry(listing_urls=(PAGE,)))
    page = family.read_listing(PAGE, parse_html(LISTING_HTML), with_sections=False)
    assert [e.url for e in page.listing.entries] == [
        f"{BASE}meldungen/eins",
        f"{BASE}meldungen/zwei",
    ]


@pytest.mark.parametrize(
    ("pagination", "next_url"),
    [
        ('<a class="page-numbers" href="/aktuelles/page/3/">3</a>', f"{BASE}aktuelles/page/3/"),
        ('<a class="prev page-numbers" href="/aktuelles/">Vorherige Seite</a>', None),
    ],
    ids=["linked", "last-page"],
)
def test_wordpress_listing_pages_on_through_page_n(pagination: str, next_url: str | None) -> None:
    # A theme without rel=next or a "Weiter" link: /page/N+1/ when the page links it.
    html = f'<main><article><h2><a href="/2025/01/28/a/">A</a></h2></article>{pagination}</main>'
    family = WordPressFamily(_entry(family="wordpress", listing_urls=(f"{BASE}aktuelles/",)))
    page = family.read_listing(f"{BASE}aktuelles/page/2/", parse_html(html), with_sections=False)
    assert page.listing.next_url == next_url


@pytest.mark.parametrize(
    ("pagination", "next_url"),
    [
        ('<a href="?page=2">2</a><a href="?page=3">3</a>', f"{BASE}presse/?page=3"),
        ('<a href="/presse/" rel="prev">zurück</a>', None),  # the last page
        ('<a href="/presse/">Vorherige</a><a href="?page=3">3</a>', f"{BASE}presse/?page=3"),
        ("", f"{BASE}presse/?page=3"),  # no pagination shown: on while there are articles
    ],
    ids=["linked", "last-page", "back-and-on", "blind"],
)
def test_template_paging_stops_where_the_page_shows_its_end(
    pagination: str, next_url: str | None
) -> None:
    html = f'<main><h3><a href="/meldungen/eins">Eins</a></h3>{pagination}</main>'
    family = GenericFamily(
        _entry(listing_urls=(PAGE,), article_pattern=r"^/meldungen/", next_page="?page={n}")
    )
    page = family.read_listing(f"{PAGE}?page=2", parse_html(html), with_sections=False)
    assert page.listing.next_url == next_url


# -- feeds -------------------------------------------------------------------------------


def _rss(count: int) -> bytes:
    items = "".join(
        f"<item><title>Kicker: T{n}</title><link>{BASE}2025/01/{n + 1:02d}/t{n}/</link></item>"
        for n in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


@pytest.mark.parametrize(
    ("url", "page", "count", "next_url"),
    [
        (f"{BASE}feed/", 1, 10, f"{BASE}feed/?paged=2"),
        (f"{BASE}feed/?paged=2", 2, 12, f"{BASE}feed/?paged=3"),
        (f"{BASE}feed/?paged=3", 3, 4, None),  # a short page is the last
        (f"{BASE}feed/?paged=4", 4, 0, None),
        (f"{BASE}?feed=rss2", 1, 10, f"{BASE}?feed=rss2&paged=2"),
    ],
)
def test_wordpress_feed_pages(url: str, page: int, count: int, next_url: str | None) -> None:
    listing = WORDPRESS.read_feed(url, _rss(count), page=page)
    assert (len(listing.entries), listing.next_url) == (count, next_url)


def test_feed_page_url() -> None:
    assert feed_page_url(f"{BASE}feed/?paged=7", 1) == f"{BASE}feed/"
    assert feed_page_url(f"{BASE}feed/", 3) == f"{BASE}feed/?paged=3"


def test_generic_feed_titles_stay_whole() -> None:
    entry = GENERIC.read_feed(f"{BASE}rss.xml", _rss(1), page=1).entries[0]
    assert (entry.kicker, entry.title) == (None, "Kicker: T0")


def test_generic_feed_cap() -> None:
    listing = GENERIC.read_feed(f"{BASE}rss.xml", _rss(3), page=1, max_entries=2)
    assert len(listing.entries) == 2
    assert listing.notes == [("too_many_links", "3 entries in the feed; the first 2 were taken")]


# -- titles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "names", "expected"),
    [
        (
            "OZG-Reform beschlossen | Behörden Spiegel",
            ["Behörden Spiegel"],
            "OZG-Reform beschlossen",
        ),
        ("OZG-Reform beschlossen - Behörden Spiegel", [], "OZG-Reform beschlossen"),
        (
            "Behörden Spiegel | OZG-Reform beschlossen",
            ["Behörden Spiegel"],
            "OZG-Reform beschlossen",
        ),
        ("Open Data - Aktuelles - ZenDiS", ["ZenDiS"], "Open Data"),
        ("Smart City – wie geht das? | Stadt", [], "Smart City – wie geht das?"),
        ("Nur ein Titel", ["Site"], "Nur ein Titel"),
        ("  ", [], None),
        ("BSI - Presse - Lagebericht Kommunen", ["BSI"], "Lagebericht Kommunen"),
    ],
)
def test_clean_title(title: str, names: list[str], expected: str | None) -> None:
    assert clean_title(title, names) == expected


BAD_SELECTOR = (
    "selector teaser 'p:::bad' is invalid: SelectorSyntaxError: Expected ident, "
    "got <DELIM ':' at 3>"
)
# -- the article page --------------------------------------------------------------------

ARTICLE = """<html><head><title>Die Meldung | Amt</title>
<meta property="og:site_name" content="Amt"><meta name="description" content="Kurz.">
</head><body>
<nav><p>Menü Menü Menü</p></nav>
<main>
<p class="kicker">Pressemitteilung</p>
<h1>Die Meldung</h1>
<p>Datum: 03.02.2025</p>
<p>Erster Absatz der Meldung.</p>
<figure><img src="a.jpg"><figcaption>Bildunterschrift</figcaption></figure>
<p>Zweiter Absatz der Meldung.</p>
<aside><p>Das gehört nicht dazu.</p></aside>
<p><a href="#top">nach oben</a></p>
<p>Schlagwörter: Digitalisierung, OZG</p>
<form><p>Newsletter bestellen</p></form>
<h3>Teilen</h3>
</main></body></html>"""


def test_generic_article_reads_what_a_reader_sees() -> None:
    item = extract_article(
        f"{BASE}presse/die-meldung", parse_html(ARTICLE), source="ex", base_url=BASE
    )
    assert (item.title, item.teaser, item.published_at, item.date_signal, item.tags) == (
        "Die Meldung",
        "Kurz.",
        datetime(2025, 2, 3, tzinfo=BERLIN),
        "visible",
        ["Digitalisierung", "OZG"],
    )
    # The date line under the headline is the article's date, not its text.
    assert item.body == "Erster Absatz der Meldung.\n\nZweiter Absatz der Meldung."
    assert item.warnings == []


@pytest.mark.parametrize(
    ("selectors", "field", "value", "warnings"),
    [
        (Selectors(title="p.kicker"), "title", "Pressemitteilung", []),
        (Selectors(title="//p[@class='kicker']"), "title", "Pressemitteilung", []),
        (Selectors(title="xpath://p[@class='kicker']/text()"), "title", "Pressemitteilung", []),
        (Selectors(kicker="p.kicker"), "kicker", "Pressemitteilung", []),
        (
            Selectors(author="p.nirgends"),
            "author",
            None,
            ["selector author 'p.nirgends' matched nothing"],
        ),
        (
            Selectors(tags="main > p:nth-of-type(2), h1"),
            "tags",
            ["Die Meldung", "Datum: 03.02.2025"],
            [],
        ),
        (
            Selectors(date="h1"),
            "published_at",
            datetime(2025, 2, 3, tzinfo=BERLIN),
            ["selector date 'h1' matched no date"],
        ),
        (Selectors(body="figure"), "body", "Bildunterschrift", []),
        (Selectors(teaser="p:::bad"), "teaser", "Kurz.", [BAD_SELECTOR]),
    ],
)
def test_selectors_override_fields(
    selectors: Selectors, field: str, value: object, warnings: list[str]
) -> None:
    item = extract_article(
        f"{BASE}presse/die-meldung",
        parse_html(ARTICLE),
        source="ex",
        base_url=BASE,
        selectors=selectors,
    )
    assert getattr(item, field) == value
    assert item.warnings == warnings


def test_offsite_canonical_is_refused() -> None:
    html = (
        '<html><head><link rel="canonical" href="https://spiegel.example/x"></head>'
        "<body><h1>T</h1></body></html>"
    )
    item = extract_article(f"{BASE}a/b", parse_html(html), source="ex", base_url=BASE)
    assert (item.url, item.offsite_canonical) == (f"{BASE}a/b", "https://spiegel.example/x")


def test_empty_page_gives_warnings_not_errors() -> None:
    item = extract_article(f"{BASE}a/b", parse_html(b""), source="ex", base_url=BASE)
    assert (item.title, item.body, item.published_at, item.tags) == (None, None, None, [])
    assert item.warnings == [
        "no title in <h1>, og:title, JSON-LD or <title>",
        "no date in JSON-LD, meta, <time>, the page or the URL",
        "no Stichwörter",
    ]


LEAD_PAGE = """<html><body><main><article>
<h1>Glasfaserausbau schreitet voran</h1>
<p class="date"><time datetime="2025-01-22">22.01.2025</time></p>
<div class="byline">Von Erika Mustermann, Pressestelle</div>
<p><strong>Für den Ausbau gibt es einen Förderbescheid.</strong></p>
<p>Der Ausbau erfolgt in drei Abschnitten.</p>
<p>Pressekontakt: Pressestelle des Verbands</p>
</article></main></body></html>"""


def test_lead_byline_date_line_and_press_contact() -> None:
    """The lead is the teaser and stays the body's first paragraph (it is article text)."""
    item = extract_article(f"{BASE}pm/x", parse_html(LEAD_PAGE), source="ex", base_url=BASE)
    assert (item.teaser, item.body, item.author, item.published_at, item.date_signal) == (
        "Für den Ausbau gibt es einen Förderbescheid.",
        "Für den Ausbau gibt es einen Förderbescheid.\n\nDer Ausbau erfolgt in drei Abschnitten.",
        "Erika Mustermann",
        datetime(2025, 1, 22, tzinfo=BERLIN),
        "time",
    )


def test_a_lead_other_than_the_description_is_body_too() -> None:
    html = LEAD_PAGE.replace(
        "<html>", '<html><head><meta name="description" content="Kurz und anders."></head>'
    )
    item = extract_article(f"{BASE}pm/x", parse_html(html), source="ex", base_url=BASE)
    assert (item.teaser, item.body) == (
        "Kurz und anders.",
        "Für den Ausbau gibt es einen Förderbescheid.\n\nDer Ausbau erfolgt in drei Abschnitten.",
    )


def test_wordpress_category_is_the_section_not_a_stichwort() -> None:
    html = """<html><body><main><article><h1>T</h1><p>Text des Beitrags.</p>
    <a href="/category/digitales/" rel="category tag">Digitales</a>
    <a href="/tag/ozg/" rel="tag">OZG</a></article></main></body></html>"""
    url = f"{BASE}2025/01/28/t/"
    item = WORDPRESS.read_article(url, parse_html(html), now=None)
    assert (item.section, item.tags) == ("Digitales", ["OZG"])
    # The feed lists the category as a <category> too: finishing drops it before the merge.
    entry = ListingEntry(url=url, tags=["Digitales", "OZG", "Breitband"])
    WORDPRESS.finish(item, [], entry)
    assert entry.tags == ["OZG", "Breitband"]


# -- layered signals: dates -----------------------------------------------------------------

B = BERLIN


def _page(head: str = "", body: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


ARTICLE_BODY = "<article><h1>Neues Portal für Bürger</h1><p>Die Stadt startet ein Portal.</p>"


def _ld(data: str) -> str:
    return f'<script type="application/ld+json">{data}</script>'


@pytest.mark.parametrize(
    ("url", "html", "expected", "signal"),
    [
        # JSON-LD: a WebPage's mainEntity inside @graph, a type given as a URL or a list.
        (f"{BASE}a/x", _page(_ld('{"@graph": [{"@type": "WebPage", "mainEntity": {"@type": "NewsArticle", "headline": "H", "datePublished": "2025-02-03T09:15:00+01:00"}}]}'), ARTICLE_BODY), datetime(2025, 2, 3, 9, 15, tzinfo=B), "jsonld"),  # noqa: E501
        (f"{BASE}a/x", _page(_ld('[{"@type": "http://schema.org/NewsArticle", "headline": "H", "datePublished": "2025-02-03"}]'), ARTICLE_BODY), datetime(2025, 2, 3, tzinfo=B), "jsonld"),  # noqa: E501
        (f"{BASE}a/x", _page(_ld('{"@type": ["Report"], "name": "H", "datePublished": "2025-02-03"}'), ARTICLE_BODY), datetime(2025, 2, 3, tzinfo=B), "jsonld"),  # noqa: E501
        # A plain WebPage's date when there is no article object.
        (f"{BASE}a/x", _page(_ld('{"@type": "WebPage", "datePublished": "2025-02-03"}'), ARTICLE_BODY), datetime(2025, 2, 3, tzinfo=B), "jsonld"),  # noqa: E501
        # A placeholder before 1995 is no date: the next signal answers.
        (f"{BASE}2025/02/04/x", _page(_ld('{"@type": "NewsArticle", "headline": "H", "datePublished": "1970-01-01"}'), ARTICLE_BODY), datetime(2025, 2, 4, tzinfo=B), "url"),  # noqa: E501
        # Microdata.
        (f"{BASE}a/x", _page("", '<article itemscope itemtype="http://schema.org/Article"><h1 itemprop="headline">Neues Portal</h1><meta itemprop="datePublished" content="2025-02-03"><p>Text.</p></article>'), datetime(2025, 2, 3, tzinfo=B), "microdata"),  # noqa: E501
        # The common meta names.
        (f"{BASE}a/x", _page('<meta name="parsely-pub-date" content="2025-02-03T10:00:00Z">', ARTICLE_BODY), datetime(2025, 2, 3, 10, 0, tzinfo=UTC), "meta"),  # noqa: E501
        (f"{BASE}a/x", _page('<meta name="sailthru.date" content="2025-02-03">', ARTICLE_BODY), datetime(2025, 2, 3, tzinfo=B), "meta"),  # noqa: E501
        (f"{BASE}a/x", _page('<meta name="DC.date.issued" content="2025-02-03">', ARTICLE_BODY), datetime(2025, 2, 3, tzinfo=B), "meta"),  # noqa: E501
        (f"{BASE}a/x", _page('<meta name="DC:date" content="2025-02-03">', ARTICLE_BODY), datetime(2025, 2, 3, tzinfo=B), "meta"),  # noqa: E501
        (f"{BASE}a/x", _page('<meta property="og:pubdate" content="2025-02-03">', ARTICLE_BODY), datetime(2025, 2, 3, tzinfo=B), "meta"),  # noqa: E501
        (f"{BASE}a/x", _page('<meta name="publish-date" content="2025-02-03">', ARTICLE_BODY), datetime(2025, 2, 3, tzinfo=B), "meta"),  # noqa: E501
        (f"{BASE}a/x", _page('<meta name="dcterms.created" content="2025-02-03">', ARTICLE_BODY), datetime(2025, 2, 3, tzinfo=B), "meta"),  # noqa: E501
        # The modification time is never the publication: the next signal answers.
        (f"{BASE}a/x", _page('<meta property="article:modified_time" content="2025-03-01">', ARTICLE_BODY + '<p>Veröffentlicht am 3. Februar 2025</p>'), datetime(2025, 2, 3, tzinfo=B), "visible"),  # noqa: E501
        # <time>: the one marked pubdate first, one marked updated never.
        (f"{BASE}a/x", _page("", '<article><header><h1>Neues Portal für Bürger</h1><time class="updated" datetime="2025-03-01">1. März</time> <time pubdate datetime="2025-02-03">3. Februar</time></header><p>Text.</p></article>'), datetime(2025, 2, 3, tzinfo=B), "time"),  # noqa: E501
        # hAtom (Blogger's post footer).
        (f"{BASE}a/x", _page("", ARTICLE_BODY + '<div class="post-footer"><abbr class="published" title="2016-12-23T05:11:00-05:00">5:11 AM</abbr></div></article>'), datetime(2016, 12, 23, 5, 11, tzinfo=timezone(timedelta(hours=-5))), "time"),  # noqa: E501
        # The URL's date before a visible one.
        (f"{BASE}2025/02/03/neues-portal/", _page("", ARTICLE_BODY + "<p>Stand: 05.02.2025</p></article>"), datetime(2025, 2, 3, tzinfo=B), "url"),  # noqa: E501
        # Visible: a labelled line, an English byline, a dateline; not an update line.
        (f"{BASE}a/x", _page("", '<article><h1>Neues Portal für Bürger</h1><p>Aktualisiert am 5. März 2025</p><p>vom 3. Februar 2025</p><p>Text.</p></article>'), datetime(2025, 2, 3, tzinfo=B), "visible"),  # noqa: E501
        (f"{BASE}a/x", _page("", '<article><h1>New portal for citizens</h1><p class="byline">By Anna Smith, March 3, 2025</p><p>Text.</p></article>'), datetime(2025, 3, 3, tzinfo=B), "visible"),  # noqa: E501
        (f"{BASE}a/x", _page("", '<article><h1>Treffen der Außenminister</h1><p>Schengen, 3. Juli 2018 — Die Außenministerin traf heute ihre Amtskollegen aus Deutschland, der Schweiz und Liechtenstein zu Gesprächen über die Zukunft Europas.</p></article>'), datetime(2018, 7, 3, tzinfo=B), "visible"),  # noqa: E501
        # A labelled line far from the headline (landwirt.com's "veröffentlicht: …").
        (f"{BASE}a/x", _page("", '<div><h1>Sensortechnik im Kuhstall</h1>' + "<p>Absatz mit Text.</p>" * 8 + '<div id="artikeldatum">veröffentlicht: 25.10.2007 15:19</div></div>'), datetime(2007, 10, 25, 15, 19, tzinfo=B), "visible"),  # noqa: E501
        # The last resorts: a short date line among the content's first blocks; an element
        # the page names as a date.
        (f"{BASE}a/x", _page("", '<div><p>Ein langer erster Absatz ohne jedes Datum, aber mit Text.</p><p>12.10.2015, 19:16 Uhr</p></div>'), datetime(2015, 10, 12, 19, 16, tzinfo=B), "visible"),  # noqa: E501
        (f"{BASE}a/x", _page("", '<main><h1>Neues Portal für Bürger</h1>' + "<p>Absatz mit Text.</p>" * 30 + '</main><div class="meta-date">3. Februar 2025</div>'), datetime(2025, 2, 3, tzinfo=B), "visible"),  # noqa: E501
        # A comment's date is no article's.
        (f"{BASE}a/x", _page("", '<article><h1>Neues Portal für Bürger</h1><p>Text ohne Datum, aber mit viel Inhalt für die Leser.</p><div id="comments"><p>Ben, 19. Juni 2018 um 15:28 Uhr</p></div></article>'), None, None),  # noqa: E501
        # The date of another article's teaser neither.
        (f"{BASE}a/x", _page("", '<main><article><h1>Neues Portal für Bürger</h1><p>Text ohne Datum.</p><aside><p>03.02.2025 Anderer Artikel</p></aside></article></main>'), None, None),  # noqa: E501
    ],
)  # fmt: skip
def test_date_layers(url: str, html: str, expected: datetime | None, signal: str | None) -> None:
    item = extract_article(url, parse_html(html), source="ex", base_url=BASE, now=NOW)
    assert (item.published_at, item.date_signal) == (expected, signal)


NOW = datetime(2025, 6, 1, 12, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (_page(_ld('{"@type": "NewsArticle", "headline": "H", "datePublished": "2025-02-03", "dateModified": "2025-02-05T08:00:00+01:00"}'), ARTICLE_BODY), datetime(2025, 2, 5, 8, 0, tzinfo=B)),  # noqa: E501
        (_page('<meta property="article:published_time" content="2025-02-03"><meta property="og:updated_time" content="2025-02-06">', ARTICLE_BODY), datetime(2025, 2, 6, tzinfo=B)),  # noqa: E501
        (_page('<meta http-equiv="last-modified" content="2025-02-07">', ARTICLE_BODY), datetime(2025, 2, 7, tzinfo=B)),  # noqa: E501
        (_page("", '<article><h1>Neues Portal für Bürger</h1><p>3. Februar 2025</p><p>Zuletzt aktualisiert am 8. Februar 2025</p><p>Text.</p></article>'), datetime(2025, 2, 8, tzinfo=B)),  # noqa: E501
        # Before the publication, or after tomorrow: no modification time.
        (_page('<meta property="article:published_time" content="2025-02-03"><meta property="article:modified_time" content="2025-01-01">', ARTICLE_BODY), None),  # noqa: E501
        (_page('<meta property="article:modified_time" content="2099-01-01">', ARTICLE_BODY), None),
        (_page("", ARTICLE_BODY), None),
    ],
)  # fmt: skip
def test_modified_at(html: str, expected: datetime | None) -> None:
    item = extract_article(f"{BASE}a/x", parse_html(html), source="ex", base_url=BASE, now=NOW)
    assert item.modified_at == expected


# -- language, teaser, tags, section, author, image ------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("de-DE", "de"),
        ("de_DE", "de"),
        ("DE", "de"),
        ("en-GB, de", "en"),
        ("de-CH-1996", "de"),
        ("x-default", None),
        ("und", None),
        ("deutsch", None),
        ("", None),
        (None, None),
    ],
)
def test_primary_language(value: str | None, expected: str | None) -> None:
    assert primary_language(value) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<html lang="de-DE"><body><h1>T</h1></body></html>', "de"),
        (
            '<html><head><meta property="og:locale" content="en_US"></head><body></body></html>',
            "en",
        ),
        ('<html><head><meta http-equiv="content-language" content="fr"></head></html>', "fr"),
        # JSON-LD inLanguage is the article's own: before the template's <html lang>.
        (
            '<html lang="en"><head>'
            + _ld('{"@type": "Article", "headline": "T", "inLanguage": "de-DE"}')
            + "</head></html>",
            "de",
        ),
        ("<html><body><h1>T</h1></body></html>", None),
    ],
)
def test_language(html: str, expected: str | None) -> None:
    item = extract_article(f"{BASE}a/x", parse_html(html), source="ex", base_url=BASE)
    assert item.language == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta name="description" content="[27.11.2017] In Dortmund soll ein Portal starten.">', "In Dortmund soll ein Portal starten."),  # noqa: E501
        ('<meta name="description" content="[Update] Das Portal startet.">', "[Update] Das Portal startet."),  # noqa: E501
        # The site's name, a generic phrase, the title again: no teaser.
        ('<meta property="og:site_name" content="Stadt Neustadt"><meta name="description" content="Stadt Neustadt">', None),  # noqa: E501
        ('<meta name="description" content="Willkommen auf der Website der Stadt Neustadt">', None),
        ('<meta name="description" content="Neues Portal für Bürger">', None),
        # og:description generic, description the article's: the next one.
        ('<meta property="og:description" content="Die offizielle Website der Stadt"><meta name="description" content="Die Stadt startet ein Portal.">', "Die Stadt startet ein Portal."),  # noqa: E501
    ],
)  # fmt: skip
def test_teaser_rules(head: str, expected: str | None) -> None:
    html = _page(head, "<article><h1>Neues Portal für Bürger</h1><p>Text.</p></article>")
    item = extract_article(f"{BASE}a/x", parse_html(html), source="ex", base_url=BASE)
    assert item.teaser == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("OZG, Digitalisierung; E-Akte", ["OZG", "Digitalisierung", "E-Akte"]),
        ("OZG, , OZG, Stadt Neustadt", ["OZG"]),  # duplicates and the site's name dropped
        ("OZG, dies ist kein Stichwort sondern ein ganzer Satz", ["OZG"]),
        (", ".join(f"Wort{i}" for i in range(16)), []),  # SEO stuffing
        ("", []),
        (None, []),
    ],
)
def test_meta_keywords(value: str | None, expected: list[str]) -> None:
    assert meta_keywords(value, ["Stadt Neustadt"]) == expected


def test_keywords_meta_only_without_other_tags() -> None:
    head = (
        '<meta name="keywords" content="Stadt, Rathaus"><meta name="news_keywords" content="OZG">'
    )
    html = _page(head, "<article><h1>Neues Portal für Bürger</h1><p>Text.</p></article>")
    item = extract_article(f"{BASE}a/x", parse_html(html), source="ex", base_url=BASE)
    assert item.tags == ["OZG"]
    tagged = html.replace("<p>Text.</p>", '<p>Text.</p><a rel="tag" href="/tag/ki">KI</a>')
    item = extract_article(f"{BASE}a/x", parse_html(tagged), source="ex", base_url=BASE)
    assert item.tags == ["KI"]
    ld = _ld('{"@type": "NewsArticle", "headline": "H", "keywords": ["OZG, Cloud", "KI"]}')
    item = extract_article(f"{BASE}a/x", parse_html(_page(ld, "")), source="ex", base_url=BASE)
    assert item.tags == ["OZG", "Cloud", "KI"]


@pytest.mark.parametrize(
    ("trail", "title", "expected"),
    [
        (["Startseite", "Presse", "Neues Portal für Bürger"], "Neues Portal für Bürger", "Presse"),
        (
            ["Startseite", "Presse", "Pressemitteilungen"],
            "Neues Portal für Bürger",
            "Pressemitteilungen",
        ),
        (["Startseite", "Neues Portal für Bürger"], "Neues Portal für Bürger", None),
        (["Startseite"], None, None),
        ([], "T", None),
    ],
)
def test_breadcrumb_section(trail: list[str], title: str | None, expected: str | None) -> None:
    assert breadcrumb_section(trail, title) == expected


def test_section_from_breadcrumb_list_jsonld() -> None:
    ld = _ld(
        '{"@type": "BreadcrumbList", "itemListElement": ['
        '{"@type": "ListItem", "position": 2, "item": {"name": "Digitales"}},'
        '{"@type": "ListItem", "position": 1, "name": "Home"},'
        '{"@type": "ListItem", "position": 3, "name": "Neues Portal für Bürger"}]}'
    )
    html = _page(ld, "<article><h1>Neues Portal für Bürger</h1><p>Text.</p></article>")
    item = extract_article(f"{BASE}a/x", parse_html(html), source="ex", base_url=BASE)
    assert item.section == "Digitales"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Von Anna Beispiel", "Anna Beispiel"),
        ("By Jane Doe", "Jane Doe"),
        ("https://example.de/autor/anna", None),
        ("presse@example.de", None),
        ("  ", None),
    ],
)
def test_author_name(value: str, expected: str | None) -> None:
    assert author_name(value) == expected


@pytest.mark.parametrize(
    ("ld", "head", "expected"),
    [
        ('{"@graph": [{"@type": "Article", "headline": "H", "author": {"@id": "#p1"}}, {"@type": "Person", "@id": "#p1", "name": "Anna Beispiel"}]}', "", "Anna Beispiel"),  # noqa: E501
        ('{"@type": "Article", "headline": "H", "author": [{"@type": "Person", "name": "A. Eins"}, "B. Zwei"]}', "", "A. Eins, B. Zwei"),  # noqa: E501
        # An Organization named like the site is no author; the meta then answers.
        ('{"@type": "Article", "headline": "H", "author": {"@type": "Organization", "name": "Stadt Neustadt"}}', '<meta property="og:site_name" content="Stadt Neustadt"><meta name="author" content="Anna Beispiel">', "Anna Beispiel"),  # noqa: E501
        ('{"@type": "Article", "headline": "H"}', '<meta property="article:author" content="https://facebook.example/anna">', None),  # noqa: E501
    ],
)  # fmt: skip
def test_author_rules(ld: str, head: str, expected: str | None) -> None:
    html = _page(_ld(ld) + head, "<article><h1>H</h1><p>Text.</p></article>")
    item = extract_article(f"{BASE}a/x", parse_html(html), source="ex", base_url=BASE)
    assert item.author == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (_ld('{"@type": "Article", "headline": "H", "image": [{"@type": "ImageObject", "url": "/b1.jpg"}]}'), f"{BASE}b1.jpg"),  # noqa: E501
        (_ld('{"@type": "Article", "headline": "H", "image": {"contentUrl": "https://cdn.example/b2.jpg"}}'), "https://cdn.example/b2.jpg"),  # noqa: E501
        ('<meta name="twitter:image" content="/b3.jpg">', f"{BASE}b3.jpg"),
        ("", None),
    ],
)  # fmt: skip
def test_image_rules(head: str, expected: str | None) -> None:
    item = extract_article(
        f"{BASE}a/x", parse_html(_page(head, "<h1>H</h1>")), source="ex", base_url=BASE
    )
    assert item.image_url == expected


# -- titles on the page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        # A Dachzeile inside the headline.
        ('<meta property="og:title" content="Zugverkehr: Im ICE nach Barcelona">', '<article><h1><span class="kicker">Zugverkehr</span><span class="visually-hidden">: </span><span>Im ICE nach Barcelona</span></h1><p>Text.</p></article>', ("Zugverkehr", "Im ICE nach Barcelona")),  # noqa: E501
        ("<title>BMJV | Transparenz bei Preisanpassungen</title>", '<main><h1><span class="category"><span class="aural">Thema </span>Verbraucherschutz</span>Mehr Transparenz bei Preisanpassungen</h1><p>Text.</p></main>', ("Thema Verbraucherschutz", "Mehr Transparenz bei Preisanpassungen")),  # noqa: E501
        # Glued to the title the JSON-LD headline states alone.
        ('<meta property="og:title" content="Nutzerbasierte Abrechnung: Musik-Stars fordern neues Modell">' + _ld('{"@type": "NewsArticle", "headline": "Musik-Stars fordern neues Modell"}'), "<article><h1>Nutzerbasierte Abrechnung: Musik-Stars fordern neues Modell</h1><p>Text.</p></article>", ("Nutzerbasierte Abrechnung", "Musik-Stars fordern neues Modell")),  # noqa: E501
        # og:title's kicker, shown by the page apart from the headline.
        ('<meta property="og:title" content="Glasfaser: Kreis baut weiter aus">', '<article><header><p class="topline"><a href="/glasfaser">Glasfaser</a></p><h1>Kreis baut weiter aus</h1></header><p>Text.</p></article>', ("Glasfaser", "Kreis baut weiter aus")),  # noqa: E501
        # The site's logo as <h1>: the reference title, without the site's name.
        ("<title>Want to See a More Diverse Community? So Do We. — The WordPress.com Blog</title>", '<header><h1><a href="/"><span>WordPress.com</span></a></h1></header><article><p>Text.</p></article>', (None, "Want to See a More Diverse Community? So Do We.")),  # noqa: E501
        # A section name as <h1>.
        ('<meta property="og:title" content="„Wir haben bereits die Zusage“">', "<h1>Aktuelle Artikel</h1><article><h2>„Wir haben bereits die Zusage“</h2><p>Text.</p></article>", (None, "„Wir haben bereits die Zusage“")),  # noqa: E501
        # Logo <h1> with an image, the <title> only the site's name: the article's <h2>.
        ("<title>carta.info</title>", '<h1><a href="/" rel="home"><img alt="carta.info" src="l.svg"></a></h1><article><h2>Der neue Trend: Muss- statt Wunschkoalition</h2><p>Text.</p></article>', (None, "Der neue Trend: Muss- statt Wunschkoalition")),  # noqa: E501
        # Two inline parts that the site itself names as one title: no kicker.
        ('<meta property="og:title" content="Neue Wege in der Verwaltung">', "<article><h1><span>Neue Wege</span> <span>in der Verwaltung</span></h1><p>Text.</p></article>", (None, "Neue Wege in der Verwaltung")),  # noqa: E501
    ],
)  # fmt: skip
def test_title_and_kicker(head: str, body: str, expected: tuple[str | None, str]) -> None:
    item = extract_article(f"{BASE}a/x", parse_html(_page(head, body)), source="ex", base_url=BASE)
    assert (item.kicker, item.title) == expected


def test_the_family_learns_site_names_and_descriptions_from_the_sources_pages() -> None:
    family = GenericFamily(_entry())
    site = "Amtsblatt der Stadt Neustadt an der Weinstraße"

    def read(n: int, title: str) -> ArticleItem:
        html = _page(
            f'<title>{title} :: {site}</title><meta name="description" content="Das Amtsblatt">',
            f"<div><p>Absatz {n} mit Text.</p></div>",
        )
        return family.read_article(f"{BASE}a/{n}", parse_html(html), now=None)

    first = read(1, "Stadtrat beschließt den Haushalt")
    assert (first.title, first.teaser) == (
        f"Stadtrat beschließt den Haushalt :: {site}",
        "Das Amtsblatt",
    )
    read(2, "Neue Kita eröffnet im Sommer")
    third = read(3, "Schwimmbad öffnet wieder")
    assert (third.title, third.teaser) == ("Schwimmbad öffnet wieder", None)


def test_a_headline_linked_to_its_own_page_is_no_logo() -> None:
    # Read without its source (base URL = the page): the link to the page is not "home".
    html = _page("", '<article><h1><a href="/a/x">Neues Portal</a></h1><p>Text.</p></article>')
    item = extract_article(f"{BASE}a/x", parse_html(html), source="ex", base_url=f"{BASE}a/x")
    assert item.title == "Neues Portal"


@pytest.mark.parametrize(
    "head",
    [
        # JSON nested deeper than Python's recursion limit: the block is skipped.
        _ld('{"@type": "WebPage", "mainEntity": ' * 5000 + "{}" + "}" * 5000),
        # An @id reference to itself.
        _ld('{"@graph": [{"@type": "Article", "headline": "H", "author": {"@id": "#a"}},'
            ' {"@id": "#a", "author": {"@id": "#a"}}]}'),
        '<meta property="article:published_time" content="9999-99-99">'
        '<meta name="date" content="">',
    ],
)  # fmt: skip
def test_hostile_metadata_gives_a_clear_result(head: str) -> None:
    html = _page(
        head,
        '<article><h1>Neues Portal für Bürger</h1><time datetime="0000-00-00">x</time></article>',
    )
    item = extract_article(f"{BASE}a/x", parse_html(html), source="ex", base_url=BASE)
    assert (item.title, item.published_at, item.author) == ("Neues Portal für Bürger", None, None)


def test_a_link_set_into_the_headline_is_left_out_when_the_title_confirms_it() -> None:
    # The <h1> holds the headline and the edition's logo link; the <title> states the headline.
    html = _page(
        "<title>Neues Portal für Bürger » Lokales » Zeitung Nord</title>",
        '<h1><span>Neues Portal für Bürger</span><a href="/nord.html">Zeitung Nord</a></h1>'
        "<article><p>Die Stadt startet ein Portal für alle Bürger.</p></article>",
    )
    item = extract_article(f"{BASE}a/x", parse_html(html), source="ex", base_url=BASE)
    assert item.title == "Neues Portal für Bürger"


def test_the_h2_title_above_the_text_when_there_is_no_h1_and_no_usable_metadata() -> None:
    html = _page(
        "<title>zeitung.de</title>",
        '<h1><a href="/" rel="home"><img alt="zeitung.de" src="/logo.svg"></a></h1><main>'
        '<div class="top"><h2>Der neue Trend: Muss- statt Wunschkoalition</h2></div>'
        '<div class="wrap"><p>von <a href="/autor/anna">Anna Beispiel</a>, 8.5.12</p>'
        '<div class="text"><p>'
        + "Die Landtagswahl gibt einen Vorgeschmack auf vieles. " * 8
        + "</p><p>"
        + "Stabile Mehrheiten sind fast unmöglich geworden. " * 8
        + "</p></div></div>"
        "</main>",
    )
    item = extract_article(f"{BASE}der-neue-trend/", parse_html(html), source="ex", base_url=BASE)
    assert item.title == "Der neue Trend: Muss- statt Wunschkoalition"
    assert item.published_at == datetime(2012, 5, 8, tzinfo=BERLIN)
