"""What the page worker does with a K21 page's bytes (``kn_crawl.crawling.reading``, run
here, without a worker)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.http import TextResponse

from kn_crawl.catalog.model import SourceEntry
from kn_crawl.crawling import reading
from kn_crawl.crawling.reading import (
    crawl_article,
    crawl_listing,
    crawl_vocabulary,
    new_links,
    page_links,
)
from kn_crawl.dates import BERLIN
from kn_crawl.extract.dom import decode_html, decode_page, parse_html
from kn_crawl.items import ArticleItem, ListingEntry
from kn_crawl.vocabulary import apply_vocabulary
from pipelines.normalize import normalize_article
from spiders.k21 import K21Family
from spiders.k21.pages import K21ArticlePage, K21ListingPage

PAGES = Path(__file__).parent / "fixtures" / "pages"
BASE = "https://www.kommune21.de/"
NOW = datetime(2025, 1, 31, 12, 0, tzinfo=BERLIN)


def k21(name: str, base_url: str = BASE) -> SourceEntry:
    return SourceEntry(name=name, title=name, family="k21", base_url=base_url)


def teaser(url: str, type_label: str | None) -> ListingEntry | None:
    return ListingEntry(url, type_label=type_label) if type_label else None


def finish(item: ArticleItem, redirects: list[str], type_label: str | None) -> ArticleItem:
    K21Family(k21(item.source)).finish(item, redirects, teaser(item.url, type_label))
    return item


def test_the_article_comes_back_finished_and_normalised() -> None:
    case = json.loads((PAGES / "kommune21-article.json").read_text())
    body = (PAGES / "kommune21-article.html").read_bytes()
    old = "https://www.kommune21.de/meldung_12345_Titel.html"
    item, _, _ = crawl_article(
        k21("kommune21-test-a"), case["url"], body, "text/html; charset=utf-8", [old],
        teaser(case["url"], "bericht"), None, 1000,
    )  # fmt: skip
    assert item.normalized
    assert item.type_label is not None  # the page's own, or the listing's "bericht"
    assert old in item.alias_urls
    # The same as extracting and normalising in the crawl process.
    page = K21ArticlePage.from_html(case["url"], body, source="kommune21-test-a", base_url=BASE)
    here = normalize_article(finish(page.to_item(), [old], "bericht"))
    apply_vocabulary(here, crawl_vocabulary())  # the vocabulary pipeline's job, done there too
    # Kept where it was read, for the store (kn_crawl.crawling.kept).
    assert item.kept is not None and item.kept[0] == os.getpid()
    assert replace(item, kept=None) == here


def test_an_old_link_gives_the_article_its_number() -> None:
    page = K21ArticlePage(
        "https://www.kommune21.de/k21-meldungen/x/",
        parse_html("<html><body><h1>X</h1></body></html>"),
        source="kommune21",
        base_url=BASE,
    )
    item = finish(page.to_item(), ["https://www.kommune21.de/meldung_4711_X.html"], None)
    assert item.site_article_id == "meldung:4711"
    assert not item.legacy_url


def test_links_are_handed_out_once_per_source_and_anchors_never() -> None:
    root = parse_html(
        '<a href="#primary">skip</a><a href="/k21-meldungen/a/">a</a>'
        '<a href="https://www.kommune21.de/k21-meldungen/b/">b</a><a href="c/">c</a>'
        '<a href="/k21-meldungen/a/">a again</a>'
    )
    links, truncated = page_links(root, 1000)
    assert not truncated
    first = new_links("links-test-1", links)
    assert first == ["/k21-meldungen/a/", "https://www.kommune21.de/k21-meldungen/b/", "c/"]
    # Page-relative links depend on the page: they come every time.
    assert new_links("links-test-1", links) == ["c/"]
    assert new_links("links-test-2", links) == first


@pytest.mark.parametrize(
    ("limit", "expected", "truncated"),
    [
        (3, ["/k21-meldungen/a/", "/k21-meldungen/b/", "/k21-meldungen/c/"], False),
        (2, ["/k21-meldungen/a/", "/k21-meldungen/b/"], True),
        (1, ["/k21-meldungen/a/"], True),
    ],
)
def test_links_of_one_page_are_capped(limit: int, expected: list[str], truncated: bool) -> None:
    # Repeated links and anchors do not count against the cap.
    root = parse_html(
        '<a href="#top">top</a><a href="/k21-meldungen/a/">a</a><a href="/k21-meldungen/a/">a</a>'
        '<a href="/k21-meldungen/b/">b</a><a href="/k21-meldungen/c/">c</a>'
    )
    assert page_links(root, limit) == (expected, truncated)


def test_an_article_page_with_150000_links_hands_out_only_the_cap() -> None:
    links = "".join(f'<a href="/k21-meldungen/trap-{i}/">{i}</a>' for i in range(150_000))
    body = f"<html><body><h1>Falle</h1><p>[01.02.2025] Text</p>{links}</body></html>".encode()
    _, handed_out, notes = crawl_article(
        k21("links-trap"), BASE + "k21-meldungen/falle/", body, "text/html; charset=utf-8",
        [], None, None, 1000,
    )  # fmt: skip
    assert notes == [("too_many_links", "more than 1000 links on the page; the rest were ignored")]
    assert len(handed_out) == 1000
    assert handed_out[-1] == "/k21-meldungen/trap-999/"


def test_a_listing_page_with_more_entries_than_the_cap_is_cut() -> None:
    teasers = "".join(
        f'<article><h2><a href="/k21-meldungen/t-{i}/">Titel {i}</a></h2>'
        f"<p>[01.02.2025] Teaser {i}</p></article>"
        for i in range(30)
    )
    body = f"<html><body><main>{teasers}</main></body></html>".encode()
    listing, sections, notes = crawl_listing(
        k21("listing-trap"), BASE + "k21-meldungen/", body, None, True, 20
    )
    assert notes == [("too_many_links", "more than 20 links on the page; the rest were ignored")]
    assert [e.url for e in listing.entries][-1] == BASE + "k21-meldungen/t-19/"
    assert len(listing.entries) == 20
    assert sections == []


def test_section_links_are_pages_not_anchors() -> None:
    page = K21ListingPage(
        "https://www.kommune21.de/k21-themen/politik/",
        parse_html(
            '<a href="#primary">skip</a><a href="/k21-themen/politik/#primary">top</a>'
            '<a href="/k21-themen/politik/">Politik</a><a href="/k21-themen/praxis/">P</a>'
        ),
        source="kommune21",
        base_url=BASE,
    )
    assert page.section_urls() == [
        "https://www.kommune21.de/k21-themen/politik/",
        "https://www.kommune21.de/k21-themen/praxis/",
    ]


GERMAN = "<p>Größere Städte prüfen die Übergabe – „OZG“ für 5 €</p>"


def test_pages_are_decoded_exactly_as_scrapy_decodes_them() -> None:
    """Every page but one kind: UTF-8 labelled Latin-1 (see the next test), where Scrapy
    gives mojibake."""
    german = GERMAN
    cases: list[tuple[bytes, str | None]] = [
        (german.encode("utf-8"), "text/html; charset=utf-8"),
        (german.encode("utf-8"), "text/html"),
        (german.encode("utf-8"), None),
        (german.encode("cp1252"), "text/html; charset=ISO-8859-1"),
        (b'<meta charset="iso-8859-1">' + german.encode("cp1252"), "text/html"),
        (b"<html>" + german.encode("cp1252") * 20 + b"</html>", "text/html"),
        (b"\xef\xbb\xbf" + german.encode("utf-8"), "text/html; charset=latin-1"),
        ("<p>Ärger</p>".encode("cp1252"), "text/html; charset=latin-1"),
        ("<p>Bürger</p>".encode("utf-16"), "text/html"),
        (b"<p>plain ascii</p>", "text/html"),
        (b"<p>broken \xff\xfe\xfa utf-8 \xc3</p>", "text/html; charset=utf-8"),
    ]
    cases += [(p.read_bytes(), "text/html") for p in sorted(PAGES.glob("*.html"))]
    for body, content_type in cases:
        headers = {"Content-Type": content_type} if content_type else None
        scrapy_text = TextResponse(url="https://x.test/", body=body, headers=headers).text
        assert decode_page(body, content_type) == scrapy_text, (body[:60], content_type)
        assert decode_html(body, content_type)[1] is None


@pytest.mark.parametrize(
    ("body", "content_type", "text", "overruled"),
    [
        # UTF-8 bytes labelled Latin-1 / windows-1252 (header or meta): read as UTF-8.
        (GERMAN.encode(), "text/html; charset=latin-1", GERMAN, "cp1252"),
        (GERMAN.encode(), "text/html; charset=ISO-8859-1", GERMAN, "cp1252"),
        (GERMAN.encode(), "text/html; charset=windows-1252", GERMAN, "cp1252"),
        (b'<meta charset="iso-8859-1">' + GERMAN.encode(), "text/html", None, "cp1252"),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
            + "<p>Grüße</p>".encode(),
            None,
            None,
            "cp1252",
        ),
        (GERMAN.encode(), "text/html; charset=iso-8859-15", GERMAN, "iso8859-15"),
        # Really Latin-1 (not valid UTF-8): the label holds.
        ("<p>Grüße</p>".encode("cp1252"), "text/html; charset=latin-1", "<p>Grüße</p>", None),
        # Plain ASCII under a Latin-1 label: nothing to tell.
        (b"<p>Gruesse</p>", "text/html; charset=latin-1", "<p>Gruesse</p>", None),
        # Labelled UTF-8, or another label: left to the usual rules.
        (GERMAN.encode(), "text/html; charset=utf-8", GERMAN, None),
        (
            "<p>Grüße</p>".encode("cp1252"),
            "text/html; charset=utf-8",
            "<p>Gr\ufffd\ufffde</p>",
            None,
        ),
    ],
)
def test_utf8_labelled_latin1_is_read_as_utf8(
    body: bytes, content_type: str | None, text: str | None, overruled: str | None
) -> None:
    decoded, label = decode_html(body, content_type)
    assert label == overruled
    if text is not None:
        assert decoded == text
    else:
        assert decoded == body.decode("utf-8")
    assert "Ã" not in decoded


def test_a_mislabelled_page_is_noted_and_its_article_readable() -> None:
    body = (
        '<html><head><meta charset="iso-8859-1"></head><body><main><article>'
        "<h1>Größere Städte prüfen</h1><p>[29.01.2025] Übergabe für 5 €.</p>"
        "<p>Text.</p></article></main></body></html>"
    ).encode()
    read = reading.read_article(
        k21("kommune21"), BASE + "k21-meldungen/x/", body, "text/html", now=NOW
    )
    item, notes = read.item, read.notes
    assert (item.title, item.teaser) == ("Größere Städte prüfen", "Übergabe für 5 €.")
    assert notes == [
        ("charset_mislabelled", "labelled cp1252, but the bytes are UTF-8: read as UTF-8")
    ]


@pytest.mark.parametrize(
    ("ld_date", "visible", "expected", "signal"),
    [
        ("2025-01-30T10:00:00+01:00", "29.01.2025", "2025-01-30T10:00:00+01:00", "jsonld"),
        # A JSON-LD date after tomorrow is no publication date: the teaser's date is next.
        ("2099-01-30T10:00:00+01:00", "29.01.2025", "2025-01-29T00:00:00+01:00", "visible"),
        ("2025-06-01T10:00:00+02:00", "29.01.2025", "2025-01-29T00:00:00+01:00", "visible"),
        ("2025-02-01T10:00:00+01:00", "29.01.2025", "2025-02-01T10:00:00+01:00", "jsonld"),
        # Every signal in the future: the first is kept, for validation to refuse.
        ("2099-01-30T10:00:00+01:00", "01.01.2098", "2099-01-30T10:00:00+01:00", "jsonld"),
    ],
)
def test_a_future_date_gives_way_to_the_next_signal(
    ld_date: str, visible: str, expected: str, signal: str
) -> None:
    ld = f'{{"@type": "NewsArticle", "datePublished": "{ld_date}"}}'
    body = (
        f'<html><head><script type="application/ld+json">{ld}</script></head><body><main>'
        f"<article><h1>Titel</h1><p>[{visible}] Teaser.</p><p>Text.</p></article></main>"
        "</body></html>"
    ).encode()
    item, _, _ = crawl_article(
        k21("kommune21"), BASE + "k21-meldungen/titel/", body, None, [], None, NOW, 1000
    )
    assert item.published_at is not None
    assert (item.published_at.isoformat(), item.date_signal) == (expected, signal)
