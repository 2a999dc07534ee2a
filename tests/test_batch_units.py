"""Batch planning, due times and the due/claim queries: pure functions with tables, and the
queries on a real SQLite database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from kn_crawl.batch.due import claim, due_sources, next_due
from kn_crawl.batch.ownership import LocalOwnership, ownership_for
from kn_crawl.batch.plan import Batch, DueSource, host_of, plan_batches
from kn_crawl.catalog.sync import EffectiveSchedule, sync_catalog
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import SchemaBehind, downgrade, require_current, upgrade
from kn_crawl.db.models import CrawlRun, Source, table_of
from kn_crawl.db.runs import start_run
from kn_crawl.settings import ConfigError, Settings

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday 11:00 in Berlin


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://www.kommune21.de/", "www.kommune21.de"),
        ("http://127.0.0.2:8021/news/", "127.0.0.2"),
        ("HTTPS://Example.ORG.:443/x", "example.org"),
        ("https://user:pw@example.org/", "example.org"),
        ("not a url", ""),
        ("http://[::1]:80/", "::1"),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host


@pytest.mark.parametrize(
    ("due", "size", "batches"),
    [
        ([], 3, []),
        (
            [("a", "h1"), ("b", "h2"), ("c", "h3")],
            2,
            [(("a", "b"), ("h1", "h2")), (("c",), ("h3",))],
        ),
        # All sources of one host go together, even past the size.
        ([("a", "h1"), ("b", "h1"), ("c", "h1")], 2, [(("a", "b", "c"), ("h1",))]),
        # A host that does not fit closes the batch before it.
        ([("a", "h1"), ("b", "h2"), ("c", "h2")], 2, [(("a",), ("h1",)), (("b", "c"), ("h2",))]),
        ([("a", "h2"), ("b", "h1"), ("c", "h2")], 5, [(("a", "c", "b"), ("h1", "h2"))]),
        ([("a", "h1"), ("a", "h1")], 5, [(("a",), ("h1",))]),
    ],
)
def test_plan_batches(
    due: list[tuple[str, str]], size: int, batches: list[tuple[tuple[str, ...], tuple[str, ...]]]
) -> None:
    planned = plan_batches([DueSource(n, h) for n, h in due], size)
    assert [(b.sources, b.hosts) for b in planned] == batches


def test_batch_key_names_its_hosts() -> None:
    assert Batch(("a", "b"), ("h1", "h2")).key == "hosts:h1,h2"


@pytest.mark.parametrize(
    ("schedule", "jitter", "rand", "expected"),
    [
        (None, 0.0, 0.5, T0 + timedelta(minutes=45)),
        ("30m", 0.0, 0.9, T0 + timedelta(minutes=30)),
        ("1800s", 300.0, 0.5, T0 + timedelta(minutes=32, seconds=30)),
        ("1h30m", 300.0, 1.0, T0 + timedelta(minutes=95)),
        # The jitter is at most half the interval.
        ("2m", 300.0, 1.0, T0 + timedelta(minutes=3)),
        # Cron in Berlin time (UTC+1 in March): every day at 06:00 → 05:00 UTC tomorrow.
        ("cron:0 6 * * *", 300.0, 1.0, datetime(2026, 3, 3, 5, 0, tzinfo=UTC)),
        ("cron:*/15 * * * *", 0.0, 0.0, T0 + timedelta(minutes=15)),
    ],
)
def test_next_due(schedule: str | None, jitter: float, rand: float, expected: datetime) -> None:
    got = next_due(schedule, default_interval=2700.0, jitter=jitter, after=T0, rand=lambda: rand)
    assert got == expected


def test_next_due_refuses_a_bad_schedule() -> None:
    with pytest.raises(ConfigError, match="not a duration"):
        next_due("sometimes", default_interval=60.0, jitter=0.0, after=T0)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'kn.sqlite3'}")
    upgrade(engine)
    return engine


def _source(engine: Engine, name: str, host: str, next_due_at: datetime | None) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                table_of(Source)
                .insert()
                .values(
                    name=name,
                    family="generic",
                    title=name,
                    base_url=f"https://{host}/",
                    enabled=True,
                    host=host,
                    next_due_at=next_due_at,
                    created_at=T0,
                )
                .returning(Source.id)
            ).scalar_one()
        )


def test_due_sources_and_claim(engine: Engine) -> None:
    _source(engine, "never", "a.de", None)
    _source(engine, "overdue", "b.de", T0 - timedelta(hours=1))
    _source(engine, "just", "c.de", T0)
    _source(engine, "later", "d.de", T0 + timedelta(seconds=1))
    busy = _source(engine, "busy", "e.de", None)
    off = _source(engine, "off", "f.de", None)
    with engine.begin() as conn:
        conn.execute(update(table_of(Source)).where(Source.id == off).values(enabled=False))
        start_run(conn, source_id=busy, base_url="https://e.de/", now=T0, pid=1)
        due = due_sources(conn, T0, 10)
        assert due == [
            DueSource("never", "a.de"),
            DueSource("overdue", "b.de"),
            DueSource("just", "c.de"),
        ]
        assert due_sources(conn, T0, 1) == [DueSource("never", "a.de")]
        assert due_sources(conn, T0, 10, names=["just", "later"]) == [DueSource("just", "c.de")]
        claim(conn, ["never", "overdue"], "node-1", T0, hold=120.0)
        assert due_sources(conn, T0, 10) == [DueSource("just", "c.de")]
        rows = conn.execute(
            select(Source.name, Source.claimed_at, Source.claimed_by, Source.next_due_at)
            .where(Source.name.in_(["never", "overdue"]))
            .order_by(Source.name)
        ).all()
    hold = T0 + timedelta(seconds=120)
    assert [tuple(r) for r in rows] == [
        ("never", T0, "node-1", hold),
        ("overdue", T0, "node-1", hold),
    ]
    assert [r.status for r in _runs(engine)] == ["running"]


def _runs(engine: Engine) -> list[CrawlRun]:
    with engine.connect() as conn:
        return list(conn.execute(select(table_of(CrawlRun))).all())  # type: ignore[arg-type]


def test_local_ownership_owns_every_host(engine: Engine) -> None:
    ownership = ownership_for(engine, Settings.from_env({}))
    assert isinstance(ownership, LocalOwnership)
    assert ownership.acquire(["b.de", "a.de", "b.de"]) == (["b.de", "a.de"], [])
    ownership.release()
    assert ownership.acquire(["b.de"]) == (["b.de"], [])


def test_sync_writes_schedule_and_host(engine: Engine) -> None:
    from kn_crawl.catalog.load import BUNDLED_FILE, load_files

    catalog = load_files((BUNDLED_FILE,))
    schedules = {
        "kommune21": EffectiveSchedule("1800s"),
        "move": EffectiveSchedule("cron:0 6 * * *"),
        "stadtundwerk": EffectiveSchedule("2700s", enabled=False),
    }
    with engine.begin() as conn:
        sync_catalog(conn, catalog, schedules)
        rows = {
            r.name: r
            for r in conn.execute(
                select(
                    Source.name,
                    Source.schedule,
                    Source.host,
                    Source.enabled,
                    Source.disabled_reason,
                    Source.next_due_at,
                )
            ).all()
        }
    assert (rows["kommune21"].schedule, rows["kommune21"].host) == ("1800s", "www.kommune21.de")
    assert rows["move"].schedule == "cron:0 6 * * *"
    assert (rows["stadtundwerk"].enabled, rows["stadtundwerk"].disabled_reason) == (
        False,
        "schedule: off",
    )
    # New sources are due now.
    assert {r.next_due_at for r in rows.values()} == {None}


def test_a_database_behind_the_code_is_refused_in_one_line(engine: Engine) -> None:
    require_current(engine)  # at head: nothing to say
    downgrade(engine, "-1")
    with pytest.raises(SchemaBehind) as caught:
        require_current(engine)
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith("run `kn-crawl db upgrade` first")


def test_skipped_runs_are_neither_failures_nor_the_last_run(engine: Engine) -> None:
    from kn_crawl.db.runs import finish_run, record_skipped
    from kn_crawl.health import check_runs
    from kn_crawl.queries import source_rows
    from kn_crawl.search.sources import source_health

    source = _source(engine, "move", "move.de", None)
    with engine.begin() as conn:
        ok = start_run(conn, source_id=source, base_url="https://move.de/", now=T0, pid=1)
        finish_run(conn, ok, status="ok", finish_reason="finished", counts={}, stats={}, now=T0)
        skipped = [
            record_skipped(
                conn,
                source_id=source,
                base_url="https://move.de/",
                now=T0 + timedelta(minutes=i),
                host="node-2",
                batch=f"b{i}",
            )
            for i in (1, 2, 3)
        ]
        assert check_runs(conn, tuple(skipped), now=T0 + timedelta(minutes=4)) == {}
        rows = conn.execute(
            select(
                CrawlRun.status, CrawlRun.finish_reason, CrawlRun.started_at, CrawlRun.finished_at
            ).where(CrawlRun.id == skipped[0])
        ).one()
        assert tuple(rows) == (
            "skipped",
            "host_busy",
            T0 + timedelta(minutes=1),
            T0 + timedelta(minutes=1),
        )
        health = source_health(conn)["move"]
        row = source_rows(conn)["move"]
    assert health.recent == ["ok"]
    assert (row.last_status, row.last_run_at) == ("ok", T0)
