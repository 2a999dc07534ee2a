"""Incremental refresh against the mirror: only what is new or changed is fetched."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kn_crawl.mirror import Mirror
from tests.crawling import Db, crawl


@dataclass
class Crawled:
    mirror: Mirror
    db_url: str
    db: Db


@pytest.fixture
def crawled(tmp_path: Path) -> Iterator[Crawled]:
    """The move site crawled once (a backfill)."""
    with Mirror() as mirror:
        db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
        out = crawl(db_url, mirror, ["move"])
        assert out.returncode == 0, out.stderr[-3000:]
        db = Db(db_url)
        mirror.clear_requests()
        yield Crawled(mirror, db_url, db)
        db.close()


def article_paths(mirror: Mirror) -> list[str]:
    return [
        r.path
        for r in mirror.requests
        if r.path.startswith("/k21-meldungen/")
        and r.path.count("/") == 3
        and not r.path.startswith(("/k21-meldungen/page/", "/k21-meldungen/feed"))
    ]


def test_refresh_after_three_new_articles_fetches_exactly_those(crawled: Crawled) -> None:
    new_urls = crawled.mirror.publish("move", 3)
    out = crawl(crawled.db_url, crawled.mirror, ["move"])
    assert out.returncode == 0, out.stderr[-3000:]
    base = crawled.mirror.base_urls["move"]
    fetched = sorted(article_paths(crawled.mirror))
    assert fetched == sorted("/" + u.removeprefix(base) for u in new_urls)
    run = crawled.db.runs()[-1]
    assert run.articles_new == 3 and run.articles_updated == 0
    assert crawled.db.articles_by_source() == {"move": 38}


def test_edited_teaser_on_listing_is_refetched_once_with_one_revision(crawled: Crawled) -> None:
    url = crawled.mirror.article_urls("move")[1]
    crawled.mirror.edit_article("move", url, teaser="Ein neuer Teaser für diese Meldung.")
    out = crawl(crawled.db_url, crawled.mirror, ["move"])
    assert out.returncode == 0, out.stderr[-3000:]
    base = crawled.mirror.base_urls["move"]
    assert article_paths(crawled.mirror) == ["/" + url.removeprefix(base)]
    run = crawled.db.runs()[-1]
    assert (run.articles_new, run.articles_updated) == (0, 1)
    assert len(crawled.db.revisions()) == 1


def test_young_articles_are_rechecked_within_the_window(crawled: Crawled) -> None:
    """Known articles younger than the re-check window are fetched again when a listing
    shows them (to catch edits that listings do not show); older ones are not."""
    crawled.mirror.publish("move", 1)
    out = crawl(crawled.db_url, crawled.mirror, ["move"], env={"KN_RECHECK_DAYS": "100000"})
    assert out.returncode == 0, out.stderr[-3000:]
    # The feed changed: its one new article and its 29 known ones, all "young" now.
    assert len(article_paths(crawled.mirror)) >= 30
    assert crawled.db.runs()[-1].articles_new == 1


def test_transient_failure_is_retried_next_run(tmp_path: Path) -> None:
    """The flaky page fails for a whole run when retries are off; the next (incremental)
    run fetches it again and stores it."""
    with Mirror() as mirror:
        db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
        out = crawl(db_url, mirror, ["kommune21"], env={"KN_RETRY_TIMES": "0"})
        db = Db(db_url)
        first = db.runs()[-1]
        assert {d.reason for d in db.drops(first.id)} >= {"http_500"}
        assert db.articles_by_source()["kommune21"] == 94
        out = crawl(db_url, mirror, ["kommune21"])
        assert out.returncode == 0, out.stderr[-3000:]
        assert db.articles_by_source()["kommune21"] == 95
        db.close()
