"""Crawls against a mirror that misbehaves: every fault ends in a recorded reason and a run
that is not "running", and the crawl process exits cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.mirror import Mirror
from tests.crawling import Db, crawl


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with Mirror() as m:
        yield m


def test_robots_txt_5xx_means_disallow_all(mirror: Mirror, tmp_path: Path) -> None:
    """RFC 9309: an unreachable robots.txt (5xx) means complete disallow — nothing else is
    fetched, the reason is recorded, and the run is a failure."""
    mirror.set_fault("move", "robots_500")
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    out = crawl(db_url, mirror, ["move"])
    assert out.returncode == 1, out.stderr[-3000:]
    assert "Traceback" not in out.stderr
    fetched = {r.path for r in mirror.requests if r.source == "move"}
    assert fetched == {"/robots.txt"}
    db = Db(db_url)
    [run] = db.runs()
    assert run.status == "failed"
    assert run.articles_new == 0
    reasons = {d.reason for d in db.drops(run.id)}
    assert "robots_unreachable" in reasons
    assert reasons <= {"robots_unreachable", "robots_disallowed"}
    db.close()


def test_site_answering_503_everywhere_fails_the_run(mirror: Mirror, tmp_path: Path) -> None:
    mirror.set_fault("stadtundwerk", "unavailable")
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    out = crawl(db_url, mirror, ["stadtundwerk", "move"])
    assert out.returncode == 1
    db = Db(db_url)
    runs = {r.source: r for r in db.runs()}
    assert runs["stadtundwerk"].status == "failed"
    # The other source in the same crawl is not affected.
    assert runs["move"].status == "ok"
    assert db.articles_by_source() == {"move": 35}
    db.close()


def test_pages_without_dates_are_dropped_with_reason(mirror: Mirror, tmp_path: Path) -> None:
    mirror.set_fault("stadtundwerk", "no_dates")
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    out = crawl(db_url, mirror, ["stadtundwerk"])
    assert "Traceback" not in out.stderr
    db = Db(db_url)
    [run] = db.runs()
    drops = db.drops(run.id)
    assert len(drops) == 30
    assert {d.reason for d in drops} == {"no_date"}
    assert db.articles_by_source() == {}
    db.close()


def test_same_database_twice_at_once_loses_nothing(mirror: Mirror, tmp_path: Path) -> None:
    """Two crawl processes of the same sources into one SQLite file at the same time."""
    import subprocess
    import sys

    from tests.crawling import REPO

    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    crawl(db_url, mirror, ["move"])  # creates and migrates the database first
    env_args = [f"--base-url=move={mirror.base_urls['move']}"]
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env |= {"KN_DATABASE_URL": db_url, "KN_AUTOTHROTTLE_START_DELAY": "0"}
    mirror.edit_article("move", mirror.article_urls("move")[0], teaser="Neu in beiden Läufen.")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "kn_crawl", "crawl", "move", *env_args],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    db = Db(db_url)
    assert db.articles_by_source() == {"move": 35}
    # The edit is one revision, whichever process stored it first.
    assert len(db.revisions()) == 1
    runs = db.runs()[1:]
    assert sorted(r.articles_updated for r in runs) == [0, 1]
    db.close()


def test_an_article_the_database_refuses_is_dropped_and_the_rest_stored(
    mirror: Mirror, tmp_path: Path
) -> None:
    """The database refuses one article (a trigger raising, as a constraint would): its
    batch's transaction is rolled back and retried item by item, so only that article is
    missing, recorded in one line without SQL; the run is marked failed so the next one
    fetches the page again.

    (Before issue 14 the whole batch of 5 was lost, with the statement in the log.)"""
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    engine = make_engine(db_url)
    upgrade(engine)
    refused = mirror.expected_articles("move")[7]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN new.title = "
            f"'{refused.title.replace(chr(39), chr(39) * 2)}' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    engine.dispose()
    out = crawl(db_url, mirror, ["move"], env={"KN_STORE_BATCH_SIZE": "5"})
    assert out.returncode == 1
    assert "the database refused a batch of 5 articles (IntegrityError: refused)" in out.stderr
    assert "Traceback" not in out.stderr
    assert "[SQL" not in out.stderr
    assert "INSERT INTO" not in out.stderr
    db = Db(db_url)
    [run] = db.runs()
    assert run.status == "failed"
    stored = db.articles()
    assert refused.url not in stored
    assert len(stored) == 34
    assert run.articles_new == 34
    assert all(tags for _, tags in stored.values())
    lost = [(d.url, d.stage, d.reason, d.detail) for d in db.drops() if d.stage == "store"]
    assert lost == [(refused.url, "store", "store_failed", "IntegrityError: refused")]
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER refuse")
    again = crawl(db_url, mirror, ["move"])
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(db.articles()) == 35
    db.close()
