"""The cluster tests' invariant checks, checked themselves: on a real crawl of the fleet into
PostgreSQL (all hold), and on runs written by hand where each must find exactly the fault."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, text

from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import CrawlRun, Source, table_of
from kn_crawl.mirror.fleet import Fleet
from tests.cluster import invariants

pytestmark = [pytest.mark.cluster, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def engine(cluster_db: str) -> Iterator[Engine]:
    eng = make_engine(cluster_db)
    upgrade(eng)
    yield eng
    eng.dispose()


def test_all_hold_after_a_crawl_and_each_finds_its_fault(cluster_db: str, tmp_path: Path) -> None:
    # One source per address: today's crawl process limits requests per source, not per host.
    with Fleet(sources=4, per_address=1, articles=3, delay=0.01) as fleet:
        catalog = fleet.write_catalog(tmp_path / "kn-sources.toml")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")} | {
            "KN_DATABASE_URL": cluster_db,
            "KN_DATA_DIR": str(tmp_path),
            "KN_SOURCES_FILE": str(catalog),
            "KN_AUTOTHROTTLE_START_DELAY": "0",
        }
        out = subprocess.run(
            [sys.executable, "-m", "kn_crawl", "crawl", "--no-hooks"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        engine = make_engine(cluster_db)
        try:
            assert invariants.check_all(engine, fleet, concurrency=2) == {}
            assert invariants.unfinished_jobs(engine) == 0
            before = invariants.snapshot(engine)
            assert invariants.snapshot_diff(before, invariants.snapshot(engine)) == {}

            lost = sorted(fleet.ground_truth()["fleet0002"])[0]
            moved = sorted(fleet.ground_truth()["fleet0003"])[1]
            with engine.begin() as conn:
                gone = conn.execute(
                    text("SELECT id FROM articles WHERE url = :u"), {"u": lost}
                ).scalar_one()
                for table in ("article_tags", "article_urls", "article_revisions"):
                    conn.execute(text(f"DELETE FROM {table} WHERE article_id = :a"), {"a": gone})
                conn.execute(text("DELETE FROM articles WHERE id = :a"), {"a": gone})
                conn.execute(
                    text("UPDATE articles SET url = :new WHERE url = :old"),
                    {"new": moved + "?copy", "old": moved},
                )
                conn.execute(
                    text(
                        "UPDATE crawl_runs SET status = 'running' "
                        "WHERE id = (SELECT min(id) FROM crawl_runs)"
                    )
                )
            assert invariants.ground_truth_diff(engine, fleet) == {
                "fleet0002": {"missing": [lost]},
                "fleet0003": {"missing": [moved], "extra": [moved + "?copy"]},
            }
            assert [r["source"] for r in invariants.running_runs(engine)] == ["fleet0001"]
            diff = invariants.snapshot_diff(before, invariants.snapshot(engine))
            assert sorted(diff) == ["article_tags", "article_urls", "articles", "crawl_runs"]
            assert len(diff["crawl_runs"]["new"]) == len(diff["crawl_runs"]["gone"]) == 1
        finally:
            engine.dispose()


def _sources(engine: Engine) -> dict[str, int]:
    """a1, a2 on host a; b1 on host b."""
    ids = {}
    with engine.begin() as conn:
        for name, host in (("a1", "a"), ("a2", "a"), ("b1", "b")):
            ids[name] = conn.execute(
                insert(table_of(Source))
                .values(name=name, family="generic", title=name, base_url=f"http://{host}/",
                        host=host)
                .returning(table_of(Source).c.id)
            ).scalar_one()  # fmt: skip
    return ids


# (source, start, end or None, status, batch)
Run = tuple[str, float, float | None, str, str | None]


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        # One after the other on one source, one host: fine.
        ([("a1", 0, 10, "ok", "j1"), ("a1", 10, 20, "ok", "j2")], []),
        # Two runs of one source at once: twice crawled, even within one batch.
        ([("a1", 0, 10, "ok", "j1"), ("a1", 5, 20, "ok", "j1")], [(1, 2)]),
        # Two sources of one host side by side in ONE batch: one process holds the host.
        ([("a1", 0, 10, "ok", "j1"), ("a2", 1, 9, "ok", "j1")], []),
        # ... in two batches: the host crawled by two processes at once.
        ([("a1", 0, 10, "ok", "j1"), ("a2", 1, 9, "ok", "j2")], [(1, 2)]),
        ([("a1", 0, 10, "ok", None), ("a2", 1, 9, "ok", None)], [(1, 2)]),
        # A skipped run fetched nothing.
        ([("a1", 0, 10, "ok", "j1"), ("a2", 5, 5, "skipped", "j2")], []),
        # Other hosts never collide.
        ([("a1", 0, 10, "ok", "j1"), ("b1", 0, 10, "ok", "j2")], []),
        # A run still running is alive for ever; a dead run failed by the reaper ends then.
        ([("a1", 0, None, "running", "j1"), ("a2", 100, 110, "ok", "j2")], [(1, 2)]),
        ([("a1", 0, 30, "failed", "j1"), ("a1", 31, 40, "ok", "j2"),
          ("a2", 29, 35, "ok", "j3")], [(1, 3), (2, 3)]),
    ],
)  # fmt: skip
def test_overlapping_runs(engine: Engine, runs: list[Run], expected: list[tuple[int, int]]) -> None:
    ids = _sources(engine)
    run_ids = []
    with engine.begin() as conn:
        for source, start, end, status, batch in runs:
            run_ids.append(
                conn.execute(
                    insert(table_of(CrawlRun))
                    .values(source_id=ids[source], started_at=at(start),
                            finished_at=None if end is None else at(end), status=status,
                            batch=batch)
                    .returning(table_of(CrawlRun).c.id)
                ).scalar_one()
            )  # fmt: skip
    found = [(r["run1"], r["run2"]) for r in invariants.overlapping_runs(engine)]
    assert found == [(run_ids[i - 1], run_ids[j - 1]) for i, j in expected]


def test_late_reaps(engine: Engine) -> None:
    ids = _sources(engine)
    rows = [
        # heartbeat, finished, status, reason
        (0, 12, "failed", "stale"),  # within lease 10 + tick 2
        (0, 14, "failed", "stale"),  # within lease + tick + slack 2
        (0, 15, "failed", "stale"),  # too late
        (0, 5, "ok", None),  # finished on its own: not reaped
        (0, None, "running", None),  # never reaped
    ]
    run_ids = []
    with engine.begin() as conn:
        for beat, end, status, reason in rows:
            run_ids.append(
                conn.execute(
                    insert(table_of(CrawlRun))
                    .values(source_id=ids["a1"], started_at=at(-1), heartbeat_at=at(beat),
                            finished_at=None if end is None else at(end), status=status,
                            finish_reason=reason)
                    .returning(table_of(CrawlRun).c.id)
                ).scalar_one()
            )  # fmt: skip
    late = invariants.late_reaps(engine, run_ids, lease=10, tick=2, slack=2)
    assert [r["id"] for r in late] == run_ids[2:]
    assert invariants.late_reaps(engine, [], lease=10, tick=2, slack=2) == []
    assert invariants.runs_of_node(engine, "nowhere") == []
