"""The web app in-process (Flask's test client) on real databases of both backends, opened
read-only: every page, the exports, the Atom feed, the JSON API and its OpenAPI description."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from kn_crawl.sources import source_names
from kn_crawl.web import create_app
from tests.test_search import fill

STORED = {"kommune21", "move", "stadtundwerk"}


@pytest.fixture
def app(engine: Engine, db_url: str) -> Iterator[Flask]:
    fill(engine)
    app = create_app(db_url)
    yield app
    app.config["KN_ENGINE"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def html(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert "Content-Security-Policy" in response.headers
    return response.get_data(as_text=True)


def test_search_page_with_highlights_facets_and_links(client: FlaskClient) -> None:
    page = html(client, "/?q=Buergerbuero+OR+portal")
    assert "<strong>2</strong> Artikel" in page
    assert "<mark>Bürgerbüro</mark>" in page
    assert "Service<mark>portal</mark>" in page
    assert 'data-facet="source"' in page and "source:kommune21" in page
    assert "/feed.atom?q=Buergerbuero+OR+portal" in page
    assert 'lang="de"' in page and "Suchen" in page


def test_empty_search_page_and_all_articles(client: FlaskClient) -> None:
    assert "Neueste Artikel" in html(client, "/")  # the start page (tests/test_web_start.py)
    assert "<strong>5</strong> Artikel" in html(client, "/?alle=1&order=date")


def test_bad_query_is_a_400_with_the_message(client: FlaskClient) -> None:
    page = html(client, "/?q=%22offen", 400)
    assert "Ungültige Suche: Anführungszeichen nicht geschlossen (Zeichen 1)" in page
    html(client, "/?q=OZG&page=0", 400)
    html(client, "/?q=OZG&order=random", 400)


def test_unknown_source_is_a_400_in_german(client: FlaskClient) -> None:
    # The CLI says "unknown source"; the web said "0 Treffer", as for a source without matches.
    page = html(client, "/?q=OZG+source:foo", 400)
    assert '<p class="error" role="alert">Unbekannte Quelle: foo</p>' in page
    assert "Treffer" not in page and "feed.atom" not in page
    page = html(client, "/?q=quelle:kommune2", 400)
    assert "Unbekannte Quelle: kommune2 (meinten Sie kommune21?)" in page
    assert "Unbekannte Quelle: foo<" in html(client, "/?q=OZG+-source:foo", 400)
    api = client.get("/api/search?q=source:foo")
    assert (api.status_code, api.get_json()["error"]) == (400, "Unbekannte Quelle: foo")
    # Known ones in any spelling, and a catalogue source without articles: no error.
    assert "<strong>1</strong> Artikel" in html(client, "/?q=source:Move")
    assert "<strong>1</strong> Artikel" in html(client, "/?q=quelle:stadt-und-werk")
    unused = next(n for n in source_names(enabled_only=False) if n not in STORED)
    assert "<strong>0</strong> Artikel" in html(client, f"/?q=OZG+source:{unused}")
    assert client.get(f"/api/search?q=source:{unused}").get_json()["total"] == 0


def test_pagination(client: FlaskClient) -> None:
    pages = [html(client, f"/?alle=1&order=date&page={n}") for n in (1, 2, 3)]
    assert "Seite 1 von 1" not in pages[0]  # 5 articles fit on one page: no pager
    assert pages[0].count('class="hit"') == 5
    assert pages[2].count('class="hit"') == 0


def test_article_page(client: FlaskClient, engine: Engine) -> None:
    with engine.connect() as conn:
        article_id = conn.execute(
            text("SELECT id FROM articles WHERE url LIKE '%serviceportal%'")
        ).scalar_one()
    page = html(client, f"/artikel/{article_id}?q=Verwaltung")
    for expected in ("Serviceportal für alle Kommunen", "Alle Felder", "Frühere Fassungen",
                     "Dieselbe Meldung bei anderen Quellen", "/stichwort/ozg",
                     "digitale <mark>Verwaltung</mark>"):  # fmt: skip
        assert expected in page
    html(client, "/artikel/999999", 404)


def test_tag_page_has_a_chart(client: FlaskClient) -> None:
    page = html(client, "/stichwort/OZG")
    assert "Stichwort: OZG" in page
    assert "<canvas data-chart=" in page and "/static/vendor/chart.umd.min.js" in page
    assert "<strong>2</strong> Artikel" in page
    assert html(client, "/stichwort/smart-city").count('class="hit"') == 1  # any spelling
    html(client, "/stichwort/unbekannt", 404)


def test_new_rising_and_sources_pages(client: FlaskClient) -> None:
    # The period runs up to the newest article (30.05.2025), not to today.
    assert "Neue Stichwörter 01.01.–30.05.2025" in html(client, "/stichwoerter/neu?seit=01.01.2025")
    html(client, "/stichwoerter/neu?seit=kaputt", 400)
    assert "Steigende Stichwörter" in html(client, "/stichwoerter/steigend?tage=3000")
    html(client, "/stichwoerter/steigend?tage=x", 400)
    page = html(client, "/quellen")
    assert "noch nie abgerufen" in page and "move" in page


def test_csv_and_json_exports_stream_every_match(client: FlaskClient) -> None:
    response = client.get("/export.csv?q=tag:OZG")
    assert response.status_code == 200 and response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(r["title"] for r in rows) == [
        "Buergeramt Kassel digitalisiert Anträge",
        "Serviceportal für alle Kommunen",
    ]
    data = json.loads(client.get("/export.json?q=tag:OZG").get_data(as_text=True))
    assert {r["title"] for r in data} == {r["title"] for r in rows}
    assert data[0]["tags"] and data[0]["published_at"].endswith("+00:00")
    assert client.get("/export.csv?q=%22").status_code == 400


def test_atom_feed_for_a_query(client: FlaskClient) -> None:
    response = client.get("/feed.atom?q=tag:OZG")
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "kn-crawl: tag:OZG"
    assert [e.title for e in feed.entries] == [
        "Buergeramt Kassel digitalisiert Anträge",
        "Serviceportal für alle Kommunen",
    ]


def test_json_api(client: FlaskClient) -> None:
    body = client.get("/api/search?q=B%C3%BCrgerb%C3%BCro&facets=1").get_json()
    assert body["total"] == 1
    hit = body["results"][0]
    assert {"text": "Bürgerbüro", "match": True} in hit["title_highlighted"]
    assert body["facets"]["sources"] == {"kommune21": 1}
    article = client.get(f"/api/articles/{hit['id']}").get_json()
    assert article["tags"] == ["Dortmund", "Bürgerservice"]
    assert client.get("/api/tags/ozg").get_json()["name"] == "OZG"
    assert client.get("/api/tags").get_json()["tags"][0]["articles"] >= 1
    error = client.get("/api/search?q=OR")
    assert error.status_code == 400 and "OR muss zwischen" in error.get_json()["error"]
    assert client.get("/api/articles/424242").status_code == 404
    assert client.get("/api/search?q=x&limit=1000").status_code == 400


def test_openapi_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    routes = {
        rule.rule.replace("<id:article_id>", "{id}")
        .replace("<story:story_id>", "{id}")
        .replace("<key>", "{key}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.rule != "/api/"
    }
    assert routes == set(spec["paths"])
    assert "JSON-API" in html(client, "/api/")


def test_the_app_cannot_write(app: Flask) -> None:
    engine: Engine = app.config["KN_ENGINE"]
    with engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(text("DELETE FROM articles"))
        conn.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == 5


@pytest.mark.parametrize(
    ("body", "teaser", "expected"),
    [
        ("Lead.\n\nText.", "Lead.", ["Text."]),  # the generic extractor's lead: shown once
        ("Lead.\n\nText.", "Other.", ["Lead.", "Text."]),
        ("Text.", None, ["Text."]),
        (None, "Lead.", []),
        ("Lead.", "Lead.", []),
    ],
)
def test_article_view_shows_a_lead_in_the_body_once(
    body: str | None, teaser: str | None, expected: list[str]
) -> None:
    from kn_crawl.web.views import body_paragraphs

    assert body_paragraphs(body, teaser) == expected
