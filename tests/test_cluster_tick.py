"""The cluster's tick and worker against a real PostgreSQL: batches queued with a
queueing lock (a second tick is harmless), a busy host gives skipped runs, and the worker
refuses SQLite in one line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update

from kn_crawl.batch.plan import host_of
from kn_crawl.cluster.app import ensure_queue_schema, make_app, tick_cron
from kn_crawl.cluster.hosts import PgHostOwnership
from kn_crawl.cluster.tick import tick
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import Source, table_of
from kn_crawl.db.store import ensure_source
from kn_crawl.mirror import Mirror
from kn_crawl.settings import Settings
from tests.conftest import PostgresServer
from tests.crawling import REPO, only_sources

sources_t = table_of(Source)


@pytest.mark.parametrize(
    ("tick_s", "cron"),
    [
        (1, "* * * * * */1"),
        (30, "* * * * * */30"),
        (45, "* * * * * */30"),
        (59, "* * * * * */30"),
        (60, "*/1 * * * *"),
        (300, "*/5 * * * *"),
        (420, "*/6 * * * *"),
        (3600, "0 * * * *"),
    ],
)
def test_tick_cron_is_the_largest_even_step_not_above_the_tick(tick_s: float, cron: str) -> None:
    assert tick_cron(tick_s) == cron


@pytest.fixture
def pg(postgres: PostgresServer, request: pytest.FixtureRequest) -> tuple[str, Engine]:
    url = postgres.create_database(f"kn_tick_{request.node.name[:40].lower()}")
    engine = make_engine(url)
    upgrade(engine)
    assert ensure_queue_schema(engine) is True
    assert ensure_queue_schema(engine) is False  # applied once
    request.addfinalizer(engine.dispose)
    return url, engine


def add_sources(engine: Engine, urls: dict[str, str]) -> None:
    with engine.begin() as conn:
        for name, base_url in urls.items():
            sid = ensure_source(conn, name=name, family="k21", title=name, base_url=base_url)
            conn.execute(
                update(sources_t).where(sources_t.c.id == sid).values(host=host_of(base_url))
            )


def run_tick(url: str) -> dict[str, object]:
    settings = Settings.from_env({"KN_DATABASE_URL": url, "KN_NODE": "node-a"})

    async def once() -> dict[str, object]:
        app = make_app(settings, tick=False)
        async with app.open_async():
            return await tick(app, settings)

    return asyncio.run(once())


@pytest.mark.postgres
def test_a_batch_waiting_in_the_queue_is_not_queued_twice(
    pg: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = pg
    monkeypatch.setenv("KN_DATABASE_URL", url)
    add_sources(engine, {"a1": "http://127.0.0.2:9/a1/", "a2": "http://127.0.0.2:9/a2/",
                         "b1": "http://127.0.0.3:9/b1/"})  # fmt: skip
    first = run_tick(url)
    assert first["claimed"] == 3 and len(first["batches"]) == 1  # type: ignore[arg-type]
    with engine.connect() as conn:
        job = conn.execute(
            text("SELECT queueing_lock, args FROM procrastinate_jobs WHERE queue_name = 'crawl'")
        ).one()
    assert job.queueing_lock == "hosts:127.0.0.2,127.0.0.3"
    assert (job.args["sources"], job.args["hosts"]) == (["a1", "a2", "b1"],
                                                        ["127.0.0.2", "127.0.0.3"])  # fmt: skip
    # Nothing is due while the batch waits: a second tick claims nothing.
    assert run_tick(url)["claimed"] == 0
    # Made due again (a lost claim): the same hosts' batch is still waiting, so it is not
    # queued again and the claim is released.
    with engine.begin() as conn:
        conn.execute(text("UPDATE sources SET next_due_at = NULL"))
    again = run_tick(url)
    assert (again["batches"], sorted(again["already_queued"])) == ([], ["a1", "a2", "b1"])  # type: ignore[arg-type]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar_one() == 1
        due = conn.execute(
            text("SELECT count(*) FROM sources WHERE next_due_at <= now() AND claimed_by IS NULL")
        ).scalar_one()
    assert due == 3


@pytest.mark.postgres
def test_a_host_held_elsewhere_gives_skipped_runs(pg: tuple[str, Engine], tmp_path: Path) -> None:
    url, engine = pg
    sources = ("move", "stadtundwerk")
    with Mirror() as mirror:
        catalog = tmp_path / "kn-sources.toml"
        catalog.write_text(only_sources(sources))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KN_")},
            "KN_DATABASE_URL": url,
            "KN_DATA_DIR": str(tmp_path),
            "KN_SOURCES_FILE": str(catalog),
            "KN_NODE": "node-b",
            **{f"KN_BASE_URL_{s.upper()}": mirror.base_urls[s] for s in sources},
        }
        holder = PgHostOwnership(engine, "node-a")  # another batch crawls 127.0.0.1 now
        try:
            assert holder.acquire(["127.0.0.1"]) == (["127.0.0.1"], [])
            out = subprocess.run(
                [sys.executable, "-m", "kn_crawl", "worker", "--once"],
                env=env, cwd=REPO, capture_output=True, text=True, timeout=180,
            )  # fmt: skip
        finally:
            holder.release()
        assert out.returncode == 0, out.stderr[-3000:]
        assert "Traceback" not in out.stderr, out.stderr[-3000:]
        assert not mirror.requests  # nothing fetched
    with engine.connect() as conn:
        runs = conn.execute(
            text(
                "SELECT s.name, r.status, r.finish_reason, r.host, r.started_at = r.finished_at "
                "AS instant, s.next_due_at > now() AS later FROM crawl_runs r "
                "JOIN sources s ON s.id = r.source_id ORDER BY s.name"
            )
        ).all()
    assert [tuple(r) for r in runs] == [
        (name, "skipped", "host_busy", "node-b", True, True) for name in sources
    ]


def test_worker_refuses_sqlite_in_one_line(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KN_")},
        "KN_DATABASE_URL": f"sqlite:///{tmp_path / 'kn.sqlite3'}",
    }
    out = subprocess.run(
        [sys.executable, "-m", "kn_crawl", "worker"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    assert out.stderr == (
        "kn-crawl: error: the cluster needs PostgreSQL "
        "(KN_DATABASE_URL=postgresql+psycopg://…); on one machine use `kn-crawl schedule`\n"
    )
    assert not (tmp_path / "kn.sqlite3").exists()


@pytest.mark.postgres
def test_a_dead_workers_batch_job_is_marked_failed_not_retried(
    pg: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = pg
    monkeypatch.setenv("KN_DATABASE_URL", url)
    with engine.begin() as conn:
        dead = conn.execute(
            text(
                "INSERT INTO procrastinate_workers (last_heartbeat) "
                "VALUES (now() - interval '10 minutes') RETURNING id"
            )
        ).scalar_one()
        alive = conn.execute(
            text("INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")
        ).scalar_one()
        jobs = [
            conn.execute(
                text(
                    "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, "
                    "worker_id) VALUES ('crawl', 'kn_crawl.crawl_batch', '{}', 'doing', :w) "
                    "RETURNING id"
                ),
                {"w": worker},
            ).scalar_one()
            for worker in (dead, alive)
        ]
    result = run_tick(url)
    assert result["stalled_jobs"] == [jobs[0]]
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(
                text("SELECT id, status FROM procrastinate_jobs WHERE id = ANY(:ids)"),
                {"ids": jobs},
            ).all()
        )
        retried = conn.execute(
            text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")
        ).scalar_one()
    assert statuses == {jobs[0]: "failed", jobs[1]: "doing"}
    assert retried == 0


@pytest.mark.postgres
def test_a_tick_claims_less_while_batches_wait(pg: tuple[str, Engine]) -> None:
    from kn_crawl.cluster.tick import claim_limit

    url, engine = pg
    settings = Settings.from_env(
        {"KN_DATABASE_URL": url, "KN_BATCH_SIZE": "2", "KN_BATCH_PROCESSES": "1"}
    )
    assert claim_limit(engine, settings) == 4 * 2  # one node, four batches ahead
    with engine.begin() as conn:
        for n in range(3):
            conn.execute(
                text(
                    "INSERT INTO procrastinate_jobs (queue_name, task_name, args, queueing_lock) "
                    "VALUES ('crawl', 'kn_crawl.crawl_batch', '{}', :lock)"
                ),
                {"lock": f"hosts:h{n}"},
            )
        # Two nodes alive (each runs a tick and a crawl worker).
        conn.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES"))
        conn.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES"))
        conn.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES"))
        conn.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES"))
    assert claim_limit(engine, settings) == (2 * 4 - 3) * 2


@pytest.mark.postgres
def test_a_job_ended_after_the_tick_failed_it_is_one_log_line(
    pg: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker frozen past the lease (SIGSTOP) wakes up and records its batch job's end; the
    tick has marked that job failed meanwhile, so the queue refuses. One warning line, not
    asyncio's "Task exception was never retrieved" traceback."""
    import gc
    import logging

    from procrastinate.jobs import Status

    from kn_crawl.cluster.worker import _quiet_lost_jobs

    url, engine = pg
    monkeypatch.setenv("KN_DATABASE_URL", url)
    with engine.begin() as conn:
        frozen = conn.execute(
            text(
                "INSERT INTO procrastinate_workers (last_heartbeat) "
                "VALUES (now() - interval '10 minutes') RETURNING id"
            )
        ).scalar_one()
        job_id = conn.execute(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, "
                "worker_id) VALUES ('crawl', 'kn_crawl.crawl_batch', '{}', 'doing', :w) "
                "RETURNING id"
            ),
            {"w": frozen},
        ).scalar_one()
    assert run_tick(url)["stalled_jobs"] == [job_id]
    settings = Settings.from_env({"KN_DATABASE_URL": url})

    async def wake_up() -> None:
        asyncio.get_running_loop().set_exception_handler(_quiet_lost_jobs)
        app = make_app(settings, tick=False)
        async with app.open_async():
            (job,) = await app.job_manager.list_jobs_async(id=job_id)
            # As procrastinate's worker does: the end is recorded in a task nobody awaits.
            ending = asyncio.ensure_future(
                app.job_manager.finish_job(job, status=Status.SUCCEEDED, delete_job=False)
            )
            await asyncio.wait({ending})
            del ending
            gc.collect()  # the unretrieved exception is reported when the task is collected

    caplog.clear()
    caplog.set_level(logging.WARNING)
    asyncio.run(wake_up())
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "kn_crawl.cluster.worker",
            "WARNING",
            "a batch job ended after the tick had failed it (its worker stopped beating); "
            "its end is not recorded in the queue, its runs are",
        )
    ]
    with engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
        ).scalar_one()
    assert status == "failed"
