"""The generic and WordPress families' rules as tables: URL classification, next-page
rules, title cleaning, selectors, the body's limits, feed paging."""

from __future__ import annotations

from datetime import datetime

import pytest

from kn_crawl.catalog.model import Selectors, SourceEntry
from kn_crawl.dates import BERLIN
from kn_crawl.extract.dom import parse_html
from kn_crawl.extract.generic import clean_title, extract_article
from kn_crawl.extract.listings import next_from_template, next_page_url, page_number
from kn_crawl.items import ListingEntry
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
    item = extract_article(f"{BASE}pm/x", parse_html(LEAD_PAGE), source="ex", base_url=BASE)
    assert (item.teaser, item.body, item.author, item.published_at, item.date_signal) == (
        "Für den Ausbau gibt es einen Förderbescheid.",
        "Der Ausbau erfolgt in drei Abschnitten.",
        "Erika Mustermann",
        datetime(2025, 1, 22, tzinfo=BERLIN),
        "time",
    )


def test_a_lead_that_repeats_the_description_is_no_body() -> None:
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
