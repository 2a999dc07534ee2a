"""The TYPO3 news family (spiders/typo3.py): its URL rules as tables, its page objects field by
field on the saved pages in tests/fixtures/pages/typo3-*.html (the golden comparison of every
field is tests/test_pages.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kn_crawl.catalog.model import Selectors, SourceEntry
from kn_crawl.crawling.reading import read_article
from kn_crawl.extract.dom import decode_page, parse_html
from kn_crawl.items import ArticleItem, Listing
from spiders.family import PageKind, family_class, family_names
from spiders.typo3 import Typo3Family, is_detail_url, list_key, news_uid, page_number

PAGES = Path(__file__).parent / "fixtures" / "pages"
BERLIN = ZoneInfo("Europe/Berlin")
ITPLR = "https://www.it-planungsrat.de/"
FITKO = "https://www.fitko.de/"


def family(base: str = ITPLR, **kwargs: object) -> Typo3Family:
    source = SourceEntry(
        name="itplanungsrat" if base == ITPLR else "fitko",
        title="test",
        family="typo3",
        base_url=base,
        listing_urls=(base + "aktuelles",),
        **kwargs,  # type: ignore[arg-type]
    )
    cls = family_class("typo3")
    assert cls is Typo3Family
    return Typo3Family(source)


def article(name: str, url: str, base: str = ITPLR) -> ArticleItem:
    root = parse_html(decode_page((PAGES / f"{name}.html").read_bytes()))
    return family(base).read_article(url, root, now=datetime(2025, 6, 1, tzinfo=BERLIN))


def listing(name: str, url: str, base: str = ITPLR) -> Listing:
    root = parse_html(decode_page((PAGES / f"{name}.html").read_bytes()))
    return family(base).read_listing(url, root, with_sections=False).listing


def test_typo3_is_a_registered_family() -> None:
    assert "typo3" in family_names()
    assert Typo3Family.name == "typo3"


# --- URL rules ----------------------------------------------------------------------------

DETAIL = ITPLR + "aktuelles/details/it-planungsrat-beschliesst-eckpunkte-fuer-den-deutschland-stack"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (DETAIL, PageKind.ARTICLE),
        (ITPLR + "news/detail/fitko-jahresbericht", PageKind.ARTICLE),
        (ITPLR + "aktuelles/details/fitko-jahresbericht.html", PageKind.ARTICLE),
        (ITPLR + "aktuelles/details?tx_news_pi1%5Bnews%5D=398&cHash=1e5a", PageKind.ARTICLE),
        (
            ITPLR + "index.php?id=27&tx_news_pi1[news]=12&tx_news_pi1[action]=detail",
            PageKind.ARTICLE,
        ),
        (ITPLR + "aktuelles", PageKind.LISTING),
        (ITPLR + "aktuelles/", PageKind.LISTING),
        (ITPLR + "aktuelles?tx_news_pi1%5BcurrentPage%5D=2&cHash=5b1f", PageKind.LISTING),
        (ITPLR + "aktuelles?tx_news_pi1[@widget_0][currentPage]=4", PageKind.LISTING),
        (ITPLR + "aktuelles/page-3", PageKind.LISTING),
        (ITPLR + "aktuelles?tx_news_pi1%5BoverwriteDemand%5D%5Btags%5D=4", None),
        (ITPLR + "aktuelles/details/", None),  # no slug
        (ITPLR + "beschluesse", None),
        (ITPLR + "impressum", None),
        ("https://www.fitko.de/aktuelles/details/x", None),  # another origin
        ("http://www.it-planungsrat.de/aktuelles/details/x", None),  # another scheme
    ],
)
def test_classify(url: str, kind: PageKind | None) -> None:
    assert family().classify(url) is kind


def test_classify_by_the_catalogue_pattern_when_given() -> None:
    fam = family(article_pattern=r"^/pressemitteilungen/\d{4}/[a-z0-9-]+$")
    assert fam.classify(ITPLR + "pressemitteilungen/2025/deutschland-stack") is PageKind.ARTICLE
    assert fam.classify(DETAIL) is None  # the TYPO3 shapes are not asked then
    assert fam.classify(ITPLR + "aktuelles?tx_news_pi1%5BcurrentPage%5D=2") is PageKind.LISTING


def test_classify_a_feed_url_of_the_entry() -> None:
    fam = family(FITKO, feed_urls=(FITKO + "aktuelles/rss.xml",))
    assert fam.classify(FITKO + "aktuelles/rss.xml") is PageKind.FEED


@pytest.mark.parametrize(
    ("url", "uid"),
    [
        (ITPLR + "aktuelles/details?tx_news_pi1%5Bnews%5D=398&cHash=1e5a", "398"),
        (ITPLR + "?tx_news_pi1[news]=12", "12"),
        (ITPLR + "?tx_news_pi1[news]=abc", None),
        (ITPLR + "?tx_news_pi1[newsx]=12", None),
        (DETAIL, None),
        (None, None),
    ],
)
def test_news_uid(url: str | None, uid: str | None) -> None:
    assert news_uid(url) == uid


@pytest.mark.parametrize(
    ("url", "number"),
    [
        (ITPLR + "aktuelles", 1),
        (ITPLR + "aktuelles?tx_news_pi1%5BcurrentPage%5D=2&cHash=5b1f", 2),
        (ITPLR + "aktuelles?tx_news_pi1[@widget_0][currentPage]=7", 7),
        (ITPLR + "aktuelles/page-12", 12),
        (ITPLR + "aktuelles/seite-3/", 3),
        (ITPLR + "aktuelles?tx_news_pi1[currentPage]=x", 1),
    ],
)
def test_page_number(url: str, number: int) -> None:
    assert page_number(url) == number


def test_list_key_ignores_page_and_cache_hash_only() -> None:
    first = list_key(ITPLR + "aktuelles")
    assert list_key(ITPLR + "aktuelles/") == first
    assert list_key(ITPLR + "aktuelles?tx_news_pi1%5BcurrentPage%5D=2&cHash=5b1f") == first
    assert list_key(ITPLR + "aktuelles/page-4") == first
    assert list_key(ITPLR + "aktuelles?tx_news_pi1[overwriteDemand][tags]=4") != first


@pytest.mark.parametrize(
    ("url", "pattern", "expected"),
    [
        ("https://x.de/news/detail/slug", None, True),
        ("https://x.de/news/", None, False),
        ("https://x.de/a/b-123", r"-\d+$", True),
        ("https://x.de/a/b?id=5", r"\?id=\d+", True),
        ("https://x.de/news/detail/slug", r"-\d+$", False),
    ],
)
def test_is_detail_url(url: str, pattern: str | None, expected: bool) -> None:
    assert is_detail_url(url, pattern) is expected


# --- the detail view ----------------------------------------------------------------------


def test_detail_view_fields() -> None:
    item = article("typo3-detail", DETAIL)
    assert item.url == DETAIL
    assert item.title == "IT-Planungsrat beschließt Eckpunkte für den Deutschland-Stack"
    assert item.published_at == datetime(2025, 3, 14, tzinfo=BERLIN)
    assert item.date_signal == "time"
    assert item.tags == ["Deutschland-Stack", "Föderale Digitalstrategie", "Cloud"]
    assert item.section == "Pressemitteilungen"
    assert item.teaser is not None and item.teaser.startswith("In seiner 46. Sitzung hat")
    assert item.teaser.endswith("wiederverwendbare Basiskomponenten bündeln.")
    assert item.body is not None
    paragraphs = item.body.split("\n\n")
    assert paragraphs[0].startswith("Der IT-Planungsrat hat am 13. März 2025")
    assert paragraphs[2] == "Nächste Schritte"
    assert paragraphs[4] == "Architekturrichtlinie für föderale IT-Komponenten"
    assert paragraphs[-1] == "Die Beschlüsse der 46. Sitzung sind unter Beschlüsse veröffentlicht."
    # Neither the teaser, the pager, the related news nor the back link is body text.
    assert "Verwandte" not in item.body and "Zurück" not in item.body
    assert "Registermodernisierung" not in item.body
    assert item.image_url == ITPLR + "fileadmin/_processed_/4/2/csm_sitzung-46_2f1c0a9b7e.jpg"
    assert item.image_caption == (
        "Die Mitglieder des IT-Planungsrats bei der 46. Sitzung in Schwerin"
    )
    assert item.image_credit == "IT-Planungsrat/Jens Büttner"
    # The uid of the English alternate (the same record), not of the related news (398).
    assert item.site_article_id == "news:412"
    assert item.author is None
    assert item.warnings == []


def test_detail_without_tags_and_a_precise_date_from_json_ld() -> None:
    url = FITKO + "aktuelles/details/fitko-legt-jahresbericht-2024-vor"
    item = article("typo3-detail-notags", url, FITKO)
    assert item.title == "FITKO legt Jahresbericht 2024 vor"
    assert item.tags == []
    assert item.warnings == ["no tags"]
    # <time datetime="2025-03-20"> is the day; JSON-LD names the time on that day.
    assert item.published_at == datetime(2025, 3, 20, 11, 15, tzinfo=BERLIN)
    assert item.date_signal == "jsonld"
    assert item.author == "Dr. Annette Schmidt"  # the byline, not JSON-LD's organisation
    assert item.site_article_id == "news:233"
    assert item.image_url == FITKO + "fileadmin/fitko/bilder/jahresbericht-2024.jpg"
    assert item.body is not None and item.body.count("\n\n") == 2
    assert "Jahresbericht 2024" not in item.body  # the related file is not body


def test_detail_in_an_old_template_gets_its_date_from_metadata() -> None:
    url = (
        ITPLR + "aktuelles/detail/?tx_news_pi1%5Bnews%5D=187&tx_news_pi1%5Bcontroller%5D=News"
        "&tx_news_pi1%5Baction%5D=detail&cHash=4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e"
    )
    item = article("typo3-detail-old", url)
    assert item.title == "Digitalisierungsprogramm Föderal gestartet"
    assert item.published_at == datetime(2019, 6, 27, 9, 30, tzinfo=BERLIN)
    assert item.date_signal == "meta"
    assert item.teaser == (
        "Bund und Länder bündeln die Umsetzung des Onlinezugangsgesetzes in Themenfeldern."
    )
    assert item.tags == ["OZG", "Themenfelder", "Digitalisierungsprogramm"]
    assert item.site_article_id == "news:187"
    assert item.body is not None and item.body.startswith("Der IT-Planungsrat hat in seiner 29.")
    assert item.warnings == []


def test_a_date_after_tomorrow_is_refused_for_the_next_signal() -> None:
    html = (
        '<html><head><meta property="article:published_time" content="2025-03-10T08:00:00+01:00">'
        '</head><body><main><div itemscope itemtype="http://schema.org/Article">'
        '<h1 itemprop="headline">Titel</h1><time itemprop="datePublished" datetime="2031-01-01">'
        "01.01.2031</time></div></main></body></html>"
    )
    item = family().read_article(DETAIL, parse_html(html), now=datetime(2025, 6, 1, tzinfo=BERLIN))
    assert item.published_at == datetime(2025, 3, 10, 8, 0, tzinfo=BERLIN)
    assert item.date_signal == "meta"


def test_looks_like_article() -> None:
    fam = family()
    for name, expected in [
        ("typo3-detail", True),
        ("typo3-detail-old", True),
        ("typo3-list", False),
        ("typo3-list-last", False),
    ]:
        root = parse_html(decode_page((PAGES / f"{name}.html").read_bytes()))
        assert fam.looks_like_article(root) is expected, name


# --- the list view ------------------------------------------------------------------------


def test_list_view_entries_and_next_page() -> None:
    result = listing("typo3-list", ITPLR + "aktuelles")
    assert [e.url for e in result.entries] == [
        DETAIL,
        ITPLR + "aktuelles/details/registermodernisierung-naechste-ausbaustufe-gestartet",
        ITPLR + "aktuelles/details/foederales-informationsmanagement-neue-leistungsbeschreibungen",
    ]  # the sidebar's link is no teaser
    first, second, third = result.entries
    assert first.title == "IT-Planungsrat beschließt Eckpunkte für den Deutschland-Stack"
    assert first.published_at == datetime(2025, 3, 14, tzinfo=BERLIN)
    assert first.tags == ["Deutschland-Stack", "Föderale Digitalstrategie", "Cloud"]
    assert first.image_alt == "Mitglieder des IT-Planungsrats am Sitzungstisch"
    assert second.teaser is not None and second.teaser.endswith("einmal vorlegen müssen.")
    assert second.tags == ["Registermodernisierung", "NOOTS"]
    assert third.author == "Geschäftsstelle IT-Planungsrat"
    assert third.tags == []
    assert result.next_url == (
        ITPLR + "aktuelles?tx_news_pi1%5BcurrentPage%5D=2&cHash=5b1f2d8e9c0a7b6d4e3f2a1b0c9d8e7f"
    )


def test_last_list_page_has_no_next_page() -> None:
    url = FITKO + "aktuelles?tx_news_pi1%5BcurrentPage%5D=3&cHash=1f3b5d7a9c2e4f6b8d0a2c4e6f8b0d2a"
    result = listing("typo3-list-last", url, FITKO)
    assert result.next_url is None
    assert [e.title for e in result.entries] == [
        "FIT-Connect: Zustelldienst in Version 2 verfügbar",
        "FITKO beim Zukunftskongress Staat & Verwaltung",
    ]
    assert result.entries[0].tags == ["FIT-Connect", "Antragsrouting"]
    assert result.entries[1].published_at == datetime(2024, 6, 5, tzinfo=BERLIN)


def test_next_page_without_rel_next_by_the_page_parameter() -> None:
    html = (
        "<html><body><main><ul class='f3-widget-paginator'>"
        "<li><a href='/aktuelles?tx_news_pi1%5BcurrentPage%5D=1'>1</a></li>"
        "<li><a href='/aktuelles?tx_news_pi1%5BoverwriteDemand%5D%5Btags%5D=3"
        "&amp;tx_news_pi1%5BcurrentPage%5D=3'>Tag</a></li>"
        "<li><a href='/aktuelles?tx_news_pi1%5BcurrentPage%5D=3&amp;cHash=ab'>3</a></li>"
        "</ul></main></body></html>"
    )
    page = family().read_listing(
        ITPLR + "aktuelles?tx_news_pi1%5BcurrentPage%5D=2", parse_html(html), with_sections=False
    )
    assert page.listing.next_url == ITPLR + "aktuelles?tx_news_pi1%5BcurrentPage%5D=3&cHash=ab"
    assert page.listing.entries == []
    assert page.section_urls == []


def test_list_without_microdata_falls_back_to_the_teasers() -> None:
    html = (
        "<html><body><main><div class='news-list-view'>"
        "<div class='article'><h3><a href='/aktuelles/details/a'>Erste Meldung</a></h3>"
        "<p>Ein Text. 12.05.2025</p></div>"
        "<div class='article'><h3><a href='/aktuelles/details/b'>Zweite Meldung</a></h3>"
        "<p>Noch ein Text. 02.05.2025</p></div>"
        "</div></main></body></html>"
    )
    result = family().read_listing(ITPLR + "aktuelles", parse_html(html), with_sections=False)
    assert [(e.url, e.title, e.published_at) for e in result.listing.entries] == [
        (ITPLR + "aktuelles/details/a", "Erste Meldung", datetime(2025, 5, 12, tzinfo=BERLIN)),
        (ITPLR + "aktuelles/details/b", "Zweite Meldung", datetime(2025, 5, 2, tzinfo=BERLIN)),
    ]


# What the extension's default templates render (no site overrides): the old Item.html
# without microdata, tags written one per line, "von …" in the author line.
OLD_LIST = """<html><body><main><div class="news"><div class="news-list-view">
<div class="article articletype-0">
	<div class="header"><h3><a href="/aktuelles/details/ozg-bilanz">
		OZG-Bilanz: 1.000 Leistungen online</a></h3></div>
	<div class="teaser-text"><p>Bund und Länder ziehen eine Zwischenbilanz der
		OZG-Umsetzung.</p><a class="more" href="/aktuelles/details/ozg-bilanz">mehr</a></div>
	<div class="footer"><p>
		<span class="news-list-date">05.12.2024</span>
		<span class="news-list-category">Meldungen</span>
		<span class="news-list-tags">
			OZG
			Onlinezugangsgesetz
			Digitale Verwaltung
		</span>
		<span class="news-list-author">von Geschäftsstelle IT-Planungsrat</span>
	</p></div>
