"""What the page worker does with a K21 page's bytes (run here, without a worker)."""

from __future__ import annotations

import json
from pathlib import Path

from scrapy.http import TextResponse

from kn_crawl.extract.dom import decode_page, parse_html
from pipelines.normalize import normalize_article
from spiders.k21 import work
from spiders.k21.pages import K21ArticlePage, K21ListingPage

PAGES = Path(__file__).parent / "fixtures" / "pages"
BASE = "https://www.kommune21.de/"


def test_the_article_comes_back_finished_and_normalised() -> None:
    case = json.loads((PAGES / "kommune21-article.json").read_text())
    body = (PAGES / "kommune21-article.html").read_bytes()
    old = "https://www.kommune21.de/meldung_12345_Titel.html"
    item, _ = work.article(
        "kommune21-test-a", BASE, case["url"], body, "text/html; charset=utf-8", [old], "bericht"
    )
    assert item.normalized
    assert item.type_label is not None  # the page's own, or the listing's "bericht"
    assert old in item.alias_urls
    # The same as extracting and normalising in the crawl process.
    page = K21ArticlePage.from_html(case["url"], body, source="kommune21-test-a", base_url=BASE)
    here = normalize_article(work.finish_article(page.to_item(), BASE, [old], "bericht"))
    assert item == here


def test_an_old_link_gives_the_article_its_number() -> None:
    page = K21ArticlePage(
        "https://www.kommune21.de/k21-meldungen/x/",
        parse_html("<html><body><h1>X</h1></body></html>"),
        source="kommune21",
        base_url=BASE,
    )
    item = work.finish_article(
        page.to_item(), BASE, ["https://www.kommune21.de/meldung_4711_X.html"], None
    )
    assert item.site_article_id == "meldung:4711"
    assert not item.legacy_url


def test_links_are_handed_out_once_per_source_and_anchors_never() -> None:
    root = parse_html(
        '<a href="#primary">skip</a><a href="/k21-meldungen/a/">a</a>'
        '<a href="https://www.kommune21.de/k21-meldungen/b/">b</a><a href="c/">c</a>'
        '<a href="/k21-meldungen/a/">a again</a>'
    )
    first = work.new_links("links-test-1", root)
    assert first == ["/k21-meldungen/a/", "https://www.kommune21.de/k21-meldungen/b/", "c/"]
    # Page-relative links depend on the page: they come every time.
    assert work.new_links("links-test-1", root) == ["c/"]
    assert work.new_links("links-test-2", root) == first


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


def test_pages_are_decoded_exactly_as_scrapy_decodes_them() -> None:
    german = "<p>Größere Städte prüfen die Übergabe – „OZG“ für 5 €</p>"
    cases: list[tuple[bytes, str | None]] = [
        (german.encode("utf-8"), "text/html; charset=utf-8"),
        (german.encode("utf-8"), "text/html"),
        (german.encode("utf-8"), None),
        (german.encode("cp1252"), "text/html; charset=ISO-8859-1"),
        (b'<meta charset="iso-8859-1">' + german.encode("cp1252"), "text/html"),
        (b"<html>" + german.encode("cp1252") * 20 + b"</html>", "text/html"),
        (german.encode("utf-8"), "text/html; charset=latin-1"),
        (b"\xef\xbb\xbf" + german.encode("utf-8"), "text/html; charset=latin-1"),
        ("<p>Bürger</p>".encode("utf-16"), "text/html"),
        (b"<p>plain ascii</p>", "text/html"),
        (b"<p>broken \xff\xfe\xfa utf-8 \xc3</p>", "text/html; charset=utf-8"),
    ]
    cases += [(p.read_bytes(), "text/html") for p in sorted(PAGES.glob("*.html"))]
    for body, content_type in cases:
        headers = {"Content-Type": content_type} if content_type else None
        scrapy_text = TextResponse(url="https://x.test/", body=body, headers=headers).text
        assert decode_page(body, content_type) == scrapy_text, (body[:60], content_type)
