"""`kn-crawl worker` end to end: two worker processes (two nodes) on one PostgreSQL crawl the
mirror's sources, every article once, no two runs of one host at a time, nothing left
running after SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from kn_crawl.mirror import Mirror
from tests.conftest import PostgresServer
from tests.crawling import REPO, Db, only_sources

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SOURCES = ("kommune21", "move", "stadtundwerk")

# Runs of one web host in two batches (two processes) at once. The sources of one host run
# side by side in their one batch, under its one host lock: that is no overlap.
OVERLAPS = text(
    """
    SELECT count(*) FROM crawl_runs a
    JOIN crawl_runs b ON a.id < b.id
    JOIN sources sa ON sa.id = a.source_id
    JOIN sources sb ON sb.id = b.source_id
    WHERE sa.host = sb.host AND a.status <> 'skipped' AND b.status <> 'skipped'
      AND a.batch IS DISTINCT FROM b.batch
      AND a.started_at < coalesce(b.finished_at, now())
      AND b.started_at < coalesce(a.finished_at, now())
    """
)


def worker_env(url: str, mirror: Mirror, tmp_path: Path) -> dict[str, str]:
    catalog = tmp_path / "kn-sources.toml"
    catalog.write_text(only_sources(SOURCES))
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("KN_")},
        "KN_DATABASE_URL": url,
        "KN_DATA_DIR": str(tmp_path),
        "KN_SOURCES_FILE": str(catalog),
        "KN_TICK": "1",
        "KN_AUTOTHROTTLE_START_DELAY": "0",
        "KN_DOWNLOAD_TIMEOUT": "10",
        **{f"KN_BASE_URL_{s.upper()}": mirror.base_urls[s] for s in SOURCES},
    }


def test_two_workers_crawl_every_article_once(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database("kn_worker_e2e")
    db = Db(url)
    procs: list[subprocess.Popen[str]] = []
    with Mirror() as mirror:
        expected_urls = {u for s in SOURCES for u in mirror.article_urls(s)}
        env = worker_env(url, mirror, tmp_path)
        for node in ("node-1", "node-2"):
            log = open(tmp_path / f"{node}.log", "w")  # noqa: SIM115 - closed with the process
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "kn_crawl", "worker"],
                    env={**env, "KN_NODE": node},
                    cwd=REPO,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    text=True,
                    start_new_session=True,
                )
            )
        try:
            deadline = time.monotonic() + 300
            while True:
                assert all(p.poll() is None for p in procs), "a worker ended on its own"
                assert time.monotonic() < deadline, "the workers did not crawl every source"
                time.sleep(0.5)
                try:
                    with db.engine.connect() as conn:
                        done = conn.execute(
                            text(
                                "SELECT count(DISTINCT source_id) FROM crawl_runs "
                                "WHERE status = 'ok'"
                            )
                        ).scalar_one()
                except Exception:  # noqa: BLE001 - the schema may not be there yet
                    continue
                if done == len(SOURCES):
                    break
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            codes = [proc.wait(timeout=120) for proc in procs]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    logs = {n: (tmp_path / f"{n}.log").read_text() for n in ("node-1", "node-2")}
    for log in logs.values():
        assert "Traceback" not in log, log[-3000:]
    assert codes == [0, 0], logs
    # Exactly the mirror's valid articles (its ground truth), each once.
    assert db.articles_by_source() == {"kommune21": 95, "move": 35, "stadtundwerk": 30}
    assert set(db.articles()) == expected_urls
    with db.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) - count(DISTINCT url) FROM articles")).scalar_one()
            == 0
        )
        assert conn.execute(OVERLAPS).scalar_one() == 0
        runs = conn.execute(
            text(
                "SELECT s.name, r.status, r.host, r.batch FROM crawl_runs r "
                "JOIN sources s ON s.id = r.source_id WHERE r.status <> 'skipped' ORDER BY r.id"
            )
        ).all()
        jobs = conn.execute(
            text(
                "SELECT status, count(*) FROM procrastinate_jobs "
                "WHERE task_name = 'kn_crawl.crawl_batch' GROUP BY status"
            )
        ).all()
    # Each source crawled once (its next run is 45 minutes away), by a batch job of a node.
    assert sorted(r.name for r in runs) == sorted(SOURCES)
    assert {r.status for r in runs} == {"ok"}
    assert {r.host for r in runs} <= {"node-1", "node-2"}
    assert all(r.batch for r in runs)
    assert dict(jobs) == {"succeeded": len({r.batch for r in runs})}
    db.engine.dispose()


def test_a_running_worker_picks_up_a_catalogue_change_at_its_tick(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """A catalogue changed while the worker runs reaches the `sources` table at a tick; a
    broken file meanwhile is one log line, the worker goes on and the table keeps the last
    good state. (Every source is turned off: nothing is crawled.)"""
    url = postgres.create_database("kn_worker_catalogue")
    db = Db(url)
    catalog = tmp_path / "kn-sources.toml"
    with Mirror() as mirror:
        env = {
            **worker_env(url, mirror, tmp_path),
            **{f"KN_SCHEDULE_{s.upper()}": "off" for s in SOURCES},
            "KN_NODE": "node-1",
        }
    base = catalog.read_text()

    def title_of(name: str) -> str | None:
        try:
            with db.engine.connect() as conn:
                found = conn.execute(
                    text("SELECT title FROM sources WHERE name = :n"), {"n": name}
                ).scalar_one_or_none()
        except Exception:  # noqa: BLE001 - the schema may not be there yet
            return None
        return None if found is None else str(found)

    def wait_for_title(title: str) -> None:
        deadline = time.monotonic() + 120
        while title_of("move") != title:
            assert proc.poll() is None, "the worker ended on its own"
            assert time.monotonic() < deadline, f"move's title never became {title!r}"
            time.sleep(0.5)

    log_path = tmp_path / "node-1.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kn_crawl", "worker"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    try:
        wait_for_title("move – moderne verwaltung")
        catalog.write_text(base + '[sources.move]\ntitle = "move (neu)"\n')
        wait_for_title("move (neu)")
        catalog.write_text(base + "[sources.move\n")  # broken
        # Ticks pass: each worker tick job the database records after the break.
        with db.engine.connect() as conn:
            seen = conn.execute(
                text("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
            ).scalar_one()
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "the worker ended on its own"
            assert time.monotonic() < deadline, "no three ticks after the broken file"
            with db.engine.connect() as conn:
                ticks = conn.execute(
                    text(
                        "SELECT count(*) FROM procrastinate_jobs WHERE id > :seen "
                        "AND task_name = 'kn_crawl.tick' AND status = 'succeeded'"
                    ),
                    {"seen": seen},
                ).scalar_one()
            if ticks >= 3:
                break
            time.sleep(0.5)
        assert title_of("move") == "move (neu)"
        catalog.write_text(base + '[sources.move]\ntitle = "move (repariert)"\n')
        wait_for_title("move (repariert)")
        os.killpg(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text_ = log_path.read_text()
    assert "Traceback" not in text_, text_[-3000:]
    assert code == 0, text_
    broken = [line for line in text_.splitlines() if "catalogue not synced" in line]
    assert len(broken) == 1, text_
    assert (
        broken[0]
        .partition("WARNING: ")[2]
        .startswith(f"catalogue not synced, the last good one stays: {catalog}")
    ), broken
    synced = [line for line in text_.splitlines() if "catalogue synced:" in line]
    assert [line.partition("INFO: ")[2] for line in synced] == [
        "catalogue synced: 0 added, 1 updated, 0 retired"
    ] * 2
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM crawl_runs")).scalar_one() == 0
    db.engine.dispose()
