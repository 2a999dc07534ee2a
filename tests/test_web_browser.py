"""The web UI in a real browser: headless Debian Chromium driven by Playwright, against
``kn-crawl serve`` (a real subprocess and HTTP server) on a database filled by crawling the
mirror. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kn_crawl.mirror import Mirror
from tests.crawling import crawl

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("KN_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow


@contextmanager
def serving(db_url: str) -> Iterator[str]:
    """``kn-crawl serve`` on ``db_url``; yields its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATABASE_URL"] = db_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "kn_crawl", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "http://127.0.0.1:" in line, proc.stderr.read() if proc.stderr else line
    url = line.split(" on ", 1)[1].split(" ", 1)[0]
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``kn-crawl serve`` on a freshly crawled mirror database; yields its base URL."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'kn.sqlite3'}"
    with Mirror() as mirror:
        result = crawl(db_url, mirror)
        assert result.returncode == 0, result.stderr[-2000:]
    with serving(db_url) as url:
        yield url


@pytest.fixture(scope="module")
def story_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Any]]]:
    """``kn-crawl serve`` on a crawl of the zoo sites with the mirror's republished press
    releases; yields its base URL and the triple-published release's (source, article)."""
    from kn_crawl.mirror.zoo.planted import PLANTED, TRIPLE_PUBLISHED, story_groups

    sources = tuple(sorted({c.source for c in PLANTED}))
    db_url = f"sqlite:///{tmp_path_factory.mktemp('stories') / 'kn.sqlite3'}"
    with Mirror(zoo=True) as mirror:
        result = crawl(db_url, mirror, sources)
        assert result.returncode == 0, result.stderr[-2000:]
        truth = story_groups({s: mirror.expected_articles(s) for s in sources})
    with serving(db_url) as url:
        yield url, truth[TRIPLE_PUBLISHED]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("KN_REQUIRE_POSTGRES"):  # CI: everything must run
            pytest.fail(f"{CHROMIUM} not installed")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.kn_errors = errors
    yield pg
    context.close()
    assert errors == []  # no script errors, no CSP violations


def test_search_with_a_facet_then_open_an_article(server: str, page: Any) -> None:
    page.goto(server)
    page.fill("input[name=q]", "OZG OR Onlinezugangsgesetz")
    page.click("button[type=submit]")
    page.wait_for_selector("ol.hits li.hit")
    total = int(page.inner_text("p.summary strong"))
    assert total > 1
    assert page.locator("ol.hits mark").count() > 0
    page.screenshot(path=ARTIFACTS / "search.png", full_page=True)

    facet = page.locator("section[data-facet=source] a").first
    facet_name = facet.inner_text()
    facet.click()
    page.wait_for_selector("ol.hits li.hit")
    assert f"source:{facet_name}" in page.input_value("input[name=q]")
    narrowed = int(page.inner_text("p.summary strong"))
    assert 0 < narrowed <= total
    metas = page.locator("ol.hits .meta").all_inner_texts()
    assert metas and all(facet_name in m for m in metas)
    page.screenshot(path=ARTIFACTS / "search-facet.png", full_page=True)

    title = page.locator("ol.hits h3 a").first.inner_text()
    page.locator("ol.hits h3 a").first.click()
    page.wait_for_selector("article.article h1")
    assert page.inner_text("article.article h1") == title
    assert "Alle Felder" in page.content()
    assert page.locator("article.article h1 mark, article.article .teaser mark").count() > 0
    page.screenshot(path=ARTIFACTS / "article.png", full_page=True)


def test_tag_page_shows_its_weekly_chart(server: str, page: Any) -> None:
    # Drawn by Chart.js (more in tests/test_web_browser_start.py).
    page.goto(server + "stichwort/politik")
    page.wait_for_selector("figure.chart canvas[data-drawn='1']")
    assert page.inner_text("h1") == "Stichwort: Politik"
    box = page.locator("figure.chart canvas").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100  # actually rendered
    page.screenshot(path=ARTIFACTS / "tag.png", full_page=True)


def test_export_csv_from_a_result_list(server: str, page: Any, tmp_path: Path) -> None:
    page.goto(server + "?q=tag%3ASmart-City")
    page.wait_for_selector("ol.hits li.hit")
    total = int(page.inner_text("p.summary strong"))
    with page.expect_download() as info:
        page.click("p.summary a:text('CSV')")
    target = tmp_path / "export.csv"
    info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == total
    assert all("Smart City" in row["tags"] for row in rows)
    page.screenshot(path=ARTIFACTS / "export.png")


def test_excel_downloads_from_a_result_list(server: str, page: Any, tmp_path: Path) -> None:
    """The "Excel" and "CSV (Excel)" links: a workbook and a German-Excel CSV of the list."""
    import zipfile

    page.goto(server + "?q=tag%3ASmart-City")
    page.wait_for_selector("ol.hits li.hit")
    total = int(page.inner_text("p.summary strong"))
    with page.expect_download() as info:
        page.click("p.summary a:text-is('Excel')")
    assert info.value.suggested_filename.endswith(".xlsx")
    workbook = tmp_path / "export.xlsx"
    info.value.save_as(workbook)
    with zipfile.ZipFile(workbook) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == total + 1
    with page.expect_download() as info:
        page.click("p.summary a:text-is('CSV (Excel)')")
    raw = tmp_path / "export.csv"
    info.value.save_as(raw)
    body = raw.read_bytes()
    assert body.startswith(b"\xef\xbb\xbfid;source;published_at;")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(rows) == total
    assert all("Smart City" in row["tags"] for row in rows)


