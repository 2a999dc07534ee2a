"""A crawl that lost its run writes nothing and stops: real crawls of the mirror into a real
PostgreSQL, with the run failed from outside as another node's reaper would fail it."""

from __future__ import annotations

import os
import signal
import time

import pytest
from sqlalchemy import func, select, text

from kn_crawl.cluster.lease import reap_stale_runs
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import Article, CrawlRun, DroppedItem
from kn_crawl.mirror import Mirror
from tests.conftest import PostgresServer
from tests.crawling import Db, article_pages_served, background_crawl

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SOURCE = "kommune21"
# Slowed down and stored in small batches, so the crawl is mid-way when the test acts.
ENV = {"KN_DOWNLOAD_DELAY": "0.05", "KN_STORE_BATCH_SIZE": "5", "KN_LEASE": "10"}


def wait_for_articles(mirror: Mirror, proc: object, n: int) -> None:
    deadline = time.monotonic() + 120
    while article_pages_served(mirror, SOURCE) < n:
        assert proc.poll() is None, "the crawl ended too early"  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the crawl fetched too few articles"
        time.sleep(0.02)


def counts(db: Db) -> tuple[int, int]:
    return db.count(Article), db.count(DroppedItem)


def the_run(db: Db) -> tuple[str, str | None]:
    with db.engine.connect() as conn:
        row = conn.execute(select(CrawlRun.status, CrawlRun.finish_reason)).one()
    return row.status, row.finish_reason


def test_a_run_failed_by_the_reaper_writes_nothing_more_and_the_crawl_stops(
    postgres: PostgresServer,
) -> None:
    url = postgres.create_database("kn_fence_reaped")
    db = Db(url)
    upgrade(db.engine)
    with Mirror() as mirror, background_crawl(url, mirror, [SOURCE], env=ENV) as proc:
        wait_for_articles(mirror, proc, 20)
        with db.engine.begin() as conn:  # what another node's reaper does
            conn.execute(
                text(
                    "UPDATE crawl_runs SET status = 'failed', finish_reason = 'stale', "
                    "finished_at = now() WHERE status = 'running'"
                )
            )
        at_failure = counts(db)
        _, err = proc.communicate(timeout=120)
        served = article_pages_served(mirror, SOURCE)
    assert "Traceback" not in err, err[-3000:]
    assert "lease lost, stopping the crawl" in err, err[-3000:]
    assert counts(db) == at_failure
    assert the_run(db) == ("failed", "stale")
    assert served < 98  # it stopped: the site has 98 articles
    db.engine.dispose()


def test_a_crawl_stopped_past_its_lease_sends_nothing_after_sigcont(
    postgres: PostgresServer,
) -> None:
    url = postgres.create_database("kn_fence_sigstop")
    db = Db(url)
    upgrade(db.engine)
    with Mirror() as mirror, background_crawl(url, mirror, [SOURCE], env=ENV) as proc:
        wait_for_articles(mirror, proc, 20)
        os.killpg(proc.pid, signal.SIGSTOP)
        try:
            # Past the 10 s lease by the database's clock; then any node's reaper fails it.
            deadline = time.monotonic() + 60
            while True:
                with db.engine.connect() as conn:
                    silent = conn.execute(
                        select(func.now() - func.coalesce(CrawlRun.heartbeat_at,
                                                          CrawlRun.started_at))
                    ).scalar_one()  # fmt: skip
                if silent.total_seconds() > 11:
                    break
                assert time.monotonic() < deadline
                time.sleep(0.5)
            reaped = reap_stale_runs(db.engine, 10.0, here="another-node")
            assert len(reaped) == 1
            before = (len(mirror.requests), *counts(db))
        finally:
            os.killpg(proc.pid, signal.SIGCONT)
        _, err = proc.communicate(timeout=120)
        after = (len(mirror.requests), *counts(db))
    assert "Traceback" not in err, err[-3000:]
    assert "lease lost, stopping the crawl" in err, err[-3000:]
    # Not one request more, not one row more.
    assert after == before
    assert the_run(db) == ("failed", "stale")
    db.engine.dispose()
