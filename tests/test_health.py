"""Source health after real crawls of the mirror, including induced breakage."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kn_crawl.db.models import Source
from kn_crawl.db.state_models import HealthEvent, SourceHealth
from kn_crawl.mirror import Mirror
from tests.crawling import Db, crawl


def health(db: Db) -> tuple[str, list[dict[str, Any]]]:
    with db.engine.connect() as conn:
        row = conn.execute(
            select(SourceHealth.status, SourceHealth.evidence)
            .join(Source, Source.id == SourceHealth.source_id)
            .where(Source.name == "move")
        ).one()
    return row.status, row.evidence


def events(db: Db) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.execute(select(HealthEvent.kind).order_by(HealthEvent.id)).scalars())


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Mirror, str, Db]]:
    with Mirror() as mirror:
        db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
        out = crawl(db_url, mirror, ["move"])  # runs the after-run hooks, health first
        assert out.returncode == 0, out.stderr[-3000:]
        db = Db(db_url)
        yield mirror, db_url, db
        db.close()


def test_healthy_after_a_good_crawl(site: tuple[Mirror, str, Db]) -> None:
    _, _, db = site
    assert health(db) == ("healthy", [])
    assert events(db) == []


def test_dates_disappear_degraded_then_recovered(site: tuple[Mirror, str, Db]) -> None:
    mirror, db_url, db = site
    mirror.set_fault("move", "no_dates")
    mirror.publish("move", 6)  # new articles arrive without any date
    crawl(db_url, mirror, ["move"])
    status, evidence = health(db)
    assert status == "degraded"
    checks = {e["check"] for e in evidence}
    assert "coverage" in checks
    sample = next(e for e in evidence if e["check"] == "coverage")
    assert sample["sample_url"] and sample["value"] is not None
    assert events(db) == ["degraded"]
    # Still broken: no second complaint within a day.
    crawl(db_url, mirror, ["move"], full=True)
    assert events(db) == ["degraded"]
    mirror.set_fault("move", None)
    out = crawl(db_url, mirror, ["move"], full=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert health(db)[0] == "healthy"
    assert events(db) == ["degraded", "recovered"]


def test_listing_without_articles_is_failing(site: tuple[Mirror, str, Db]) -> None:
    mirror, db_url, db = site
    mirror.set_fault("move", "empty_listings")
    crawl(db_url, mirror, ["move"])
    status, evidence = health(db)
    assert status == "failing"
    assert any(e["check"] == "listing" and e["sample_url"] for e in evidence)
    mirror.set_fault("move", None)
    crawl(db_url, mirror, ["move"])
    assert health(db)[0] == "healthy"
    assert events(db) == ["failing", "recovered"]


def test_health_shows_in_the_cli(site: tuple[Mirror, str, Db]) -> None:
    import os
    import subprocess
    import sys

    _mirror, db_url, _db = site
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATABASE_URL"] = db_url
    out = subprocess.run(
        [sys.executable, "-m", "kn_crawl", "sources"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0
    line = next(x for x in out.stdout.splitlines() if x.startswith("move"))
    # The health column, before the next due time and the node (kn-crawl sources).
    assert re.split(r"\s{2,}", line.strip())[-3] == "healthy"
    out = subprocess.run(
        [sys.executable, "-m", "kn_crawl", "health"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0 and "move" in out.stdout


@pytest.mark.parametrize(
    ("reason", "pages", "message"),
    [
        ("unsafe_xml", 1, "1 page was refused as unsafe XML (unsafe_xml), e.g. http://x/f"),
        ("unsafe_xml", 2, "2 pages were refused as unsafe XML (unsafe_xml), e.g. http://x/f"),
        ("bad_feed", 1, "1 page is not a usable feed (bad_feed), e.g. http://x/f"),
        ("bad_feed", 3, "3 pages are not usable feeds (bad_feed), e.g. http://x/f"),
        (
            "feed_is_html",
            1,
            "1 page answered an HTML page, not a feed (feed_is_html), e.g. http://x/f",
        ),
        (
            "feed_is_html",
            2,
            "2 pages answered an HTML page, not a feed (feed_is_html), e.g. http://x/f",
        ),
        (
            "no_articles_matched",
            4,
            "4 pages showed no link matching the article-URL pattern (no_articles_matched), "
            "e.g. http://x/f",
        ),
    ],
)
def test_start_page_messages_agree_in_number(reason: str, pages: int, message: str) -> None:
    from kn_crawl.health import start_page_message

    assert start_page_message(reason, pages, "http://x/f") == message
