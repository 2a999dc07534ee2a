"""The ``kn-crawl`` command line.

In-process tests use click's ``CliRunner``; everything about errors (one line on stderr, exit
code, no traceback) and the crawl itself run ``python -m kn_crawl`` in a real subprocess, so a
traceback or a Twisted reactor cannot hide. Every test has its own SQLite database under
``tmp_path``; nothing touches ``./data``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import inspect, select

from kn_crawl.catalog.load import load_catalog
from kn_crawl.cli import main
from kn_crawl.dates import BERLIN
from kn_crawl.db.engine import get_engine, make_engine
from kn_crawl.db.migrate import current_revision, head_revision, upgrade
from kn_crawl.db.models import CrawlRun, DroppedItem
from kn_crawl.db.runs import Drop, record_drops, start_run
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.items import ArticleItem
from kn_crawl.mirror import Mirror
from kn_crawl.settings import Settings
from kn_crawl.vocabulary import load_matcher, vocabulary_tags

REPO = Path(__file__).resolve().parent.parent
PAGES = REPO / "tests" / "fixtures" / "pages"
NOW = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)

TABLES = {
    "sources",
    "articles",
    "tags",
    "article_tags",
    "crawl_runs",
    "dropped_items",
    "article_revisions",
    "article_urls",
}


# --- helpers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Db:
    url: str
    data_dir: Path

    @property
    def env(self) -> dict[str, str]:
        return {"KN_DATABASE_URL": self.url, "KN_DATA_DIR": str(self.data_dir)}


def closed_port() -> int:
    """A loopback port nobody listens on (bound once by us, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_environ() -> dict[str, str]:
    """The process environment without any KN_* setting of the developer's shell."""
    return {k: v for k, v in os.environ.items() if not k.startswith("KN_")}


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the CLI in-process; exceptions other than SystemExit propagate (no hiding)."""
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def run_cli(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m kn_crawl ARGS`` in a subprocess with exactly ``env`` added to a clean
    environment; run from ``cwd`` so a forgotten setting cannot reach the repository's data/."""
    return subprocess.run(
        [sys.executable, "-m", "kn_crawl", *args],
        env=clean_environ() | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def table_rows(output: str) -> list[list[str]]:
    """The body of a table printed by the CLI: columns are separated by two or more spaces."""
    lines = output.rstrip("\n").splitlines()
    dashes = next(i for i, line in enumerate(lines) if re.fullmatch(r"[- ]+", line))
    return [re.split(r"\s{2,}", line.strip()) for line in lines[dashes + 1 :] if line.strip()]


def header(output: str) -> list[str]:
    return re.split(r"\s{2,}", output.splitlines()[0].strip())


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Db]:
    """A private database for this test, configured through the environment like in
    production; KN_* variables of the developer's shell are removed first."""
    for key in list(os.environ):
        if key.startswith("KN_"):
            monkeypatch.delenv(key)
    d = Db(url=f"sqlite:///{tmp_path / 'kn.sqlite3'}", data_dir=tmp_path / "data")
    for key, value in d.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    yield d
    # The CLI shares one engine per URL and process; release this test's file.
    get_engine(d.url).dispose()
    get_engine.cache_clear()


def article(
    source: str, slug: str, title: str, published: datetime, tags: list[str], **more: Any
) -> ArticleItem:
    host = {"kommune21": "www.kommune21.de", "move": "www.move-online.de"}[source]
    url = f"https://{host}/k21-meldungen/{slug}/"
    return ArticleItem(
        source=source,
        url=url,
        fetched_url=url,
        title=title,
        teaser=f"Teaser zu {title}.",
        body="Absatz.",
        published_at=published,
        date_signal="visible",
        tags=tags,
        **more,
    )


# Newest first, as `articles` must print them. Times are Berlin wall-clock times; the two
# around midnight of New Year's Eve are on different days in Berlin but the same day in UTC.
STOCK = [
    article(
        "kommune21",
        "cio-dortmund",
        "Chief Information Office als Weichensteller",
        datetime(2025, 1, 31, 10, 0, tzinfo=BERLIN),
        ["eGovernment", "Dortmund"],
        kicker="Dortmund",
    ),
    article(
        "move",
        "smart-city-neujahr",
        "Smart City zum Jahresbeginn",
        datetime(2025, 1, 1, 0, 30, tzinfo=BERLIN),
        ["Smart City"],
    ),
    article(
        "move",
        "egov-silvester",
        "Onlinezugang zu Silvester",
        datetime(2024, 12, 31, 23, 30, tzinfo=BERLIN),
        ["E-Government", "OZG"],
    ),
    article(
        "kommune21",
        "alt",
        "Eine alte Meldung",
        datetime(2017, 11, 27, tzinfo=BERLIN),
        ["Politik"],
    ),
]
TITLES = [str(a.title) for a in STOCK]


@pytest.fixture
def stocked(db: Db) -> Db:
    """``db`` holding the four STOCK articles of two sources."""
    engine = make_engine(db.url)
    upgrade(engine)
    try:
        store = ArticleStore(engine)
        for name in ("kommune21", "move"):
            with engine.begin() as conn:
                sid = ensure_source(
                    conn, name=name, family="k21", title=name, base_url=f"https://{name}.invalid/"
                )
            # Oldest first, so ids do not already give the expected order.
            store.save(sid, name, [a for a in reversed(STOCK) if a.source == name], now=NOW)
    finally:
        engine.dispose()
    return db


def titles_in(output: str) -> list[str]:
    """The STOCK titles in the order the table shows them."""
    found = []
    for row in table_rows(output):
        found += [t for t in TITLES if t in row[2]]
    return found


# --- help: every command and group documents itself ---------------------------------------


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


COMMAND_PATHS = list(walk(main))


def resolve(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def test_walk_finds_the_commands() -> None:
    # Guards the meta-test below against walking nothing.
    assert {("crawl",), ("articles",), ("db", "upgrade"), ("mirror", "serve")} <= set(COMMAND_PATHS)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(("kn-crawl", *p)))
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    command = resolve(path)
    assert command.help and command.help.strip(), f"{' '.join(path) or 'main'} has no docstring"
    for flag in ("--help", "-h"):
        result = invoke(*path, flag)
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.output
        # click rewraps the docstring; compare with whitespace normalised.
        first_line = " ".join(command.help.strip().splitlines()[0].split())
        assert first_line in " ".join(result.output.split())


def test_python_dash_m_and_version(tmp_path: Path) -> None:
    result = run_cli("--version", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"\d+\.\d+\.\d+", result.stdout)


# --- db upgrade ---------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_and_is_idempotent(db: Db) -> None:
    for _ in range(2):
        result = invoke("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert "is at revision" in result.output
    engine = make_engine(db.url)
    try:
        assert not TABLES - set(inspect(engine).get_table_names())
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()
    assert not db.data_dir.exists(), "KN_DATABASE_URL wins over KN_DATA_DIR"


def test_default_database_lives_in_data_dir(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KN_DATABASE_URL")
    result = invoke("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (db.data_dir / "kn-crawl.sqlite3").is_file()
    get_engine(f"sqlite:///{db.data_dir / 'kn-crawl.sqlite3'}").dispose()


# --- sources ------------------------------------------------------------------------------


def test_sources_on_a_fresh_database(db: Db) -> None:
    result = invoke("sources")
    assert result.exit_code == 0, result.output
    assert header(result.output)[:5] == ["source", "title", "base URL", "articles", "last run"]
    # Every enabled source of the catalogue (the disabled ones follow in a table of their own).
    enabled = result.output.partition("\nDisabled sources:\n")[0]
    rows = {row[0]: row for row in table_rows(enabled)}
    assert set(rows) >= {"kommune21", "move", "stadtundwerk"}
    assert set(rows) == {e.name for e in load_catalog(Settings.from_env({})).enabled()}
    for row in rows.values():
        assert row[3] == "0"
        assert row[4] == "never"
    assert rows["kommune21"][2] == "https://www.kommune21.de/"


def test_sources_shows_base_url_from_environment(db: Db) -> None:
    result = invoke("sources", env={"KN_BASE_URL_KOMMUNE21": "http://127.0.0.1:9/"})
    assert result.exit_code == 0, result.output
    rows = {row[0]: row for row in table_rows(result.output)}
    assert rows["kommune21"][2] == "http://127.0.0.1:9/"
    assert rows["move"][2] == "https://www.move-online.de/"


def test_sources_counts_articles(stocked: Db) -> None:
    rows = {row[0]: row for row in table_rows(invoke("sources").output)}
    assert (rows["kommune21"][3], rows["move"][3], rows["stadtundwerk"][3]) == ("2", "2", "0")


# --- articles -----------------------------------------------------------------------------


def test_articles_on_an_empty_database_prints_the_header(db: Db) -> None:
    assert invoke("db", "upgrade").exit_code == 0  # reading commands create no database
    result = invoke("articles")
    assert result.exit_code == 0, result.output
    assert header(result.output) == ["date", "source", "headline", "Stichwörter"]
    assert table_rows(result.output) == []
    assert invoke("articles", "--json").output == ""


def test_articles_newest_first_in_berlin_time(stocked: Db) -> None:
    result = invoke("articles")
    assert result.exit_code == 0, result.output
    assert titles_in(result.output) == TITLES
    rows = table_rows(result.output)
    assert rows[0] == [
        "31.01.2025",
        "kommune21",
        "Dortmund: Chief Information Office als Weichensteller",
        "eGovernment, Dortmund",
    ]
    # 00:30 in Berlin is still 31.12. in UTC; the table shows the Berlin date.
    assert rows[1][0] == "01.01.2025"


@pytest.mark.parametrize("spelling", ["e-government", "eGovernment", "E Government", "EGOVERNMENT"])
def test_articles_tag_matches_any_spelling(stocked: Db, spelling: str) -> None:
    result = invoke("articles", "--tag", spelling)
    assert result.exit_code == 0, result.output
    assert titles_in(result.output) == [TITLES[0], TITLES[2]]
    # One Stichwort, shown in the spelling first stored (kommune21's batch came first).
    assert [row[3].split(", ")[0] for row in table_rows(result.output)] == ["eGovernment"] * 2


def test_articles_unknown_tag_is_empty(stocked: Db) -> None:
    result = invoke("articles", "--tag", "Blockchain")
    assert result.exit_code == 0
    assert table_rows(result.output) == []


def test_articles_source(stocked: Db) -> None:
    result = invoke("articles", "--source", "move")
    assert result.exit_code == 0, result.output
    assert titles_in(result.output) == [TITLES[1], TITLES[2]]
    assert {row[1] for row in table_rows(result.output)} == {"move"}


@pytest.mark.parametrize("since", ["01.01.2025", "1.1.2025", "2025-01-01", "1. Januar 2025"])
def test_articles_since_is_berlin_midnight(stocked: Db, since: str) -> None:
    result = invoke("articles", "--since", since)
    assert result.exit_code == 0, result.output
    # 31.12.2024 23:30 Berlin is before, 01.01.2025 00:30 Berlin is on or after.
    assert titles_in(result.output) == TITLES[:2]


def test_articles_filters_combine(stocked: Db) -> None:
    result = invoke("articles", "--source", "move", "--since", "01.01.2025", "--limit", "5")
    assert titles_in(result.output) == [TITLES[1]]


def test_articles_limit(stocked: Db) -> None:
    assert titles_in(invoke("articles", "--limit", "2").output) == TITLES[:2]
    assert titles_in(invoke("articles", "--limit", "1").output) == TITLES[:1]


def test_articles_json_lines(stocked: Db) -> None:
    result = invoke("articles", "--json")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["title"] for r in records] == TITLES
    assert set(records[0]) == {
        "id", "source", "published_at", "kicker", "title", "url", "tags", "tag_origins",
    }  # fmt: skip
    published = [datetime.fromisoformat(r["published_at"]) for r in records]
    assert published == [a.published_at for a in STOCK]
    assert all(p.tzinfo is not None for p in published)
    assert published == sorted(published, reverse=True)
    assert records[0]["kicker"] == "Dortmund"
    assert records[0]["tags"] == ["eGovernment", "Dortmund"]
    assert records[0]["tag_origins"] == {"eGovernment": "site", "Dortmund": "site"}
    assert records[0]["url"] == STOCK[0].url
    assert len({r["id"] for r in records}) == 4
    tagged = invoke("articles", "--json", "--tag", "e-government", "--limit", "1").output
    assert [json.loads(line)["title"] for line in tagged.splitlines()] == [TITLES[0]]


def test_articles_long_headline_is_shortened(db: Db) -> None:
    engine = make_engine(db.url)
    upgrade(engine)
    with engine.begin() as conn:
        sid = ensure_source(conn, name="move", family="k21", title="m", base_url="https://m/")
    long_title = "Digitalisierung " * 10
    item = article("move", "lang", long_title.strip(), datetime(2025, 1, 2, tzinfo=BERLIN), [])
    ArticleStore(engine).save(sid, "move", [item], now=NOW)
    engine.dispose()
    [row] = table_rows(invoke("articles").output)
    assert len(row[2]) == 70
    assert row[2].endswith("…")
    assert json.loads(invoke("articles", "--json").output)["title"] == long_title.strip()


# --- dropped ------------------------------------------------------------------------------


def test_dropped_lists_recorded_drops(db: Db) -> None:
    engine = make_engine(db.url)
    upgrade(engine)
    assert table_rows(invoke("dropped").output) == []
    with engine.begin() as conn:
        k21 = ensure_source(conn, name="kommune21", family="k21", title="K", base_url="https://k/")
        move = ensure_source(conn, name="move", family="k21", title="M", base_url="https://m/")
        run = start_run(conn, source_id=k21, base_url="https://k/", now=NOW, pid=1)
        record_drops(
            conn,
            [
                Drop("https://k/a/", "validate", "no_date", "no date found"),
                Drop("https://k/b/", "fetch", "http_404", "x" * 200),
            ],
            run_id=run,
            source_id=k21,
            now=NOW,
        )
        record_drops(
            conn, [Drop("https://m/c/", "parse", "bad_feed")], run_id=None, source_id=move, now=NOW
        )
    engine.dispose()

    result = invoke("dropped")
    assert result.exit_code == 0, result.output
    assert header(result.output) == ["when", "source", "stage", "reason", "URL", "detail"]
    rows = table_rows(result.output)
    # Newest first; NOW is 13:00 in Berlin; the detail is cut to 80 characters.
    assert [r[1:5] for r in rows] == [
        ["move", "parse", "bad_feed", "https://m/c/"],
        ["kommune21", "fetch", "http_404", "https://k/b/"],
        ["kommune21", "validate", "no_date", "https://k/a/"],
    ]
    assert rows[0][0] == "2025-02-01 13:00"
    assert rows[1][5] == "x" * 80
    assert rows[2][5] == "no date found"

    assert [r[3] for r in table_rows(invoke("dropped", "--run", str(run)).output)] == [
        "http_404",
        "no_date",
    ]
    assert [r[3] for r in table_rows(invoke("dropped", "--source", "move").output)] == ["bad_feed"]
    assert len(table_rows(invoke("dropped", "--limit", "1").output)) == 1


# --- parse --------------------------------------------------------------------------------


def without_vocabulary(parsed: dict[str, Any]) -> dict[str, Any]:
    """What ``parse`` printed, less the vocabulary's Stichwörter (the saved cases hold what the
    page object reads), which must be exactly what the vocabulary gives the text."""
    origins = parsed["tag_origins"]
    own = [t for t in parsed["tags"] if origins.get(t) != "vocabulary"]
    added = [t for t in parsed["tags"] if origins.get(t) == "vocabulary"]
    text = (parsed["title"], parsed["teaser"], parsed["body"])
    assert added == vocabulary_tags(*text, load_matcher(), given=own)
    return parsed | {
        "tags": own,
        "tag_origins": {t: o for t, o in origins.items() if o != "vocabulary"},
    }


def test_parse_with_url_matches_the_page_case(db: Db) -> None:
    case = json.loads((PAGES / "move-capture-semantic.json").read_text())
    expected = {k: v for k, v in case["expected"].items() if k != "related"}
    html = PAGES / "move-capture-semantic.html"
    result = invoke("parse", "--source", "move", "--url", case["url"], str(html))
    assert result.exit_code == 0, result.output
    actual = without_vocabulary(json.loads(result.output))
    for key in sorted(set(expected) | set(actual)):
        assert actual.get(key) == expected.get(key), f"field {key!r}"
    assert not Path(db.url.removeprefix("sqlite:///")).exists(), "parse needs no database"


def test_parse_without_url_recognises_an_article(db: Db) -> None:
    case = json.loads((PAGES / "kommune21-capture-divs.json").read_text())
    result = invoke("parse", "--source", "kommune21", str(PAGES / "kommune21-capture-divs.html"))
    assert result.exit_code == 0, result.output
    actual = without_vocabulary(json.loads(result.output))
    assert "entries" not in actual, "read as a listing"
    for key in ("title", "kicker", "teaser", "body", "published_at", "tags", "image_credit"):
        assert actual[key] == case["expected"][key], key


def test_parse_without_url_takes_the_url_the_page_declares(db: Db, tmp_path: Path) -> None:
    with Mirror(zoo=True) as mirror:
        base = mirror.base_urls["fitko"]
        listing = urllib.request.urlopen(base + "aktuelles").read().decode()
        url = sorted(set(re.findall(r'href="([^"]*/aktuelles/details/[^"]*)"', listing)))[0]
        page = tmp_path / "article.html"
        page.write_bytes(urllib.request.urlopen(url).read())
    env = {"KN_BASE_URL_FITKO": base}
    sniffed = invoke("parse", "--source", "fitko", str(page), env=env)
    told = invoke("parse", "--source", "fitko", "--url", url, str(page), env=env)
    assert sniffed.exit_code == 0, sniffed.output
    parsed = json.loads(sniffed.output)
    assert (parsed["url"], parsed["fetched_url"]) == (url, url)
    assert parsed["offsite_canonical"] is None  # its own canonical is no other site's
    assert parsed == json.loads(told.output)


FITKO = "https://www.fitko.de/"


@pytest.mark.parametrize(
    ("head", "url"),
    [
        (
            f'<link rel="canonical" href="{FITKO}aktuelles/details/a">',
            f"{FITKO}aktuelles/details/a",
        ),
        (
            '<meta property="og:url" content="/aktuelles/details/b#top">',
            f"{FITKO}aktuelles/details/b",
        ),
        # The scheme and a leading www. are one site (kn_crawl.urls.same_site).
        ('<link rel="canonical" href="http://fitko.de/x">', "http://fitko.de/x"),
        ('<link rel="canonical" href="https://www.kommune21.de/x">', None),
        (f'<link rel="canonical" href="{FITKO}">', None),  # every page names the home page
        ('<link rel="canonical" href="javascript:void(0)">', None),
        ("", None),
    ],
)
def test_declared_url_of_a_saved_page(head: str, url: str | None) -> None:
    from kn_crawl.cli.crawl import declared_url
    from kn_crawl.sources import source_entry

    body = f"<html><head>{head}</head><body><p>x</p></body></html>".encode()
    assert declared_url(source_entry("fitko"), body) == url


def test_declared_url_of_a_feed_or_nothing() -> None:
    from kn_crawl.cli.crawl import declared_url
    from kn_crawl.sources import source_entry

    entry = source_entry("fitko")
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><link>https://www.fitko.de/a</link>'
    assert (declared_url(entry, feed + b"</channel></rss>"), declared_url(entry, b" \n")) == (
        None,
        None,
    )


@pytest.mark.parametrize("content", ["myhost\n", "", "<html><body><p>Hallo</p></body></html>"])
def test_parse_of_a_page_with_nothing_to_read_is_an_error(
    db: Db, tmp_path: Path, content: str
) -> None:
    page = tmp_path / "hostname"
    page.write_text(content)
    result = run_cli("parse", "--source", "fitko", str(page), env=db.env, cwd=tmp_path)
    assert_one_line_error(
        result,
        Bad(
            (),
            {},
            1,
            f"kn-crawl: error: {page}: neither an article nor a listing or feed with entries "
            "of fitko\n",
        ),
    )
    assert result.stdout == ""


# --- bad input: one line on stderr, an exit code, never a traceback --------------------------


@dataclass(frozen=True, slots=True)
class Bad:
    args: tuple[str, ...]
    env: dict[str, str]
    code: int
    says: str
    """A substring of the error message."""
    usage: bool = False
    """A click usage error (its own format) rather than ``kn-crawl: error: …``."""


DEAD = "http://127.0.0.1:9/"
FILE = str(PAGES / "move-capture-semantic.html")

BAD_INPUT = {
    "crawl-unknown-source": Bad(("crawl", "nosuchsite"), {}, 2, "unknown source 'nosuchsite'"),
    "articles-unknown-source": Bad(
        ("articles", "--source", "nosuchsite"), {}, 2, "unknown source 'nosuchsite'"
    ),
    "parse-unknown-source": Bad(
        ("parse", "--source", "nosuchsite", FILE), {}, 2, "unknown source 'nosuchsite'"
    ),
    "since-not-a-date": Bad(("articles", "--since", "notadate"), {}, 2, "notadate", usage=True),
    "since-impossible-date": Bad(
        ("articles", "--since", "31.02.2025"), {}, 2, "31.02.2025", usage=True
    ),
    "limit-zero": Bad(("articles", "--limit", "0"), {}, 2, "--limit", usage=True),
    # Not echoed: what cannot be parsed may be all password.
    "database-url-not-a-url": Bad(
        ("sources",), {"KN_DATABASE_URL": "notaurl"}, 2, "KN_DATABASE_URL='***' is not a"
    ),
    "concurrency-not-int": Bad(
        ("crawl", "kommune21", "--base-url", DEAD),
        {"KN_CONCURRENT_PER_SITE": "abc"},
        2,
        "KN_CONCURRENT_PER_SITE='abc' is not an integer",
    ),
    "concurrency-zero": Bad(
        ("sources",), {"KN_CONCURRENT_PER_SITE": "0"}, 2, "KN_CONCURRENT_PER_SITE=0 must be from 1"
    ),
    "worker-not-yes-no": Bad(
        ("crawl", "kommune21", "--base-url", DEAD),
        {"KN_CRAWL_WORKER": "maybe"},
        2,
        "KN_CRAWL_WORKER='maybe' is not a yes/no value",
    ),
    "log-level": Bad(("sources",), {"KN_LOG_LEVEL": "chatty"}, 2, "KN_LOG_LEVEL"),
    "base-url-env-not-http": Bad(
        ("sources",), {"KN_BASE_URL_MOVE": "ftp://x"}, 2, "KN_BASE_URL_MOVE='ftp://x'"
    ),
    # One check of a base URL everywhere: a login would be stored in crawl_runs.base_url.
    "base-url-with-login": Bad(
        ("crawl", "kommune21", "--base-url", "kommune21=http://u:geheim@127.0.0.1:8021/"),
        {},
        2,
        "kn-crawl: error: --base-url kommune21: base URL: the URL of 127.0.0.1:8021 must not "
        "have a login (user:password@)\n",
    ),
    "base-url-with-query": Bad(
        ("crawl", "kommune21", "--base-url", "http://127.0.0.1:8021/?x=1"),
        {},
        2,
        "'http://127.0.0.1:8021/?x=1' must not have a query or fragment",
    ),
    "base-url-env-with-login": Bad(
        ("sources",),
        {"KN_BASE_URL_MOVE": "http://u:geheim@127.0.0.1:9/"},
        2,
        "KN_BASE_URL_MOVE: the URL of 127.0.0.1:9 must not have a login (user:password@)",
    ),
    "base-url-env-typo": Bad(
        ("sources",),
        {"KN_BASE_URL_KOMUNE21": DEAD},
        2,
        "KN_BASE_URL_KOMUNE21: no source 'komune21' in the catalogue (did you mean "
        "KN_BASE_URL_KOMMUNE21?)",
    ),
    "base-url-two-sources": Bad(
        ("crawl", "kommune21", "move", "--base-url", DEAD), {}, 2, "SOURCE=URL", usage=True
    ),
    "base-url-other-source": Bad(
        ("crawl", "kommune21", "--base-url", f"move={DEAD}"), {}, 2, "'move'", usage=True
    ),
    "base-url-not-http": Bad(
        ("crawl", "kommune21", "--base-url", "ftp://x/"), {}, 2, "ftp://x/", usage=True
    ),
    "mirror-not-loopback": Bad(
        ("mirror", "serve", "--host", "0.0.0.0", "--port", "0"), {}, 2, "loopback"
    ),
    "parse-missing-file": Bad(
        ("parse", "--source", "move", "nosuchfile.html"), {}, 2, "nosuchfile.html", usage=True
    ),
    "unknown-command": Bad(("frobnicate",), {}, 2, "frobnicate", usage=True),
    "mirror-size-too-small": Bad(
        ("mirror", "serve", "--size", "5", "--port", "0"), {}, 2, "160<=x", usage=True
    ),
    "database-mysql": Bad(
        ("sources",), {"KN_DATABASE_URL": "mysql://kn:pw@h/db"}, 2, "'mysql' is not supported"
    ),
    "download-delay-inf": Bad(
        ("crawl", "kommune21", "--base-url", DEAD),
        {"KN_DOWNLOAD_DELAY": "inf"},
        2,
        "KN_DOWNLOAD_DELAY='inf' is not a finite number",
    ),
}


def assert_one_line_error(result: subprocess.CompletedProcess[str], bad: Bad) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == bad.code, result.stderr
    assert bad.says in result.stderr
    if bad.usage:
        assert result.stderr.startswith("Usage: ")
        assert result.stderr.rstrip("\n").splitlines()[-1].startswith("Error: ")
    else:
        assert result.stderr.startswith("kn-crawl: error: "), result.stderr
        assert len(result.stderr.rstrip("\n").splitlines()) == 1, result.stderr


@pytest.mark.parametrize("bad", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_one_line_no_traceback(db: Db, tmp_path: Path, bad: Bad) -> None:
    result = run_cli(*bad.args, env=db.env | bad.env, cwd=tmp_path, timeout=30)
    assert_one_line_error(result, bad)
    assert "geheim" not in result.stdout + result.stderr
    assert not (tmp_path / "data").exists()


def test_python_dash_m_mirror_with_a_bad_size_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kn_crawl.mirror", "--size", "5"],
        env=clean_environ(), cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.rstrip("\n").splitlines()[-1] == (
        "python -m kn_crawl.mirror: error: --size 5: must be from 160 to 1000000"
    )


@pytest.mark.parametrize(
    "args", [("db", "upgrade"), ("crawl", "kommune21", "--base-url", DEAD)], ids=" ".join
)
def test_database_folder_that_cannot_be_created(tmp_path: Path, args: tuple[str, ...]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    url = f"sqlite:///{blocker / 'sub' / 'kn.sqlite3'}"
    result = run_cli(*args, env={"KN_DATABASE_URL": url}, cwd=tmp_path, timeout=30)
    assert_one_line_error(result, Bad(args, {}, 1, str(blocker)))


def test_unreachable_postgres_is_one_line_without_password(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://kn:s3cret@127.0.0.1:{closed_port()}/kn"
    result = run_cli("sources", env={"KN_DATABASE_URL": url}, cwd=tmp_path, timeout=30)
    assert "s3cret" not in result.stderr + result.stdout
    assert "kn:***@" in result.stderr
    assert_one_line_error(result, Bad(("sources",), {}, 1, "cannot open database"))


# --- crawl against a dead server --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadCrawl:
    db: Db
    base_url: str
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def dead_crawl(tmp_path_factory: pytest.TempPathFactory) -> DeadCrawl:
    """``crawl kommune21`` against a port nobody listens on: robots.txt is unreachable, so
    RFC 9309 disallows the whole site. Run once; the tests below read what it left."""
    root = tmp_path_factory.mktemp("dead-crawl")
    d = Db(url=f"sqlite:///{root / 'kn.sqlite3'}", data_dir=root / "data")
    base_url = f"http://127.0.0.1:{closed_port()}/"
    env = d.env | {"KN_DOWNLOAD_TIMEOUT": "5", "KN_AUTOTHROTTLE_START_DELAY": "0"}
    result = run_cli("crawl", "kommune21", "--base-url", base_url, env=env, cwd=root, timeout=120)
    return DeadCrawl(d, base_url, result)


def rows_of(url: str, model: type) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(model.__table__)).all())  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def dead_runs(dead: DeadCrawl) -> list[Any]:
    return rows_of(dead.db.url, CrawlRun)


def dead_drops(dead: DeadCrawl) -> list[Any]:
    return rows_of(dead.db.url, DroppedItem)


def test_crawl_of_dead_server_finishes_and_records_the_run(dead_crawl: DeadCrawl) -> None:
    result = dead_crawl.result
    assert result.returncode in (0, 1), result.stderr[-3000:]
    [run] = dead_runs(dead_crawl)
    assert run.status != "running"
    assert run.finished_at is not None
    assert run.finish_reason == "finished"
    assert run.base_url == dead_crawl.base_url
    assert run.pages == 0
    assert run.articles_new == 0
    # The summary table names the source and its status.
    rows = table_rows(result.stdout)
    assert rows[0][:2] == ["kommune21", run.status]


def test_crawl_of_dead_server_records_robots_unreachable(dead_crawl: DeadCrawl) -> None:
    [run] = dead_runs(dead_crawl)
    drops = dead_drops(dead_crawl)
    robots = [d for d in drops if d.reason == "robots_unreachable"]
    assert len(robots) == 1, [(d.reason, d.url) for d in drops]
    [drop] = robots
    assert drop.run_id == run.id
    assert drop.stage == "fetch"
    assert drop.url.endswith(f"{dead_crawl.base_url.removeprefix('http:')}robots.txt")
    assert "RFC 9309" in drop.detail
    # The start pages were refused by the disallow-all rules, and each says so.
    others = [d for d in drops if d is not drop]
    assert others
    assert all("robots.txt" in (d.detail or "") for d in others)
    assert all(d.url.startswith(dead_crawl.base_url) for d in others)
    assert run.dropped == len(drops)


def test_crawl_of_dead_server_is_visible_in_the_cli(
    dead_crawl: DeadCrawl, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("KN_"):
            monkeypatch.delenv(key)
    try:
        dropped = invoke("dropped", env=dead_crawl.db.env)
        assert "robots_unreachable" in {r[3] for r in table_rows(dropped.output)}
        sources = {r[0]: r for r in table_rows(invoke("sources", env=dead_crawl.db.env).output)}
        assert sources["kommune21"][4] != "never"
        assert sources["move"][4] == "never"
    finally:
        get_engine(dead_crawl.db.url).dispose()
        get_engine.cache_clear()


def test_crawl_of_dead_server_is_a_failure(dead_crawl: DeadCrawl) -> None:
    [run] = dead_runs(dead_crawl)
    assert run.status == "failed"
    assert dead_crawl.result.returncode == 1


def test_crawl_of_dead_server_records_an_absolute_robots_url(dead_crawl: DeadCrawl) -> None:
    [drop] = [d for d in dead_drops(dead_crawl) if d.reason == "robots_unreachable"]
    assert drop.url == f"{dead_crawl.base_url}robots.txt"


def test_crawl_of_two_dead_servers_counts_errors_per_source(
    dead_crawl: DeadCrawl, tmp_path: Path
) -> None:
    d = Db(url=f"sqlite:///{tmp_path / 'kn.sqlite3'}", data_dir=tmp_path / "data")
    urls = {name: f"http://127.0.0.1:{closed_port()}/" for name in ("move", "kommune21")}
    env = d.env | {"KN_DOWNLOAD_TIMEOUT": "5", "KN_AUTOTHROTTLE_START_DELAY": "0"}
    options = [arg for name, url in urls.items() for arg in ("--base-url", f"{name}={url}")]
    result = run_cli("crawl", *urls, *options, env=env, cwd=tmp_path, timeout=120)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    runs = rows_of(d.url, CrawlRun)
    assert sorted(r.base_url for r in runs) == sorted(urls.values())
    # Each source met exactly what the single-source crawl met, so the same error count.
    [single] = dead_runs(dead_crawl)
    assert single.errors > 0
    assert [r.errors for r in runs] == [single.errors] * 2


# --- the README's examples run ----------------------------------------------------------------


def readme() -> str:
    return (REPO / "README.md").read_text()


def readme_try_commands() -> list[list[str]]:
    """The ``kn-crawl`` lines of the "Then try" block after the quick start."""
    section = readme().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    commands = [
        line.split()[1:]
        for block in blocks
        for line in block.splitlines()
        if line.split() and line.split()[0].endswith("/kn-crawl") and "demo" not in line
    ]
    assert commands, "README quick start shows kn-crawl commands to try"
    return commands


def test_readme_try_commands_run(stocked: Db) -> None:
    for args in readme_try_commands():
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output
    by_args = {tuple(a): invoke(*a).output for a in readme_try_commands()}
    assert titles_in(by_args[("articles", "--tag", "Dortmund")]) == [TITLES[0]]
    move_since = ("articles", "--source", "move", "--since", "01.01.2025", "--limit", "5")
    assert titles_in(by_args[move_since]) == [TITLES[1]]


def readme_command_table() -> dict[tuple[str, ...], set[str]]:
    """Command path -> options, from the README's "Commands" table."""
    table: dict[tuple[str, ...], set[str]] = {}
    for spec in re.findall(r"^\| `kn-crawl ([^`]*)`", readme(), re.M):
        path: list[str] = []
        for word in spec.split():
            if not re.fullmatch(r"[a-z]+", word):
                break
            path.append(word)
        table[tuple(path)] = set(re.findall(r"--[a-z][a-z-]*", spec))
    return table


def test_readme_command_table_matches_the_cli() -> None:
    documented = readme_command_table()
    # A group that does something without a subcommand (``sources``) is documented too.
    leaves = {
        p
        for p in COMMAND_PATHS
        if p and (not isinstance(resolve(p), click.Group) or resolve(p).invoke_without_command)
    }
    assert set(documented) == leaves
    for path, options in documented.items():
        real = {
            o
            for param in resolve(path).params
            for o in [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]
        }
        assert options <= real, f"kn-crawl {' '.join(path)}: README shows {options - real}"


# --- the demo -------------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_checks_health_and_names_the_unhealthy_sources(db: Db, tmp_path: Path) -> None:
    out = run_cli("demo", "--port", "0", env=db.env, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    crawling = next(line for line in out.stdout.splitlines() if line.startswith("Crawling "))
    crawled = crawling.removeprefix("Crawling ").split(" into ")[0].split(", ")
    health_lines = [line for line in out.stdout.splitlines() if line.startswith("Health: ")]
    # The digitaleverwaltung mirror answers its feed with a cookie-check page (README).
    assert health_lines == [
        "Health: digitaleverwaltung degraded — 1 page answered an HTML page, not a feed "
        "(feed_is_html)"
    ]
    assert "\nSee them with: kn-crawl health\n\nAlerts: " in out.stdout
    shown = run_cli("health", "--json", env=db.env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    states = {s["source"]: s["status"] for s in json.loads(shown.stdout)["sources"]}
    assert states == {name: "healthy" for name in crawled} | {"digitaleverwaltung": "degraded"}
