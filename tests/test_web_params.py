"""The web UI and JSON API against hostile parameters and forged Host headers.

Every route is walked with a table of hostile values in each of its path and query
parameters: malformed numbers and choices are a 400 with a German message (HTML) or a JSON
error (API), and nothing at all is a 5xx — on SQLite and PostgreSQL. Absolute links (Atom
feeds, redirects) come from the configured public URL or the server's own address, never
from the request's ``Host``."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.settings import Settings
from kn_crawl.tags import tag_key
from kn_crawl.web import create_app
from kn_crawl.web.params import MAX_ID, bounded_int
from tests.test_search import NOW, article, fill

REPO = Path(__file__).resolve().parent.parent

# What each route reads, besides ``q`` (a query, checked by the query parser). A new route
# must be added here: the walk below fails for a route it does not know.
ROUTES: dict[str, dict[str, str]] = {
    "/": {"page": "1", "order": "relevance", "alle_quellen": "1"},
    "/artikel/<id:article_id>": {},
    "/stichwort/<key>": {"page": "1", "einheit": "monat", "werte": "anteil", "mit": "Bayern"},
    "/stichwoerter/neu": {"seit": "01.01.2025", "tage": "90", "bis": "30.05.2025"},
    "/stichwoerter/steigend": {"tage": "30", "bis": "30.05.2025"},
    "/quellen": {},
    "/export.csv": {},
    "/export.json": {},
    "/export.xlsx": {},
    "/export-excel.csv": {},
    "/metrics": {},
    "/feed.atom": {},
    "/api/": {},
    "/api/search": {"page": "1", "limit": "20", "order": "date", "facets": "1"},
    "/api/articles/<id:article_id>": {},
    "/api/tags": {"limit": "20"},
    "/api/tags/<key>": {},
    "/api/openapi.json": {},
    "/static/<path:filename>": {},
    # Self-service alerts (their own paths with tokens: tests/test_web_selfservice.py).
    "/abonnieren": {},
    "/bestaetigen": {"token": "1.2.x"},
    "/benachrichtigungen": {"token": "x.y"},
    "/abbestellen": {"token": "1.x"},
    "/story/<story:story_id>": {},
    "/meldungen": {"tage": "7"},
    "/api/stories": {"page": "1", "limit": "20", "order": "sources", "min_sources": "1",
                     "since": "01.01.2025"},
    "/api/stories/trending": {"days": "7", "limit": "10"},
    "/api/stories/<story:story_id>": {},
}  # fmt: skip
# Routes whose good values here still lack a genuine token: a clear refusal, not a 200.
REFUSED_WITHOUT_TOKEN = {"/bestaetigen": 400, "/benachrichtigungen": 403}
PATH_VALUES = {"article_id": "1", "key": "ozg", "filename": "style.css", "story_id": "1"}

BAD_NUMBERS = {
    "superscript": "²",
    "arabic-indic": "٣",
    "fullwidth": "１",
    "negative": "-1",
    "zero": "0",
    "exponent": "1e9",
    "fraction": "1.5",
    "hex": "0x10",
    "underscore": "1_0",
    "plus": "+1",
    "nan": "nan",
    "inf": "inf",
    "beyond-64-bits": str(2**64),
    "beyond-63-bits": str(2**63),
    "huge": "9" * 1000,
    "empty": "",
    "space": " ",
    "nul": "\x00",
}
BAD_CHOICES = {"unknown": "random", "case": "DATE", "nul": "\x00", "empty": "", "long": "x" * 5000}
BAD_TEXT = {
    "nul": "\x00",
    "nul-inside": "OZG\x00x",
    "long": "x" * 5000,
    "quote": '"',
    "year-zero": "since:0000",
    "year-9999": "until:9999",
    "arabic-year": "since:٢٠٢٥",
    "control": "\x01\x1f",
    "sql": "' OR 1=1 --",
    "percent": "%",
    "slashy": "..%2F..%2Fetc%2Fpasswd",
    "emoji": "🙂",
}
# Which values must be refused with a 400 (others must only not be a 5xx).
NUMERIC = {"page", "limit", "tage", "days", "min_sources"}
CHOICE = {"order", "facets", "einheit", "werte", "alle_quellen"}


@pytest.fixture
def app(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Flask]:
    fill(engine)
    settings = Settings.from_env(
        {"KN_DATABASE_URL": db_url, "KN_DATA_DIR": str(tmp_path), "KN_ALERTS_SECRET": "s" * 20}
    )
    app = create_app(db_url, settings=settings)
    yield app
    app.config["KN_ENGINE"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def get(client: FlaskClient, path: str, args: dict[str, str]) -> TestResponse:
    response = client.get(path, query_string=args)
    response.get_data()  # a streamed export runs to its end, errors included
    response.close()
    return response


def build(rule: str, **values: str) -> str:
    path = rule
    for name, default in PATH_VALUES.items():
        for converter in ("", "id:", "path:", "story:"):
            path = path.replace(f"<{converter}{name}>", quote(values.get(name, default), safe=""))
    return path


def assert_refused(response: TestResponse, where: str) -> None:
    assert response.status_code == 400, (where, response.status_code)
    if urlsplit(response.request.url).path.startswith("/api/"):
        body = response.get_json()
        assert body["status"] == 400 and body["error"], where
    else:
        page = response.get_data(as_text=True)
        assert "Ungültig" in page and 'lang="de"' in page, where


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", 1), ("007", 7), ("500", 500), ("501", None), ("0", None), ("٣", None), ("²", None),
     ("1e3", None), ("-1", None), ("", None), ("9" * 1000, None), ("0" * 50 + "1", 1)],
)  # fmt: skip
def test_bounded_int(raw: str, value: int | None) -> None:
    assert bounded_int(raw, 1, 500) == value


def test_the_table_knows_every_route(app: Flask) -> None:
    assert {r.rule for r in app.url_map.iter_rules()} == set(ROUTES)


def test_every_route_answers_its_good_values(client: FlaskClient) -> None:
    for rule, good in ROUTES.items():
        response = get(client, build(rule), {"q": "OZG", **good})
        expected = REFUSED_WITHOUT_TOKEN.get(rule, 200)
        assert response.status_code == expected, (rule, response.get_data(as_text=True)[:300])


def test_hostile_query_parameters_are_never_a_5xx(client: FlaskClient) -> None:
    for rule, good in ROUTES.items():
        path = build(rule)
        for name in good:
            values = BAD_CHOICES if name in CHOICE else BAD_NUMBERS
            if name in ("seit", "bis", "mit"):
                values = BAD_TEXT | BAD_NUMBERS
            for label, value in values.items():
                where = f"{rule} {name}={label}"
                response = get(client, path, {**good, "q": "OZG", name: value})
                assert response.status_code < 500, where
                if name in NUMERIC | CHOICE or value in ("\x00", "x" * 5000):
                    assert_refused(response, where)
        for label, value in BAD_TEXT.items():
            response = get(client, path, {**good, "q": value})
            assert response.status_code < 500, f"{rule} q={label}"
            if "\x00" in value or len(value) > 2000:
                assert_refused(response, f"{rule} q={label}")


def test_hostile_path_parameters_are_never_a_5xx(client: FlaskClient) -> None:
    for rule in ROUTES:
        if "<id:article_id>" in rule:
            for label, value in BAD_NUMBERS.items():
                if value in ("", " "):
                    continue  # another route, or none: a 404
                assert_refused(client.get(build(rule, article_id=value)), f"{rule} {label}")
            assert client.get(build(rule, article_id=str(MAX_ID))).status_code == 404
        if "<story:story_id>" in rule:
            for label, value in BAD_NUMBERS.items():
                if value in ("", " "):
                    continue
                assert_refused(client.get(build(rule, story_id=value)), f"{rule} {label}")
            assert client.get(build(rule, story_id=str(MAX_ID))).status_code == 404
        if "<key>" in rule:
            for label, value in (BAD_TEXT | BAD_NUMBERS).items():
                if not value.strip() or "%" in value:
                    continue
                response = client.get(build(rule, key=value))
                assert response.status_code in (400, 404), f"{rule} {label}"
                if "\x00" in value or len(value) > 2000:
                    assert_refused(response, f"{rule} {label}")


def test_article_page_with_a_query_it_cannot_parse(client: FlaskClient) -> None:
    # The query only highlights; a broken one highlights nothing instead of failing.
    assert client.get("/artikel/1?q=%22offen").status_code == 200


# --- absolute links ---------------------------------------------------------------------------

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def feed_links(response: TestResponse) -> list[str]:
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    links = [link.href for link in feed.feed.links] + [feed.feed.id]
    for entry in feed.entries:
        links += [link.href for link in entry.links if link.rel == "related"]
    return links


@pytest.mark.parametrize(
    ("public_url", "prefix"),
    [
        (None, "http://127.0.0.1:8000/"),
        ("https://kn.example.org/", "https://kn.example.org/"),
        ("https://example.org/kn/", "https://example.org/kn/"),
    ],
)
def test_feed_links_ignore_a_forged_host(
    sqlite_url: str, public_url: str | None, prefix: str
) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    fill(engine)
    engine.dispose()
    app = create_app(sqlite_url, **({"public_url": public_url} if public_url else {}))
    try:
        client = app.test_client()
        response = client.get("/feed.atom?q=tag:OZG", headers=FORGED)
        redirect = client.get("/api", headers=FORGED)
    finally:
        app.config["KN_ENGINE"].dispose()
    body = response.get_data(as_text=True)
    assert "evil.example" not in body
    links = feed_links(response)
    assert len(links) == 5  # self, alternate, id, and the two entries' article pages
    assert all(link.startswith(prefix) for link in links), links
    assert f"{prefix}feed.atom?q=tag:OZG" in links
    assert redirect.status_code == 308
    assert "evil.example" not in redirect.headers["Location"]
    assert urlsplit(redirect.headers["Location"]).netloc == urlsplit(prefix).netloc


@pytest.mark.parametrize("public_url", [None, "https://kn.example.org/"])
def test_served_feed_links_ignore_a_forged_host(sqlite_url: str, public_url: str | None) -> None:
    """``kn-crawl serve`` itself: a raw HTTP request with a forged Host header."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    fill(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATABASE_URL"] = sqlite_url
    if public_url:
        env["KN_PUBLIC_URL"] = public_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "kn_crawl", "serve", "--port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        served = line.split(" on ", 1)[1].split(" ", 1)[0]
        conn = http.client.HTTPConnection("127.0.0.1", urlsplit(served).port, timeout=30)
        conn.putrequest("GET", "/feed.atom?q=tag:OZG", skip_host=True)
        conn.putheader("Host", "evil.example")
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert response.status == 200
    assert b"evil.example" not in body
    feed = feedparser.parse(body)
    expected = public_url or served
    assert feed.feed.id == f"{expected}feed.atom?q=tag:OZG"
    assert [e.links[1].href.rsplit("/", 1)[0] for e in feed.entries] == [f"{expected}artikel"] * 2


def test_stichwort_pages_of_names_that_are_no_query(sqlite_url: str) -> None:
    """A scraped Stichwort such as ``Smart "City"`` cannot be written as ``tag:"…"``: its page
    searches by its key instead (it was a 500)."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        sid = ensure_source(conn, name="kommune21", family="k21", title="K", base_url="https://x/")
    names = ['Smart "City"', 'a"b', "OR", "-Bayern", "since:0000"]
    ArticleStore(engine).save(
        sid, "kommune21", [article("t", "Titel mit Stichwörtern", tags=names)], now=NOW
    )
    engine.dispose()
    app = create_app(sqlite_url)
    try:
        client = app.test_client()
        for name in names:
            page = client.get(f"/stichwort/{tag_key(name)}")
            assert page.status_code == 200, name
            assert "Titel mit Stichwörtern" in page.get_data(as_text=True), name
            assert client.get(f"/api/tags/{tag_key(name)}").get_json()["name"] == name
    finally:
        app.config["KN_ENGINE"].dispose()