def test_vocabulary_tags_show_their_origin(server: str, page: Any) -> None:
    """Stichwörter kn-crawl's vocabulary gave are drawn apart from the source's, with a title
    saying so, in the article view and in result lists."""
    found = page.request.get(server + "api/search?q=Digitalisierung&limit=100").json()
    hit = next(
        h
        for h in found["results"]
        if "vocabulary" in h["tag_origins"].values() and "site" in h["tag_origins"].values()
    )
    vocabulary = [t for t in hit["tags"] if hit["tag_origins"][t] == "vocabulary"]
    site = [t for t in hit["tags"] if hit["tag_origins"][t] == "site"]
    page.goto(server + f"artikel/{hit['id']}")
    page.wait_for_selector("article.article ul.tags")
    marked = page.locator("article.article ul.tags li.tag-vocabulary")
    assert marked.all_inner_texts() == vocabulary
    assert {marked.nth(i).get_attribute("title") for i in range(marked.count())} == {
        "aus dem Vokabular"
    }
    plain = page.locator("article.article ul.tags li:not([class])")
    assert plain.all_inner_texts() == site
    # Drawn differently: dashed and in italics, where the source's tags are solid.
    style = "el => [getComputedStyle(el).borderTopStyle, getComputedStyle(el).fontStyle]"
    assert marked.first.locator("a").evaluate(style) == ["dashed", "italic"]
    assert plain.first.locator("a").evaluate(style) == ["solid", "normal"]
    page.screenshot(path=ARTIFACTS / "article-vocabulary.png", full_page=True)
    # The same in a result list.
    page.goto(server + f"?q=tag%3A%22{vocabulary[0]}%22")
    page.wait_for_selector("ol.hits li.hit")
    listed = page.locator("ol.hits ul.tags li.tag-vocabulary", has_text=vocabulary[0])
    assert listed.count() >= 1
    assert listed.first.get_attribute("title") == "aus dem Vokabular"


def test_other_pages_render(server: str, page: Any) -> None:
    for path, heading in [
        ("quellen", "Quellen"),
        ("stichwoerter/neu?seit=01.01.2025", "Neue Stichwörter"),
        ("stichwoerter/steigend?tage=2000", "Steigende Stichwörter"),
        ("api/", "JSON-API"),
    ]:
        page.goto(server + path)
        assert heading in page.inner_text("h1")
    page.goto(server + "quellen")
    assert page.locator("td.health-ok").count() == 3
    page.screenshot(path=ARTIFACTS / "sources.png", full_page=True)
    page.goto(server + '?q="kaputt')
    assert "Ungültige Suche" in page.inner_text("p.error")
    page.screenshot(path=ARTIFACTS / "query-error.png")
    # The page itself answered 400 on purpose; the browser logs that as a failed load.
    assert all("status of 400" in e for e in page.kn_errors)
    page.kn_errors.clear()


def test_artifacts_are_gitignored() -> None:
    assert "test-artifacts/" in (REPO / ".gitignore").read_text().splitlines()


def test_folded_search_result_leads_to_the_story_page(
    story_server: tuple[str, list[Any]], page: Any
) -> None:
    server, copies = story_server
    titles = [a.title for _, a in copies]
    page.goto(server)
    page.fill("input[name=q]", " OR ".join(f'"{t}"' for t in titles))
    page.click("button[type=submit]")
    page.wait_for_selector("ol.hits li.hit")
    assert page.inner_text("p.summary strong") == "3"
    assert page.locator("ol.hits li.hit").count() == 1  # three articles, one story
    assert page.locator("ol.hits .story-more a").inner_text() == "+2 weitere Quellen"
    page.screenshot(path=ARTIFACTS / "search-folded.png", full_page=True)

    page.click("a.fold-toggle")
    page.wait_for_selector("ol.hits li.hit:nth-child(3)")
    assert sorted(page.locator("ol.hits h3 a").all_inner_texts()) == sorted(titles)
    assert page.locator("ol.hits .story-more a").all_inner_texts() == ["+2 weitere Quellen"] * 3
    page.click("a.fold-toggle")
    page.wait_for_selector("ol.hits li.hit")
    assert page.locator("ol.hits li.hit").count() == 1

    page.locator("ol.hits .story-more a").click()
    page.wait_for_selector("article.story-page h1")
    assert page.inner_text("article.story-page h1") == titles[0]  # the first publication
    assert page.inner_text("p.summary").startswith("Meldung in 3 Quellen · zuerst gesehen")
    assert page.locator("li.story-article h3 a").all_inner_texts() == titles
    assert page.locator("li.story-article .meta a").all_inner_texts() == [a.url for _, a in copies]
    assert page.locator("li.story-article .meta").first.inner_text().endswith(" · erster Artikel")
    page.screenshot(path=ARTIFACTS / "story.png", full_page=True)

    page.locator("li.story-article h3 a").nth(1).click()
    page.wait_for_selector("article.article h1")
    assert page.inner_text("article.article h1") == titles[1]
    assert page.locator("ul.same-story li a").all_inner_texts() == [titles[0], titles[2]]
    page.click("p.story-link a")
    page.wait_for_selector("article.story-page h1")
    assert page.locator("li.story-article").count() == 3
