"""The start page (``/`` without a query), in-process on both backends: the newest articles,
rising and new Stichwörter with their period (relative to the newest article), each source's
health and freshness with problems first and highlighted, a search box; an empty database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, insert, select

from kn_crawl.db.models import CrawlRun, Source
from kn_crawl.db.state_models import SourceHealth
from kn_crawl.db.store import ensure_source
from kn_crawl.web import create_app
from kn_crawl.web.start import start_page
from tests.test_trends import fill


def runs(engine: Engine) -> None:
    """kommune21: ok at 01.06.; move: two failures after an ok; stadtundwerk: ok but its
    content degraded; ags: never crawled."""
    with engine.begin() as conn:
        for name in ("move", "stadtundwerk", "ags"):
            ensure_source(conn, name=name, family="k21", title=name.title(), base_url="https://x/")
        ids = dict(conn.execute(select(Source.name, Source.id)).all())
        plan = [
            ("kommune21", "ok", datetime(2025, 6, 1, 6, 0, tzinfo=UTC)),
            ("move", "ok", datetime(2025, 5, 28, 6, 0, tzinfo=UTC)),
            ("move", "failed", datetime(2025, 5, 29, 6, 0, tzinfo=UTC)),
            ("move", "failed", datetime(2025, 5, 30, 6, 0, tzinfo=UTC)),
            ("stadtundwerk", "ok", datetime(2025, 5, 31, 6, 0, tzinfo=UTC)),
        ]
        for name, status, at in plan:
            conn.execute(
                insert(CrawlRun).values(
                    source_id=ids[name], status=status, started_at=at, finished_at=at
                )
            )
        conn.execute(
            insert(SourceHealth).values(
                source_id=ids["stadtundwerk"],
                status="degraded",
                evidence=[],
                since=datetime.now(UTC),
            )
        )


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[FlaskClient]:
    fill(engine)
    runs(engine)
    app = create_app(db_url)
    yield app.test_client()
    app.config["KN_ENGINE"].dispose()


def section(page: str, heading_id: str) -> str:
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    assert match, heading_id
    return match.group(1)


def test_start_page(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'role="search"' in page and 'name="q"' in page
    newest = section(page, "start-newest")
    # The newest 8 of 9 articles, by date: the misdated future one first, as in the search.
    titles = re.findall(r'<h3><a href="/artikel/\d+">([^<]+)</a>', newest)
    assert titles == ["future", "ozg-3", "neu-1", "ozg-2", "ozg-1", "ki-1", "ozg-4", "bayern-1"]
    assert "alle 9 Artikel anzeigen" in newest
    rising = section(page, "start-rising")
    assert "01.–30.05.2025 gegenüber 01.–30.04.2025" in rising
    assert 'href="/stichwoerter/steigend?tage=30"' in rising
    assert re.findall(r">([^<]+)</a> <span", rising) == ["OZG", "KI"]
    new = section(page, "start-new")
    assert "01.–30.05.2025" in new
    assert re.findall(r">([^<]+)</a> <span", new) == ["Registermodernisierung"]
    sources = section(page, "start-sources")
    assert "4 Quellen, <strong" in sources and "2 mit Problemen" in sources
    rows = re.findall(r'<tr class="state-(\w+)"><td><a [^>]*>([^<]+)</a>', sources)
    assert rows == [
        ("failing", "Move"),
        ("degraded", "Stadtundwerk"),
        ("unknown", "Ags"),
        ("ok", "K21"),
    ]
    # "zuletzt aktualisiert": the last successful crawl (Berlin time); the newest article.
    assert "mehrere Läufe fehlgeschlagen (2×)" in sources
    assert "<td>28.05.2025 08:00</td><td>–</td>" in sources  # move: no articles
    assert "<td>01.06.2025 08:00</td><td>01.01.2099</td>" in sources


def test_a_query_still_searches(client: FlaskClient) -> None:
    page = client.get("/?q=tag:OZG").get_data(as_text=True)
    assert "<strong>4</strong> Artikel" in page and "start-newest" not in page
    assert "<strong>9</strong> Artikel" in client.get("/?alle=1").get_data(as_text=True)


def test_start_page_of_an_empty_database(engine: Engine, db_url: str) -> None:
    app = create_app(db_url)
    page = app.test_client().get("/").get_data(as_text=True)
    for heading in ("start-newest", "start-rising", "start-new"):
        assert "Noch keine Artikel in der Datenbank." in section(page, heading)
    assert "Noch keine Quellen eingerichtet." in section(page, "start-sources")
    with app.config["KN_ENGINE"].connect() as conn:
        assert start_page(conn).rising.window is None
    app.config["KN_ENGINE"].dispose()