</div>
</div></div></main></body></html>"""


def test_list_of_the_old_default_template() -> None:
    result = family().read_listing(ITPLR + "aktuelles", parse_html(OLD_LIST), with_sections=False)
    [entry] = result.listing.entries
    assert entry.url == ITPLR + "aktuelles/details/ozg-bilanz"
    assert entry.title == "OZG-Bilanz: 1.000 Leistungen online"
    assert entry.teaser == "Bund und Länder ziehen eine Zwischenbilanz der OZG-Umsetzung."
    assert entry.published_at == datetime(2024, 12, 5, tzinfo=BERLIN)
    assert entry.author == "Geschäftsstelle IT-Planungsrat"
    assert entry.tags == []  # the list shows no tag list with microdata; see the detail view


def test_detail_of_the_default_template_tags_one_per_line() -> None:
    html = """<html><body><main><div class="news news-single"><div class="article"
    itemscope="itemscope" itemtype="http://schema.org/Article">
    <div class="header"><h3 itemprop="headline">OZG-Bilanz</h3></div>
    <div class="footer"><p>
      <span class="news-list-date"><time datetime="2024-12-05">05.12.2024
        <meta itemprop="datePublished" content="2024-12-05" /></time></span>
      <span class="news-list-category">
          Meldungen
          Pressemitteilungen
      </span>
      <span class="news-list-tags" itemprop="keywords">
          OZG
          Digitale Verwaltung
      </span>
      <span class="news-list-author" itemprop="author" itemscope="itemscope"
        itemtype="http://schema.org/Person">Autor: <span itemprop="name">Ina Krause</span></span>
    </p></div>
    <div class="news-text-wrap" itemprop="articleBody"><p>Text.</p></div>
    </div></div></main></body></html>"""
    item = family().read_article(DETAIL, parse_html(html), now=None)
    assert item.title == "OZG-Bilanz"
    assert item.tags == ["OZG", "Digitale Verwaltung"]
    assert item.section == "Meldungen"
    assert item.author == "Ina Krause"
    assert item.published_at == datetime(2024, 12, 5, tzinfo=BERLIN)
    assert item.date_signal == "time"
    assert item.body == "Text."


def test_detail_of_an_older_site_template_without_the_extensions_wrappers() -> None:
    """A site template of before a relaunch: no microdata, no teaser or bodytext wrapper;
    the lead in bold, the date as a full timestamp, author and tag lines with labels."""
    html = """<html><head><meta name="description" content="Anders als die Seite."></head>
    <body><main><div class="news-single-item"><article>
    <h1>Neue Cloud-Strategie für die Verwaltung</h1>
    <p class="news-single-timedata"><time datetime="2023-05-09T14:30:00+02:00">09.05.2023
      14:30</time></p>
    <p class="bodytext"><strong>Bund und Länder einigen sich auf eine Cloud-Strategie.</strong></p>
    <p>Die Strategie beschreibt eine gemeinsame Deutsche Verwaltungscloud.</p>
    <p>Erste Dienste sollen 2024 bereitstehen.</p>
    <p class="news-single-author">Autor: Jana Roth</p>
    <p class="news-single-keywords">Schlagwörter: Cloud, Deutsche Verwaltungscloud</p>
    </article>
    <p class="news-single-backlink"><a href="/aktuelles">Zurück zur Übersicht</a></p>
    </div></main></body></html>"""
    item = family().read_article(DETAIL, parse_html(html), now=None)
    assert item.title == "Neue Cloud-Strategie für die Verwaltung"
    assert item.published_at == datetime(2023, 5, 9, 14, 30, tzinfo=BERLIN)
    assert item.date_signal == "time"
    assert item.teaser == "Bund und Länder einigen sich auf eine Cloud-Strategie."
    assert item.body == (
        "Die Strategie beschreibt eine gemeinsame Deutsche Verwaltungscloud.\n\n"
        "Erste Dienste sollen 2024 bereitstehen."
    )
    assert item.author == "Jana Roth"
    assert item.tags == ["Cloud", "Deutsche Verwaltungscloud"]
    assert item.warnings == []


@pytest.mark.parametrize(
    ("selectors", "author", "title"),
    [
        (Selectors(), None, "IT-Planungsrat beschließt Eckpunkte für den Deutschland-Stack"),
        (
            Selectors(author="figcaption.news-img-caption", title="//title"),
            "Die Mitglieder des IT-Planungsrats bei der 46. Sitzung in Schwerin "
            "(Foto: IT-Planungsrat/Jens Büttner)",
            "IT-Planungsrat beschließt Eckpunkte für den Deutschland-Stack | IT-Planungsrat",
        ),
    ],
)
def test_catalogue_selectors_apply_to_the_typo3_family(
    selectors: Selectors, author: str | None, title: str
) -> None:
    # Applied where every family's article is read (kn_crawl.crawling.reading), not only by
    # the generic extractor.
    source = SourceEntry(
        name="itplanungsrat",
        title="test",
        family="typo3",
        base_url=ITPLR,
        listing_urls=(ITPLR + "aktuelles",),
        selectors=selectors,
    )
    body = (PAGES / "typo3-detail.html").read_bytes()
    now = datetime(2025, 6, 1, tzinfo=BERLIN)
    read = read_article(source, DETAIL, body, "text/html; charset=utf-8", now=now)
    assert (read.item.author, read.item.title) == (author, title)


def test_a_catastrophic_catalogue_pattern_times_out_in_the_typo3_family() -> None:
    slow = family(article_pattern="^/aktuelles/(x|xx)+$")
    assert slow.classify(ITPLR + "aktuelles/" + 40 * "x" + "y") is None
    assert slow.classify(ITPLR + "aktuelles/xx") is PageKind.ARTICLE
    assert slow.take_notes() == [
        (
            "pattern_timeout",
            "the article pattern '^/aktuelles/(x|xx)+$' took over 0.05 s on a URL: counted as "
            "no match (a pattern with nested repetition?)",
        )
    ]
    assert slow.take_notes() == []
