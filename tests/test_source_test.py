"""``kn-crawl sources test`` (kn_crawl/cli/source_test.py, kn_crawl/crawling/trial.py): a
trial crawl of the mirror prints what came out and writes nothing to the database."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, MetaData, func, select

from kn_crawl.cli.source_test import sources_test
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.mirror import Mirror
from tests.site_server import NOT_FOUND, ROBOTS_ALLOW_ALL, Answer, SiteServer, listing_page


@pytest.fixture(scope="module")
def mirror() -> Iterator[Mirror]:
    with Mirror() as served:
        yield served


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean KN_* environment whose database is ``tmp_path/kn.db``; returns that path."""
    import os

    for key in list(os.environ):
        if key.startswith("KN_"):
            monkeypatch.delenv(key)
    db = tmp_path / "kn.db"
    monkeypatch.setenv("KN_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("KN_AUTOTHROTTLE_START_DELAY", "0")
    monkeypatch.setenv("KN_DOWNLOAD_TIMEOUT", "10")
    return db


def run(*args: str) -> Result:
    return CliRunner().invoke(sources_test, list(args))


def test_three_articles_of_the_mirror(mirror: Mirror, env: Path) -> None:
    base = mirror.base_urls["kommune21"]
    result = run("kommune21", "--limit", "3", "--base-url", base)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        f"kommune21: 3 articles read from {base} (nothing stored)",
        "title 3/3, date 3/3, kicker 3/3, teaser 3/3, body 3/3, tags 3/3, author 0/3, image 3/3",
        "dropped: none",
    ]
    # The newest three, from the feed: articles go before the archive's pages.
    assert lines[3:8] == [
        "",
        "1. Potenziale früh erkannt",
        f"   2025-01-30  {base}k21-meldungen/potenziale-frueh-erkannt-2/",
        # The site's Stichwörter, then the vocabulary's (the body names Digitalisierung twice;
        # "mobiles Arbeiten" is the vocabulary's Homeoffice).
        "   tags: Praxis, Erfurt, E-Akte, Dokumentenmanagement, Gigabit-Koordinator, "
        "Homeoffice (vocabulary), Digitalisierung (vocabulary)",
        "   Die E-Akte ist an das Dokumentenmanagementsystem angebunden und ersetzt die "
        "bisherigen Registraturen. Eingehende Post wird zentral gescannt. Besonders die "
        "Vertretungsregelungen hätten sich verbessert,…",
    ]
    assert [line for line in lines if line[:3] in ("2. ", "3. ")] == [
        "2. Mehr IT-Sicherheit für Kommunen",  # two articles of one title (Hessen, KDO)
        "3. Mehr IT-Sicherheit für Kommunen",
    ]
    assert len(lines) == 3 + 3 * 5
    assert result.stderr == ""
    assert not env.exists()  # no database was created


def test_whole_site_with_its_drops_leaves_an_existing_database_unchanged(
    mirror: Mirror, env: Path
) -> None:
    engine = make_engine(f"sqlite:///{env}")
    upgrade(engine)
    # Closing the last connection checkpoints SQLite's write-ahead log into the file: what is
    # hashed is the whole database, not whatever part of the migrations reached the file yet.
    engine.dispose()
    before = hashlib.sha256(env.read_bytes()).hexdigest()
    base = mirror.base_urls["kommune21"]
    result = run("kommune21", "--limit", "100", "--base-url", base)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # The mirror's ground truth: 95 articles (and two old-layout copies of articles, which
    # the store merges), two pages without a date, one dead link.
    assert lines[:3] == [
        f"kommune21: 97 articles read from {base} (nothing stored)",
        "title 97/97, date 97/97, kicker 62/97, teaser 97/97, body 97/97, tags 97/97, "
        "author 0/97, image 85/97",
        "dropped: no_date 2, http_404 1",  # most frequent first
    ]
    assert lines[-1] == "… and 87 more"
    assert hashlib.sha256(env.read_bytes()).hexdigest() == before


def test_dead_base_url_is_one_line(env: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run("kommune21", "--base-url", f"http://127.0.0.1:{port}/")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"kn-crawl: error: no article came out of kommune21 at http://127.0.0.1:{port}/: "
        "robots_disallowed 3, robots_unreachable 1 (robots.txt unreachable "
        "(connection_refused); RFC 9309 says disallow all)\n"
    )
    assert not env.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("nosuch",),
            "kn-crawl: error: unknown source 'nosuch' (kn-crawl sources lists all 27)",
        ),
        (
            ("kommune21", "--base-url", "ftp://mirror/"),
            "Error: Invalid value for --base-url: 'ftp://mirror/' is not an http(s) URL",
        ),
        (
            ("kommune21", "--limit", "0"),
            "Error: Invalid value for '--limit': 0 is not in the range 1<=x<=100.",
        ),
    ],
)
def test_bad_arguments_are_one_line_before_any_crawl(
    env: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == message
    assert not env.exists()


def test_a_site_whose_every_article_is_refused_is_not_walked_to_its_end(env: Path) -> None:
    slugs = [f"a-{i}" for i in range(60)]

    def route(path: str) -> Answer:
        if path == "/robots.txt":
            return ROBOTS_ALLOW_ALL
        if path == "/k21-meldungen/":
            return Answer(200, listing_page(slugs))
        if path.startswith("/k21-meldungen/a-"):
            slug = path.split("/")[2]
            page = f"<html><body><main><article><h1>Meldung {slug}</h1><p>Ohne Datum.</p>"
            return Answer(200, (page + "</article></main></body></html>").encode())
        return NOT_FOUND  # no feed, no home page

    with SiteServer(route) as site:
        result = run("kommune21", "--limit", "1", "--base-url", site.base_url)
        # robots.txt, the feed (404), the archive, 27 of the 60 articles (before the home
        # page: articles go first).
        assert len(site.paths) == 30
    assert result.exit_code == 1
    assert result.stderr == (
        f"kn-crawl: error: no article came out of kommune21 at {site.base_url}: 30 pages "
        "read; no_date 27, http_404 1 (no publication date found (no date in JSON-LD, meta, "
        "<time>, teaser or URL; no Stichwörter))\n"
    )


def _row_counts(engine: Engine) -> dict[str, int]:
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in sorted(meta.tables.items())
        }


def test_nothing_is_written_to_a_migrated_database(
    mirror: Mirror, env: Path, engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KN_DATABASE_URL", db_url)
    before = _row_counts(engine)
    result = run("move", "--limit", "2", "--base-url", mirror.base_urls["move"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == (
        "title 2/2, date 2/2, kicker 2/2, teaser 2/2, body 2/2, tags 2/2, author 0/2, image 1/2"
    )
    assert _row_counts(engine) == before
    assert before["crawl_runs"] == 0 and before["articles"] == 0
