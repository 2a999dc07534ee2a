"""Injection: scraped titles, teasers and Stichwörter with SQL and HTML metacharacters, and
queries full of them, through the web UI, the JSON API, the Atom feed and the CLI. Nothing
changes in the database, and everything renders as text."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
from sqlalchemy import Engine, text

from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.tags import tag_key
from kn_crawl.web import create_app
from tests.test_search import article

REPO = Path(__file__).resolve().parent.parent
SCRIPT = "<script>alert('x')</script>"
EVIL_TITLE = f"Robert'); DROP TABLE articles; -- {SCRIPT} & <b>fett</b>"
EVIL_TEASER = "\"><img src=x onerror=alert(1)> ' OR 1=1 -- ; DELETE FROM tags"
EVIL_TAG = "<i>Tag</i>'; DROP TABLE tags; --"
QUERIES = [
    "Robert'); DROP TABLE articles; --",
    '"<script>alert" OR fett',
    f"tag:{quote(EVIL_TAG)}",
    "' OR 1=1 --",
    '" OR ""="',
    "x UNION SELECT * FROM sqlite_master",
    "img onerror",
    "%' OR '%'='",
    "since:2020 source:kommune21' -x",
    'NEAR(a b) OR "col":x OR title:*',
]
TABLES = ("articles", "tags", "article_tags", "sources", "article_revisions")


@pytest.fixture
def evil_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        sid = ensure_source(
            conn, name="kommune21", family="k21", title="K21", base_url="https://x/"
        )
    ArticleStore(engine).save(
        sid,
        "kommune21",
        [
            article(
                "evil",
                EVIL_TITLE,
                teaser=EVIL_TEASER,
                kicker=SCRIPT,
                tags=[EVIL_TAG, "Robert"],
                body=f"Absatz mit {SCRIPT}.",
            )
        ],
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )
    engine.dispose()
    return url


def snapshot(engine: Engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in TABLES:
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_web_renders_scraped_html_as_text_and_changes_nothing(evil_db: str) -> None:
    engine = make_engine(evil_db)
    before = snapshot(engine)
    app = create_app(evil_db)
    client = app.test_client()
    pages = [client.get("/?q=" + quote(q)) for q in QUERIES]
    pages += [client.get("/?q=Robert"), client.get("/artikel/1?q=" + quote(QUERIES[1]))]
    pages += [client.get("/stichwort/" + tag_key(EVIL_TAG)), client.get("/quellen")]
    for response in pages:
        assert response.status_code in (200, 400), response.request.url
        body = response.get_data(as_text=True)
        assert SCRIPT not in body
        assert "<img src=x" not in body and "<b>fett</b>" not in body and "<i>Tag</i>" not in body
    found = client.get("/?q=Robert").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in found
    assert "&lt;b&gt;fett&lt;/b&gt;" in found
    detail = client.get("/artikel/1").get_data(as_text=True)
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in detail
    tag_page = client.get("/stichwort/" + tag_key(EVIL_TAG)).get_data(as_text=True)
    assert "Stichwort: &lt;i&gt;Tag&lt;/i&gt;&#39;; DROP TABLE tags; --" in tag_page

    feed = client.get("/feed.atom?q=Robert")
    parsed = feedparser.parse(feed.get_data())
    assert not parsed.bozo and parsed.entries[0].title.startswith(SCRIPT + ": Robert'); DROP")
    assert SCRIPT.encode() not in feed.get_data()
    api = client.get("/api/search?q=" + quote(QUERIES[0])).get_json()
    assert api["results"][0]["title"] == EVIL_TITLE
    for path in ("/export.csv?q=Robert", "/export.json?q=Robert"):
        assert EVIL_TAG in client.get(path).get_data(as_text=True).replace("\\u003c", "<")
    app.config["KN_ENGINE"].dispose()
    assert snapshot(engine) == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == 1
    engine.dispose()


def test_cli_queries_change_nothing(evil_db: str) -> None:
    engine = make_engine(evil_db)
    before = snapshot(engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATABASE_URL"] = evil_db
    for q in QUERIES:
        out = subprocess.run(
            [sys.executable, "-m", "kn_crawl", "search", q, "--format", "jsonl"],
            env=env, capture_output=True, text=True, cwd=REPO, timeout=60,
        )  # fmt: skip
        assert out.returncode in (0, 2), out.stderr
        assert "Traceback" not in out.stderr
        for line in out.stdout.splitlines():
            assert json.loads(line)["title"] == EVIL_TITLE
    assert snapshot(engine) == before
    engine.dispose()
