"""The scheduler as users run it: ``kn-crawl schedule`` in its own process, crawling the
mirror on sub-second intervals, stopped by signals."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import (
    Article,
    ArticleTag,
    ArticleUrl,
    CrawlRun,
    Source,
    Tag,
    table_of,
)
from kn_crawl.mirror import Mirror
from tests.crawling import REPO, Db, crawl, only_sources


@pytest.fixture(scope="module")
def mirror() -> Iterator[Mirror]:
    with Mirror() as m:
        yield m


def env_for(db_url: str, mirror: Mirror, **extra: str) -> dict[str, str]:
    # Only move is enabled (on the mirror); kommune21 and stadtundwerk are enabled in the
    # catalogue but off in the schedule.
    catalog = Path(db_url.removeprefix("sqlite:///")).with_name("kn-sources.toml")
    catalog.write_text(only_sources(("kommune21", "move", "stadtundwerk")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env |= {
        "KN_DATABASE_URL": db_url,
        "KN_SOURCES_FILE": str(catalog),
        "KN_AUTOTHROTTLE_START_DELAY": "0",
        "KN_BASE_URL_MOVE": mirror.base_urls["move"],
        "KN_SCHEDULE_KOMMUNE21": "off",
        "KN_SCHEDULE_STADTUNDWERK": "off",
        "KN_SCHEDULE_INTERVAL": "0.5s",
        "KN_SCHEDULE_JITTER": "0",
        "KN_SCHEDULE_GRACE": "20s",
        # The scheduler looks for due sources every second (its smallest tick).
        "KN_TICK": "1",
    }
    env |= extra
    return env


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kn_crawl", "schedule", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return out, err


def runs(db: Db) -> list[Any]:
    with db.engine.connect() as conn:
        return list(conn.execute(select(table_of(CrawlRun)).order_by(CrawlRun.id)).all())


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)  # so the test can watch crawl_runs from the start
    engine.dispose()
    return url


def test_runs_happen_on_schedule_and_never_overlap(mirror: Mirror, db_url: str) -> None:
    # One request at a time, spaced: the first (backfill) crawl takes seconds.
    slow = {"KN_CONCURRENT_PER_SITE": "1", "KN_DOWNLOAD_DELAY": "0.05"}
    proc = start(env_for(db_url, mirror, **slow))
    db = Db(db_url)
    try:
        wait_for(lambda: len([r for r in runs(db) if r.status != "running"]) >= 3, 90)
    finally:
        _, err = stop(proc)
    assert proc.returncode == 0, err[-3000:]
    done = runs(db)
    assert len(done) >= 3
    assert all(r.status in ("ok", "interrupted") for r in done), [r.status for r in done]
    # The first crawl takes far longer than the 0.5 s interval, yet the source never runs
    # twice at once: each run starts after the previous one ended.
    assert (done[0].finished_at - done[0].started_at).total_seconds() > 1.0
    for before, after in itertools.pairwise(done):
        assert after.started_at >= before.finished_at
    assert "Traceback" not in err
    db.close()


def test_second_scheduler_refuses_to_start(mirror: Mirror, db_url: str) -> None:
    env = env_for(db_url, mirror, KN_SCHEDULE_INTERVAL="1h")
    first = start(env)
    db = Db(db_url)
    try:
        wait_for(lambda: len(runs(db)) >= 1, 60)
        second = start(env)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "another scheduler" in err
        assert "Traceback" not in err
    finally:
        stop(first)
    db.close()


def test_sigterm_leaves_no_run_running(mirror: Mirror, db_url: str) -> None:
    env = env_for(
        db_url,
        mirror,
        KN_SCHEDULE_GRACE="0.2s",
        KN_CONCURRENT_PER_SITE="1",
        KN_AUTOTHROTTLE_START_DELAY="0.2",
    )
    proc = start(env)
    db = Db(db_url)
    wait_for(lambda: any(r.status == "running" for r in runs(db)), 60)
    _, err = stop(proc)
    assert proc.returncode == 0, err[-3000:]
    statuses = [r.status for r in runs(db)]
    assert "running" not in statuses
    assert statuses[-1] == "interrupted"
    db.close()


def test_child_killed_with_sigkill_is_marked_failed_and_leaves_no_partial_article(
    mirror: Mirror, db_url: str
) -> None:
    env = env_for(
        db_url,
        mirror,
        KN_SCHEDULE_INTERVAL="1h",
        KN_CONCURRENT_PER_SITE="1",
        KN_AUTOTHROTTLE_START_DELAY="0.1",
        # AutoThrottle alone lets the crawl finish within a couple of seconds: a fixed
        # delay keeps it running (~6 s) until the test kills it.
        KN_DOWNLOAD_DELAY="0.1",
        KN_STORE_BATCH_SIZE="3",
    )
    proc = start(env)
    db = Db(db_url)
    try:
        wait_for(lambda: db.count(Article) >= 6, 60)
        [running] = [r for r in runs(db) if r.status == "running"]
        os.kill(running.pid, signal.SIGKILL)
        wait_for(lambda: runs(db)[0].status != "running", 30)
    finally:
        stop(proc)
    [run] = runs(db)
    assert run.status == "failed"
    assert run.finished_at is not None
    # Every stored article is complete: its URL rows and its Stichwörter were written with it.
    with db.engine.connect() as conn:
        without_url = conn.execute(
            select(func.count()).where(~Article.id.in_(select(ArticleUrl.article_id)))
        ).scalar_one()
        without_tags = conn.execute(
            select(func.count()).where(~Article.id.in_(select(ArticleTag.article_id)))
        ).scalar_one()
        dangling = conn.execute(
            select(func.count()).where(~ArticleTag.tag_id.in_(select(Tag.id)))
        ).scalar_one()
    assert (without_url, without_tags, dangling) == (0, 0, 0)
    db.close()


def test_catch_up_after_downtime_runs_once(mirror: Mirror, db_url: str) -> None:
    out = crawl(db_url, mirror, ["move"])
    assert out.returncode == 0, out.stderr[-3000:]
    db = Db(db_url)
    # The scheduler was down for a day; the interval is an hour: 24 runs were missed. The
    # run's end left the source due an hour after it (sources.next_due_at).
    day_ago = datetime.now(UTC) - timedelta(days=1)
    with db.engine.begin() as conn:
        conn.execute(
            update(table_of(CrawlRun)).values(
                started_at=day_ago, finished_at=day_ago + timedelta(seconds=5)
            )
        )
        conn.execute(
            update(table_of(Source))
            .where(Source.name == "move")
            .values(next_due_at=day_ago + timedelta(hours=1))
        )
    proc = start(env_for(db_url, mirror, KN_SCHEDULE_INTERVAL="1h"))
    try:
        wait_for(lambda: len(runs(db)) == 2 and runs(db)[1].status != "running", 60)
        time.sleep(3)  # time for any wrongful extra run to start
    finally:
        stop(proc)
    assert len(runs(db)) == 2
    db.close()


def test_once_runs_due_sources_then_nothing(mirror: Mirror, db_url: str) -> None:
    env = env_for(db_url, mirror, KN_SCHEDULE_INTERVAL="1h")
    first = subprocess.run(
        [sys.executable, "-m", "kn_crawl", "schedule", "--once"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr[-3000:]
    assert "1 sources crawled" in first.stdout
    again = subprocess.run(
        [sys.executable, "-m", "kn_crawl", "schedule", "--once"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0
    assert "0 sources crawled" in again.stdout


def test_bad_schedule_is_a_one_line_error(mirror: Mirror, db_url: str) -> None:
    env = env_for(db_url, mirror, KN_SCHEDULE_MOVE="every now and then")
    out = subprocess.run(
        [sys.executable, "-m", "kn_crawl", "schedule", "--once"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("kn-crawl: error:") and "Traceback" not in out.stderr


def test_batch_children_log_where_the_scheduler_logs(
    mirror: Mirror, db_url: str, tmp_path: Path
) -> None:
    """KN_LOG_FILE and KN_LOG_FORMAT reach the forked batch process (kn_crawl.batch.launch):
    its Scrapy and run lines are JSON objects in the scheduler's file, with source and run."""
    log = tmp_path / "scheduler.jsonl"
    env = env_for(
        db_url, mirror, KN_SCHEDULE_INTERVAL="1h", KN_LOG_FILE=str(log), KN_LOG_FORMAT="json"
    )
    out = subprocess.run(
        [sys.executable, "-m", "kn_crawl", "schedule", "--once"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    loggers = {r["logger"] for r in records}
    assert "scrapy.utils.log" in loggers  # the child's Scrapy start-up, not on the terminal
    assert "[scrapy.utils.log]" not in out.stderr
    started = [r for r in records if r["message"] == "crawl run 1 of move started"]
    assert [r["logger"] for r in started] == ["kn_crawl.crawling.recorder"]
    assert any(r.get("source") == "move" and r.get("run") == 1 for r in records)
