"""Runs left "running" by a dead process: recognised by pid on their own host and by heartbeat
on any host, closed as failed/stale by the next command that opens the database, shown as
"stale" where the database is read-only."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import CrawlRun, Source, table_of
from kn_crawl.db.runs import (
    STALE_AFTER,
    Liveness,
    close_stale_runs,
    is_stale,
    process_started_at,
    this_host,
)
from kn_crawl.mirror import Mirror
from tests.crawling import REPO, Db, article_pages_served, background_crawl, crawl

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HERE = "crawler-1"


def alive_since(started: datetime) -> Liveness:
    return Liveness(True, started)


@pytest.mark.parametrize(
    ("name", "host", "pid", "heartbeat_age", "process", "stale"),
    [
        ("own host, process alive", HERE, 10, 1, alive_since(NOW - timedelta(hours=1)), False),
        ("own host, process gone", HERE, 10, 1, Liveness(False), True),
        ("own host, pid reused by a later process", HERE, 10, 1,
         alive_since(NOW - timedelta(minutes=30)), True),
        ("own host, start time unknown", HERE, 10, 1, Liveness(True, None), False),
        ("own host, alive but silent too long", HERE, 10, 11,
         alive_since(NOW - timedelta(hours=1)), True),
        ("other host, fresh heartbeat", "crawler-2", 10, 9, Liveness(False), False),
        ("other host, old heartbeat", "crawler-2", 10, 11, Liveness(True), True),
        ("no host (older run), pid gone", None, 10, 1, Liveness(False), True),
        ("no host (older run), pid alive", None, 10, 1,
         alive_since(NOW - timedelta(hours=1)), False),
        ("no host (older run), no heartbeat, pid alive", None, 10, 60,
         alive_since(NOW - timedelta(hours=1)), False),
        ("no pid", None, None, 1, Liveness(True), True),
    ],
)  # fmt: skip
def test_when_a_running_run_is_stale(
    name: str,
    host: str | None,
    pid: int | None,
    heartbeat_age: int,
    process: Liveness,
    stale: bool,
) -> None:
    started = NOW - timedelta(minutes=40)
    verdict = is_stale(
        status="running",
        host=host,
        pid=pid,
        started_at=started,
        heartbeat_at=NOW - timedelta(minutes=heartbeat_age),
        now=NOW,
        here=HERE,
        liveness=lambda _pid: process,
    )
    assert verdict is stale, name


def test_finished_runs_are_never_stale() -> None:
    assert not is_stale(
        status="failed",
        host=None,
        pid=None,
        started_at=NOW - timedelta(days=3),
        heartbeat_at=None,
        now=NOW,
        here=HERE,
    )


def test_this_process_started_before_now() -> None:
    started = process_started_at(os.getpid())
    assert started is not None and started <= datetime.now(UTC)
    assert process_started_at(2**22 + 12345) is None  # beyond Linux's pid range


def _gone_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True)  # fmt: skip
    return int(proc.stdout)


def test_close_stale_runs_by_host_pid_and_heartbeat(engine: Engine) -> None:
    now = datetime.now(UTC)
    old, fresh = now - STALE_AFTER - timedelta(minutes=1), now - timedelta(minutes=1)
    mine = process_started_at(os.getpid())
    assert mine is not None
    rows = {
        "other host, old heartbeat": ("crawler-2", 4242, now - timedelta(hours=1), old),
        "other host, fresh heartbeat": ("crawler-2", 4242, now - timedelta(hours=1), fresh),
        "this host, pid gone": (this_host(), _gone_pid(), now, fresh),
        "this host, alive": (this_host(), os.getpid(), now, fresh),
        "this host, pid reused": (this_host(), os.getpid(), mine - timedelta(hours=1), fresh),
    }
    with engine.begin() as conn:
        source_id = conn.execute(
            insert(Source)
            .values(name="move", family="k21", title="move", base_url="http://x/")
            .returning(Source.id)
        ).scalar_one()
        ids = {}
        for name, (host, pid, started, heartbeat) in rows.items():
            ids[name] = conn.execute(
                insert(CrawlRun)
                .values(
                    source_id=source_id, started_at=started, status="running", pid=pid,
                    host=host, heartbeat_at=heartbeat,
                )
                .returning(CrawlRun.id)
            ).scalar_one()  # fmt: skip
        done = conn.execute(
            insert(CrawlRun)
            .values(source_id=source_id, started_at=old, status="ok", finish_reason="finished")
            .returning(CrawlRun.id)
        ).scalar_one()
    closed = close_stale_runs(engine, now=now)
    assert sorted(closed) == sorted(
        ids[n]
        for n in ("other host, old heartbeat", "this host, pid gone", "this host, pid reused")
    )
    with engine.connect() as conn:
        result = {
            r.id: (r.status, r.finish_reason, r.finished_at is not None)
            for r in conn.execute(select(table_of(CrawlRun))).all()
        }
    assert result == {
        ids["other host, old heartbeat"]: ("failed", "stale", True),
        ids["other host, fresh heartbeat"]: ("running", None, False),
        ids["this host, pid gone"]: ("failed", "stale", True),
        ids["this host, alive"]: ("running", None, False),
        ids["this host, pid reused"]: ("failed", "stale", True),
        done: ("ok", "finished", False),
    }
    assert close_stale_runs(engine, now=now) == ()


def kn(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATABASE_URL"] = db_url
    return subprocess.run([sys.executable, "-m", "kn_crawl", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def status_of(output: str, run_id: int) -> str:
    line = next(x for x in output.splitlines() if x.split()[:1] == [str(run_id)])
    return line.split()[5]  # run, source, date, time, took, status


def test_a_killed_crawl_is_closed_by_the_next_command(engine: Engine, db_url: str) -> None:
    with Mirror() as mirror:
        db = Db(db_url)
        try:
            with background_crawl(
                db_url, mirror, ["move"], env={"KN_DOWNLOAD_DELAY": "0.05"}
            ) as proc:
                deadline = time.monotonic() + 120
                while article_pages_served(mirror, "move") < 5:
                    assert proc.poll() is None and time.monotonic() < deadline
                    time.sleep(0.02)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=60)
            [killed] = db.runs()
            assert killed.status == "running"
            assert (killed.host, killed.pid) == (this_host(), proc.pid)
            assert killed.heartbeat_at >= killed.started_at
            # The next command that opens the database closes it, whatever it is.
            out = kn(db_url, "runs")
            assert out.returncode == 0, out.stderr
            assert status_of(out.stdout, killed.id) == "failed", out.stdout
            [closed] = db.runs()
            assert (closed.status, closed.finish_reason) == ("failed", "stale")
            assert closed.finished_at is not None
            out = kn(db_url, "sources")
            row = next(x for x in out.stdout.splitlines() if x.startswith("move"))
            # source, title, base URL, articles, last run, status
            assert re.split(r"\s{2,}", row)[5] == "failed", out.stdout
            # A crawl afterwards runs as usual.
            out = crawl(db_url, mirror, ["stadtundwerk"])
            assert out.returncode == 0, out.stderr[-3000:]
            runs = {r.id: r for r in db.runs()}
            assert (runs[killed.id].status, runs[killed.id].finish_reason) == ("failed", "stale")
            assert [r.status for r in runs.values() if r.source == "stadtundwerk"] == ["ok"]
        finally:
            db.close()


def test_a_read_only_database_with_a_stale_run_still_serves_its_readers(tmp_path: Path) -> None:
    """Closing stale runs writes; a database the command may only read keeps them (with a
    warning) instead of refusing to open."""
    path = tmp_path / "kn.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:
        source_id = conn.execute(
            insert(Source)
            .values(name="move", family="k21", title="move", base_url="http://x/")
            .returning(Source.id)
        ).scalar_one()
        run_id = conn.execute(
            insert(CrawlRun)
            .values(
                source_id=source_id, started_at=datetime.now(UTC), status="running",
                pid=_gone_pid(), host=this_host(), heartbeat_at=datetime.now(UTC),
            )
            .returning(CrawlRun.id)
        ).scalar_one()  # fmt: skip
    engine.dispose()
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    out = kn(read_only, "runs")
    assert out.returncode == 0, out.stderr
    assert status_of(out.stdout, run_id) == "stale", out.stdout
    assert out.stderr.startswith("kn-crawl: warning: runs left running by dead processes not ")
    assert "Traceback" not in out.stderr
    out = kn(f"sqlite:///{path}", "runs")  # writable again: closed
    assert status_of(out.stdout, run_id) == "failed", out.stdout


def test_a_run_is_judged_by_its_own_lease_not_the_readers(engine: Engine, db_url: str) -> None:
    """A command with a short KN_LEASE does not fail the live runs of workers with a longer
    one: each run carries the lease of the process that beats for it (migration 0013)."""
    from sqlalchemy import func, update

    from kn_crawl.db.runs import start_run

    with engine.begin() as conn:
        source_id = conn.execute(
            insert(Source)
            .values(name="move", family="k21", title="move", base_url="http://x/")
            .returning(Source.id)
        ).scalar_one()
        now = datetime.now(UTC)
        leases = {
            "lease 60, silent 30 s": 60.0,
            "lease 60, silent 90 s": 60.0,
            "no lease (older run), silent 30 s": None,
        }
        ids = {
            name: start_run(
                conn,
                source_id=source_id,
                base_url="http://x/",
                now=now,
                pid=4242,
                host="crawler-2",
                lease=lease,
            )
            for name, lease in leases.items()
        }
        runs = table_of(CrawlRun)
        for name, age in (("lease 60, silent 30 s", 30), ("lease 60, silent 90 s", 90),
                          ("no lease (older run), silent 30 s", 30)):  # fmt: skip
            stamp = (
                func.now() - timedelta(seconds=age)
                if conn.dialect.name == "postgresql"
                else datetime.now(UTC) - timedelta(seconds=age)
            )
            conn.execute(update(runs).where(runs.c.id == ids[name]).values(heartbeat_at=stamp))
    # A read-only command of a process whose own lease is 10 s.
    out = kn_short_lease(db_url, "runs", "--limit", "3")
    assert out.returncode == 0, out.stderr
    with engine.connect() as conn:
        result = {
            r.id: (r.status, r.finish_reason, r.lease)
            for r in conn.execute(select(table_of(CrawlRun))).all()
        }
    # The reader's KN_LEASE=10 applies to the older run only (PostgreSQL: the old rule was the
    # reader's lease; SQLite: ten minutes).
    older = ("failed", "stale", None) if engine.dialect.name == "postgresql" else (
        "running", None, None)  # fmt: skip
    assert result == {
        ids["lease 60, silent 30 s"]: ("running", None, 60.0),
        ids["lease 60, silent 90 s"]: ("failed", "stale", 60.0),
        ids["no lease (older run), silent 30 s"]: older,
    }


def kn_short_lease(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATABASE_URL"] = db_url
    env["KN_LEASE"] = "10"
    return subprocess.run([sys.executable, "-m", "kn_crawl", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
