"""The start page and the Stichwort chart in a real browser (Debian Chromium via Playwright,
against ``kn-crawl serve`` on a crawled mirror, as in tests/test_web_browser.py): the start
page's blocks, the chart drawn by Chart.js without network and within the CSP (the ``page``
fixture fails on any console error, CSP violations included), weekly and monthly, counts and
shares, three Stichwörter compared, on a wide and a narrow screen. Screenshots go to
``test-artifacts/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.test_web_browser import ARTIFACTS, browser, page, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

NARROW = {"width": 390, "height": 844}
PERIOD = re.compile(r"^\d\d\.(\d\d\.(\d{4})?)?–\d\d\.\d\d\.\d{4}( gegenüber .+)?$")


@pytest.fixture
def offline(server: str, page: Any) -> Iterator[list[str]]:  # noqa: F811
    """Every request that leaves the server: aborted and listed (must stay empty)."""
    left: list[str] = []

    def handle(route: Any) -> None:
        url = route.request.url
        if url.startswith(server) or url.startswith("data:"):
            route.continue_()
        else:
            left.append(url)
            route.abort()

    page.route("**/*", handle)
    yield left
    assert left == []


def chart_state(page: Any) -> dict[str, Any]:  # noqa: F811
    """What Chart.js drew: its type, series, axis titles, tick labels and geometry."""
    return page.eval_on_selector(  # type: ignore[no-any-return]
        "figure.chart canvas",
        """c => { const ch = Chart.getChart(c); const x = ch.scales.x, y = ch.scales.y;
        return {type: ch.config.type, series: ch.data.datasets.map(d => d.label),
          points: ch.data.labels.length, xTitle: x.options.title.text,
          yTitle: y.options.title.text, yTicks: y.ticks.map(t => t.label),
          xTicks: x.ticks.map(t => t.label), legend: ch.options.plugins.legend.display,
          width: ch.width, height: ch.height, xRight: x.right,
          boxWidth: c.parentElement.getBoundingClientRect().width}; }""",
    )


def no_horizontal_scroll(page: Any) -> bool:  # noqa: F811
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_start_page(server: str, page: Any, offline: list[str]) -> None:  # noqa: F811
    page.goto(server)
    assert page.locator("section.start-newest ol.hits li.hit").count() == 8
    for heading in ("start-rising", "start-new"):
        period = page.inner_text(f"section[aria-labelledby={heading}] p.period")
        assert PERIOD.match(period), period
    # The mirror's newest article is not today's: the period is the data's, not empty.
    assert page.locator("section[aria-labelledby=start-new] ol.ranked li").count() > 0
    sources = page.locator("table.sources-health tbody tr")
    assert sources.count() == 3
    assert page.inner_text("section[aria-labelledby=start-sources] p.meta") == (
        "3 Quellen, alle ohne Fehler"
    )
    assert page.locator("table.sources-health td.health-ok").count() == 3
    last_ok = page.locator("table.sources-health tbody tr td:nth-child(3)").all_inner_texts()
    assert all(re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", t) for t in last_ok), last_ok
    page.screenshot(path=ARTIFACTS / "start.png", full_page=True)

    page.set_viewport_size(NARROW)
    assert no_horizontal_scroll(page)
    page.screenshot(path=ARTIFACTS / "start-narrow.png", full_page=True)

    # The search box searches; a Stichwort link opens its page.
    page.fill("input[name=q]", "OZG")
    page.click("form.search button[type=submit]")
    page.wait_for_selector("ol.hits li.hit")
    assert int(page.inner_text("p.summary strong")) > 0
    page.goto(server)
    link = page.locator("section[aria-labelledby=start-new] ol.ranked a").first
    name = link.inner_text()
    link.click()
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == f"Stichwort: {name}"


def test_tag_chart_weekly(server: str, page: Any, offline: list[str]) -> None:  # noqa: F811
    page.goto(server + "stichwort/politik")
    page.wait_for_selector("figure.chart canvas[data-drawn='1']")
    state = chart_state(page)
    assert (state["type"], state["series"], state["legend"]) == ("bar", ["Politik"], False)
    assert (state["xTitle"], state["yTitle"]) == ("Woche (ab Montag)", "Artikel")
    assert state["points"] > 10 and 1 < len(state["xTicks"]) < state["points"]
    assert all(re.fullmatch(r"\d\d\.\d\d\.\d{4}", t) for t in state["xTicks"])
    # Responsive: the chart fills its box, and the x axis (last label too) stays inside.
    assert abs(state["width"] - state["boxWidth"]) <= 1 and state["width"] > 1000
    assert state["xRight"] <= state["width"]
    assert "zuerst gesehen" in page.inner_text("p.summary")
    page.screenshot(path=ARTIFACTS / "tag.png", full_page=True)


def test_tag_chart_compared_monthly_shares(server: str, page: Any, offline: list[str]) -> None:  # noqa: F811
    top = page.request.get(server + "api/tags?limit=3").json()
    names = [t["name"] for t in top["tags"]]
    assert len(names) == 3
    page.goto(server + f"stichwort/{quote(names[0])}")
    page.wait_for_selector("figure.chart canvas[data-drawn='1']")
    page.select_option("select[name=einheit]", "monat")
    page.select_option("select[name=werte]", "anteil")
    page.locator("input[name=mit]").nth(0).fill(names[1])
    page.locator("input[name=mit]").nth(1).fill(names[2])
    page.click("form.chart-options button")
    page.wait_for_selector("figure.chart canvas[data-drawn='3']")
    state = chart_state(page)
    assert (state["type"], state["series"], state["legend"]) == ("line", names, True)
    assert (state["xTitle"], state["yTitle"]) == ("Monat", "Anteil an allen Artikeln (%)")
    assert all(t.endswith(" %") for t in state["yTicks"]), state["yTicks"]
    assert all(re.fullmatch(r"\S+ \d{4}", t) for t in state["xTicks"]), state["xTicks"]
    assert page.inner_text("figure.chart figcaption") == (
        f"Anteil an allen Artikeln pro Monat: {names[0]}, {names[1]} und {names[2]}"
    )
    # The same numbers as a table, for readers without JavaScript.
    page.click("details.chart-table summary")
    header = page.locator("details.chart-table thead th").all_inner_texts()
    assert header == ["Monat", *names]
    page.screenshot(path=ARTIFACTS / "tag-compare.png", full_page=True)
    page.click("details.chart-table summary")  # closed again

    page.set_viewport_size(NARROW)
    page.wait_for_function(
        "() => Chart.getChart(document.querySelector('figure.chart canvas')).width < 390"
    )
    state = chart_state(page)
    assert abs(state["width"] - state["boxWidth"]) <= 1 and state["xRight"] <= state["width"]
    assert no_horizontal_scroll(page)
    page.locator("figure.chart").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "tag-compare-narrow.png")
