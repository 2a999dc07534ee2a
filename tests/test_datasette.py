"""Datasette: the schema's descriptions come from the README (generated, never hand-kept),
every canned query runs through Datasette itself on a crawled mirror database with exact
results, and ``kn-crawl datasette`` refuses what it cannot serve in one line."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from kn_crawl.cli import main
from kn_crawl.datasette_app import QUERIES, database_name, metadata
from kn_crawl.db.engine import make_engine
from kn_crawl.db.schema import metadata as schema
from kn_crawl.mirror import Mirror
from kn_crawl.schema_docs import DOCS_FILE, README, as_json, load, parse_columns, parse_readme
from tests.crawling import REPO, crawl

datasette_app = pytest.importorskip("datasette.app")


def test_schema_docs_are_generated_from_the_readme() -> None:
    """Regenerate with ``python -m kn_crawl.schema_docs`` after editing the README."""
    generated = as_json(parse_readme(README.read_text(encoding="utf-8")))
    assert DOCS_FILE.read_text(encoding="utf-8") == generated


def test_every_table_and_column_is_described() -> None:
    docs = load()
    meta = metadata("kn")["databases"]["kn"]["tables"]
    for table in schema.tables.values():
        assert table.name in docs, table.name
        assert meta[table.name]["description"].startswith("One row per ")
        for column in table.columns:
            assert column.name in docs[table.name].columns, f"{table.name}.{column.name}"
    assert meta["articles"]["columns"]["date_signal"] == (
        "which signal gave the date: jsonld, microdata, meta, time, url, visible"
    )
    assert meta["articles"]["columns"]["id"] == "Primary key"
    assert meta["articles"]["columns"]["source_id"] == "Refers to sources.id"
    assert meta["sources"]["columns"]["claimed_by"] == (
        "when and by which node a tick last took it for a batch"
    )
    assert meta["http_validators"]["description"] == (
        "One row per feed or listing URL. For conditional requests on refresh."
    )


@pytest.mark.parametrize(
    ("cell", "columns", "note"),
    [
        ("`id`, `name`", {"id": "", "name": ""}, ""),
        ("`a` (x (y) `z`), `b`", {"a": "x (y) z", "b": ""}, ""),
        ("`a` / `b` (both), `c` (see [Vocabulary](#vocabulary))",
         {"a": "both", "b": "both", "c": "see Vocabulary"}, ""),
        ("`url`, `id` — for refresh", {"url": "", "id": ""}, "for refresh"),
    ],
)  # fmt: skip
def test_parse_columns(cell: str, columns: dict[str, str], note: str) -> None:
    assert parse_columns(cell) == (columns, note)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("datasette") / "kn.sqlite3"
    with Mirror() as mirror:
        result = crawl(f"sqlite:///{path}", mirror)
        assert result.returncode == 0, result.stderr[-2000:]
    return path


def datasette_json(path: Path, urls: list[str]) -> list[Any]:
    """Each URL's JSON answer from Datasette's own test client, over the bundled metadata."""
    ds = datasette_app.Datasette(files=[str(path)], metadata=metadata(database_name(path)))

    async def fetch() -> list[Any]:
        await ds.invoke_startup()
        answers = []
        for url in urls:
            response = await ds.client.get(url)
            assert response.status_code == 200, (url, response.text[:500])
            answers.append(response.json())
        return answers

    return asyncio.run(fetch())


@pytest.mark.slow
def test_canned_queries_run_through_datasette(crawled: Path) -> None:
    names = list(QUERIES)
    got = dict(
        zip(
            names,
            datasette_json(
                crawled,
                [f"/kn/{n}.json?_shape=array&stichwort=digitalisierung" for n in names],
            ),
            strict=True,
        )
    )
    engine = make_engine(f"sqlite:///{crawled}")
    with engine.connect() as conn:
        tagged = conn.execute(
            text(
                "SELECT t.name, a.published_at FROM article_tags at "
                "JOIN tags t ON t.id = at.tag_id JOIN articles a ON a.id = at.article_id"
            )
        ).all()
        articles = conn.execute(
            text(
                "SELECT s.name, a.published_at FROM articles a JOIN sources s ON s.id = a.source_id"
            )
        ).all()
    engine.dispose()

    published = [datetime.fromisoformat(p) for _, p in articles]
    newest = max(published)
    start = newest - timedelta(days=30)

    # Stichwörter der letzten 30 Tage: counted by hand from the rows.
    recent = Counter(name for name, p in tagged if datetime.fromisoformat(p) >= start)
    expected = sorted(recent.items(), key=lambda kv: (-kv[1], kv[0]))
    assert [(r["stichwort"], r["artikel"]) for r in got["stichwoerter_30_tage"]] == expected
    assert got["stichwoerter_30_tage"][0] == {
        "stichwort": "Digitalisierung", "artikel": 17, "von": "2024-12-31", "bis": "2025-01-30",
    }  # fmt: skip

    # Neue Stichwörter: first article within the period.
    first: dict[str, datetime] = {}
    count: Counter[str] = Counter()
    for name, p in tagged:
        when = datetime.fromisoformat(p)
        first[name] = min(first.get(name, when), when)
        count[name] += 1
    new = sorted(
        ((n, f) for n, f in first.items() if f >= start), key=lambda nf: (-nf[1].timestamp(), nf[0])
    )
    assert [
        (r["stichwort"], r["erster_artikel"], r["artikel"]) for r in got["neue_stichwoerter"]
    ] == [(n, f.date().isoformat(), count[n]) for n, f in new]
    assert len(got["neue_stichwoerter"]) == 16
    assert got["neue_stichwoerter"][0] == {
        "stichwort": "ITK Rheinland", "erster_artikel": "2025-01-30", "artikel": 1,
    }  # fmt: skip

    # Artikel je Quelle und Monat: the totals are the crawl's.
    per_month = Counter((s, datetime.fromisoformat(p).strftime("%Y-%m")) for s, p in articles)
    assert {
        (r["quelle"], r["monat"]): r["artikel"] for r in got["artikel_je_quelle_und_monat"]
    } == (dict(per_month))
    totals: Counter[str] = Counter()
    for r in got["artikel_je_quelle_und_monat"]:
        totals[r["quelle"]] += r["artikel"]
    assert totals == {"kommune21": 95, "move": 35, "stadtundwerk": 30}

    assert [(r["quelle"], r["zustand"], r["artikel"]) for r in got["quellen_zustand"]] == [
        ("kommune21", "healthy", 95), ("move", "healthy", 35), ("stadtundwerk", "healthy", 30),
    ]  # fmt: skip
    assert all(r["letzter_erfolg"] for r in got["quellen_zustand"])

    digital = got["artikel_zu_stichwort"]
    assert len(digital) == Counter(n.lower() for n, _ in tagged)["digitalisierung"] == 71
    assert [r["veroeffentlicht"] for r in digital] == sorted(
        (r["veroeffentlicht"] for r in digital), reverse=True
    )


@pytest.mark.slow
def test_datasette_shows_the_descriptions_and_stays_read_only(crawled: Path) -> None:
    (tables,) = datasette_json(crawled, ["/kn.json"])
    assert {q["name"] for q in tables["queries"]} == set(QUERIES)
    ds = datasette_app.Datasette(files=[str(crawled)], metadata=metadata("kn"))

    async def page() -> tuple[str, int]:
        await ds.invoke_startup()
        html = (await ds.client.get("/kn/articles")).text
        write = await ds.client.get("/kn.json?sql=delete+from+articles")
        return html, write.status_code

    html, status = asyncio.run(page())
    assert "One row per article." in html
    assert status == 400  # a query that writes is refused


SECRET_CHANNEL = "json://hookuser:S3cretTok3n@127.0.0.1:28700/e500"


@pytest.fixture(scope="module")
def with_secrets(crawled: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The crawled database plus what must not reach Datasette's readers: a channel
    subscription with its token, a subscriber's address, a web client's key."""
    path = tmp_path_factory.mktemp("secrets") / "kn.sqlite3"
    path.write_bytes(crawled.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(
            schema.tables["alert_subscriptions"].insert(),
            [
                {"email": "channel:json:468e", "channel": SECRET_CHANNEL, "queries": ["OZG"]},
                {"email": "erin@example.org", "channel": None, "queries": ["OZG"]},
            ],
        )
        conn.execute(
            schema.tables["web_writes"].insert(), {"client": "203.0.113.7", "action": "subscribe"}
        )
    engine.dispose()
    return path


@pytest.mark.slow
def test_datasette_denies_the_alert_tables_and_any_sql(with_secrets: Path) -> None:
    ds = datasette_app.Datasette(files=[str(with_secrets)], metadata=metadata("kn"))
    denied = [
        "/kn/alert_subscriptions.json?_shape=array&_col=channel&_col=email",
        "/kn/alert_subscriptions",
        "/kn/alert_subscriptions/1.json",
        "/kn/alert_outbox.json",
        "/kn/alert_emails.json",
        "/kn/alert_matched_articles.json",
        "/kn/web_writes.json",
        "/kn.json?sql=select+channel+from+alert_subscriptions",
        "/kn.json?sql=select+1",
        # A table the reader may see, with a SQL fragment reading a denied one.
        "/kn/articles.json?_where=id+in+(select+id+from+alert_subscriptions)",
    ]

    async def fetch() -> tuple[list[int], dict[str, Any], str, int]:
        await ds.invoke_startup()
        codes = [(await ds.client.get(url)).status_code for url in denied]
        listing = (await ds.client.get("/kn.json")).json()
        page = (await ds.client.get("/kn")).text
        articles = (await ds.client.get("/kn/articles.json?_size=1")).status_code
        return codes, listing, page, articles

    codes, listing, page, articles = asyncio.run(fetch())
    assert codes == [403] * len(denied)
    assert articles == 200
    names = {t["name"] for t in listing["tables"]}
    assert not {n for n in names if n.startswith(("alert_", "web_"))}
    assert {"articles", "sources", "tags", "stories"} <= names
    assert {q["name"] for q in listing["queries"]} == set(QUERIES)
    assert "alert_subscriptions" not in page
    assert "S3cretTok3n" not in page


def cli(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(main, ["datasette", *args], env=env)


def test_command_refuses_what_it_cannot_serve(tmp_path: Path) -> None:
    result = cli({"KN_DATABASE_URL": "postgresql+psycopg://kn:geheim@db.example/kn"})
    assert result.exit_code == 2
    assert result.stderr == (
        "kn-crawl: error: Datasette reads SQLite files; KN_DATABASE_URL is "
        "postgresql+psycopg://kn:***@db.example/kn (for PostgreSQL use its own tools, "
        "or export with 'kn-crawl export')\n"
    )
    missing = tmp_path / "nope.sqlite3"
    result = cli({"KN_DATABASE_URL": f"sqlite:///{missing}"})
    assert result.exit_code == 2
    assert result.stderr == (
        f"kn-crawl: error: no database at {missing}: "
        "crawl first (kn-crawl demo or kn-crawl crawl)\n"
    )
    assert not missing.exists()


@pytest.mark.slow
def test_the_command_serves_the_canned_queries(crawled: Path) -> None:
    """``kn-crawl datasette --port 0`` as documented: a real Datasette on loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATABASE_URL"] = f"sqlite:///{crawled}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kn_crawl", "datasette", "--port", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("Datasette on http://127.0.0.1:"), line
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        answer = None
        for _ in range(600):  # until Datasette listens (its start-up, on a busy machine)
            try:
                with urllib.request.urlopen(url + "kn/quellen_zustand.json?_shape=array") as r:
                    answer = json.loads(r.read())
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        refused = []
        for path in ["kn/alert_subscriptions.json", "kn.json?sql=select+1", "kn.db"]:
            try:
                urllib.request.urlopen(url + path)
            except urllib.error.HTTPError as exc:
                refused.append(exc.code)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert answer is not None
    assert refused == [403, 403, 403]  # the alert tables, own SQL, the file itself
    assert [(r["quelle"], r["artikel"]) for r in answer] == [
        ("kommune21", 95), ("move", 35), ("stadtundwerk", 30),
    ]  # fmt: skip


def test_command_refuses_a_file_that_is_no_kn_crawl_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database")
    result = cli({"KN_DATABASE_URL": f"sqlite:///{junk}"})
    assert result.exit_code == 1
    assert result.stderr == f"kn-crawl: error: cannot read {junk}: file is not a database\n"
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE t (x)")
    result = cli({"KN_DATABASE_URL": f"sqlite:///{other}"})
    assert result.exit_code == 1
    assert result.stderr == (
        f"kn-crawl: error: {other} is no kn-crawl database (it has no articles table)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.sqlite3", "other.sqlite3"]
