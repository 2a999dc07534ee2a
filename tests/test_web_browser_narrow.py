"""The pages with tables on a 360 px phone screen in a real browser (Debian Chromium via
Playwright, against ``kn-crawl serve`` on a crawled mirror): the page never gets wider than the
screen (a wide table scrolls in its own box), source names break only between words, and a
title that is one very long word breaks anywhere. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from kn_crawl.db.engine import make_engine
from kn_crawl.db.store import ArticleStore
from kn_crawl.mirror import Mirror
from tests.crawling import crawl
from tests.test_search import article
from tests.test_web_browser import ARTIFACTS, browser, page, serving  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

PHONE = {"width": 360, "height": 800}
LONG_NAME = "Behörden Spiegel Digitale Verwaltung"
LONG_WORD = "Onlinezugangsgesetzänderungsgesetzumsetzungsverordnungsbegründungsentwurf" * 2
PAGES = ["", "quellen", "stichwoerter/steigend", "stichwoerter/neu", f"?q={LONG_WORD}"]

# Per name cell: how many lines each of its words takes (1: not broken inside the word).
WORD_LINES = """cells => cells.map(a => {
  const node = a.firstChild, words = [];
  let at = 0;
  for (const word of node.textContent.split(' ')) {
    const range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + word.length);
    words.push(new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size);
    at += word.length + 1;
  }
  return [a.textContent, words];
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A crawled mirror, one source with a long two-line name and an article whose title is
    one word far wider than a phone."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('narrow') / 'kn.sqlite3'}"
    with Mirror() as mirror:
        result = crawl(db_url, mirror)
        assert result.returncode == 0, result.stderr[-2000:]
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE sources SET title = :t WHERE name = 'move'"), {"t": LONG_NAME})
        sid = conn.execute(text("SELECT id FROM sources WHERE name = 'kommune21'")).scalar_one()
    now = datetime.now(UTC)
    ArticleStore(engine).save(sid, "kommune21", [article("long", LONG_WORD)], now=now)
    engine.dispose()
    with serving(db_url) as url:
        yield url


def test_pages_fit_a_phone_screen(server: str, page: Any) -> None:  # noqa: F811
    page.set_viewport_size(PHONE)
    for path in PAGES:
        page.goto(server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width == PHONE["width"], (path, width)
        name = "suche" if path.startswith("?") else path.replace("/", "-") or "start"
        page.screenshot(path=ARTIFACTS / f"narrow-{name}.png", full_page=True)
    # The long title: broken inside the word, within the screen.
    box = page.locator("ol.hits li.hit h3 a").first.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]


@pytest.mark.parametrize(("path", "cells"), [("", "table.sources-health"), ("quellen", "table")])
def test_source_names_break_between_words_only(
    server: str,
    page: Any,  # noqa: F811
    path: str,
    cells: str,
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(server + path)
    names = page.eval_on_selector_all(f"{cells} tbody td:first-child a", WORD_LINES)
    assert len(names) == 3
    by_name = dict(names)
    assert by_name[LONG_NAME] == [1, 1, 1, 1]  # the name wraps between its words
    assert all(lines == [1] * len(lines) for lines in by_name.values()), names
    page.locator(cells).first.screenshot(path=ARTIFACTS / f"narrow-names-{path or 'start'}.png")
