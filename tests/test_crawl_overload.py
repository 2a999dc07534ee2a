"""An overloaded site: Retry-After honoured (a short one is waited, a long one postpones the
source for this run and the next ones, remembered in the run's stats), and a run that failed
most of its requests is a failed run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from kn_crawl.crawling.ratelimit import retry_after_seconds
from kn_crawl.crawling.recorder import mostly_failed, pages_attempted
from kn_crawl.db.models import table_of
from kn_crawl.db.state_models import SourceHealth
from kn_crawl.mirror import Mirror
from tests.crawling import Db, crawl
from tests.site_server import (
    FEED,
    NOT_FOUND,
    ROBOTS_ALLOW_ALL,
    Answer,
    SiteServer,
    article_page,
    crawl_site,
    listing_page,
)

NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 3600 ", 3600.0),
        ("0", 0.0),
        (format_datetime(NOW + timedelta(hours=1), usegmt=True), 3600.0),
        ("Fri, 31 Jan 2025 13:00:00 GMT", 3600.0),
        ("Fri, 31 Jan 2025 11:00:00 GMT", 0.0),  # in the past: no wait
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("٣", None),  # a digit, but not ASCII
        ("999999999999", 86400.0),  # capped at a day: no overflow, no endless wait
        ("Sat, 31 Jan 2125 12:00:00 GMT", 86400.0),
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, now=NOW) == expected


def site(feed: list[Answer]) -> SiteServer:
    """A site whose feed answers ``feed`` in turn (then the last one again)."""
    answers = list(feed)

    def route(path: str) -> Answer:
        if path == "/robots.txt":
            return ROBOTS_ALLOW_ALL
        if path == "/k21-meldungen/feed":
            return answers.pop(0) if len(answers) > 1 else answers[0]
        if path in ("/", "/k21-meldungen/"):
            return Answer(body=listing_page(["a-1"]))
        if path == "/k21-meldungen/a-1/":
            return Answer(body=article_page("a-1"))
        return NOT_FOUND

    return SiteServer(route)


def too_many(retry_after: str) -> Answer:
    return Answer(
        429, b"Too Many Requests", {"Content-Type": "text/plain", "Retry-After": retry_after}
    )


# One request at a time: robots.txt, then the feed, the archive, the home page.
ONE_AT_A_TIME = {"KN_CONCURRENT_PER_SITE": "1"}


@pytest.mark.parametrize("form", ["seconds", "http-date", "absurd"])
def test_a_long_retry_after_postpones_the_source_for_this_run_and_the_next(
    db_url: str, form: str
) -> None:
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    retry_after = {
        "seconds": "3600",
        "http-date": format_datetime(in_an_hour, usegmt=True),
        # Far beyond any date: capped at a day, never an overflow or an endless wait.
        "absurd": "999999999999",
    }[form]
    with site([too_many(retry_after)]) as server:
        crawl_site(db_url, server, env=ONE_AT_A_TIME)
        # Not retried, and nothing else sent.
        assert server.paths == ["/robots.txt", "/k21-meldungen/feed"]
        out = crawl_site(db_url, server, env=ONE_AT_A_TIME)
        assert "Traceback" not in out.stderr, out.stderr[-3000:]
        # The next run, within the hour, sends nothing at all.
        assert server.paths == ["/robots.txt", "/k21-meldungen/feed"]
    db = Db(db_url)
    first, second = db.runs()
    for run in (first, second):
        assert (run.status, run.finish_reason) == ("failed", "rate_limited")
        assert run.articles_new == 0
        [drop] = db.drops(run.id)
        assert (drop.stage, drop.reason) == ("fetch", "rate_limited")
    until = datetime.fromisoformat(first.stats["kn/rate_limited_until"])
    if form == "http-date":
        assert until == in_an_hour
    else:  # an hour (or the cap, a day) after the answer, which came during the run
        wait = timedelta(hours=1) if form == "seconds" else timedelta(days=1)
        assert first.started_at + wait <= until <= first.finished_at + wait
    assert second.stats["kn/rate_limited_until"] == first.stats["kn/rate_limited_until"]
    assert db.drops(first.id)[0].url == server.base_url + "k21-meldungen/feed"
    assert db.drops(first.id)[0].detail.endswith(f"until {until.isoformat()}")
    assert db.drops(second.id)[0].detail.startswith("postponed: the site asked")
    db.close()


def test_a_short_retry_after_is_waited_and_retried(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with site([too_many("1"), FEED]) as server:
        out = crawl_site(db_url, server, env=ONE_AT_A_TIME)
        assert server.paths.count("/k21-meldungen/feed") == 2
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    db = Db(db_url)
    [run] = db.runs()
    assert (run.status, run.finish_reason) == ("ok", "finished")
    assert run.articles_new == 1
    assert db.drops(run.id) == []
    assert "kn/rate_limited_until" not in run.stats
    db.close()


def test_a_run_that_failed_most_of_its_requests_is_failed(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with Mirror() as mirror:
        mirror.set_fault("move", "mostly_unavailable")
        out = crawl(db_url, mirror, ["move"])
    assert out.returncode == 1
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    db = Db(db_url)
    [run] = db.runs()
    assert (run.status, run.finish_reason) == ("failed", "mostly_failed")
    assert run.stats["kn/pages_lost"] * 2 > run.stats["kn/pages_attempted"]
    assert run.stats["kn/pages_lost"] == run.errors
    with db.engine.connect() as conn:
        health = conn.execute(select(table_of(SourceHealth))).one()
    assert health.status == "failing"
    [evidence] = [e for e in health.evidence if e["check"] == "run"]
    assert evidence["message"] == (
        f"the crawl run ended failed: {run.errors} of {run.stats['kn/pages_attempted']} "
        "pages could not be fetched or used (mostly_failed)"
    )
    db.close()


@pytest.mark.parametrize(
    ("errors", "attempted", "expected"),
    [
        (3, 3, True),
        (2, 2, False),  # too few to say
        (3, 6, False),  # half is not most
        (4, 7, True),
        (51, 100, True),
        (50, 100, False),
        (0, 0, False),
    ],
)
def test_mostly_failed(errors: int, attempted: int, expected: bool) -> None:
    assert mostly_failed(errors, attempted) is expected


def test_pages_attempted_leaves_out_retries_and_robots_txt() -> None:
    stats = {"downloader/request_count": 10, "retry/count": 6, "robotstxt/request_count": 1}
    assert pages_attempted(stats) == 3
    assert pages_attempted({}) == 0
