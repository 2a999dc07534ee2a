"""The cluster under faults (issue 12, "Done when"): one PostgreSQL, the fleet on several
loopback addresses with a per-request delay, 1, 2 and 3 ``kn-crawl worker`` processes. Each
test ends with the same invariants (:mod:`tests.cluster.invariants`): the stored articles are
the fleet's ground truth, unique by URL; no run left ``running``; no two runs of one source,
nor of one web host in different batches, alive at once; never more requests in flight per
host than the per-site concurrency; and a dead node's runs failed within lease + one tick.

Lease 10 s (the smallest KN_LEASE takes) and tick 2 s keep each fault test well under a
minute. ``SLACK`` is what a tick job itself may start late (the worker's polling for jobs):
the protocol's bound is lease + tick.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from kn_crawl.mirror.fleet import Fleet
from tests.cluster import invariants
from tests.cluster.harness import REPO, Cluster
from tests.cluster.pg import RestartablePostgres

pytestmark = [pytest.mark.cluster, pytest.mark.postgres]

LEASE = 10.0
TICK = 2.0
SLACK = 2.0
START_SLACK = 15.0
"""What a batch takes from its job's pick-up to its first run on a busy machine: up to 9 s
measured when the node's forkserver starts first (it preloads Scrapy and the spiders)."""
SLOW = 0.3
"""Seconds per answer while a fault is set up: a crawl is then slow enough to be hit in the
middle."""
FAST = 0.02
"""Seconds per answer otherwise (still I/O-bound)."""


@pytest.fixture
def make_cluster(
    cluster_pg: RestartablePostgres, cluster_db: str, tmp_path: Path
) -> Iterator[object]:
    made: list[tuple[Fleet, Cluster]] = []

    def make(sources: int = 12, per_address: int = 2, *, delay: float = FAST, **kw: Any) -> Cluster:
        fleet = Fleet(sources=sources, per_address=per_address, articles=5, delay=delay)
        fleet.start()
        kw.setdefault("batch_size", 4)  # two hosts a batch: three batches of the twelve sources
        cluster = Cluster(cluster_pg, cluster_db, fleet, tmp_path, lease=LEASE, tick=TICK, **kw)
        made.append((fleet, cluster))
        return cluster

    yield make
    for fleet, cluster in made:
        cluster.close()
        fleet.stop()


def mid_crawl(cluster: Cluster) -> str | None:
    """A node with a running run that has stored an article already: a crawl in the middle
    (whichever node the tick gave a batch first)."""
    with cluster.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT r.host FROM crawl_runs r JOIN articles a ON a.first_seen_run_id = r.id "
                "WHERE r.status = 'running' ORDER BY r.id LIMIT 1"
            )
        ).scalar()


def statuses(cluster: Cluster, run_ids: list[int]) -> dict[int, tuple[str, str | None]]:
    with cluster.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, status, finish_reason FROM crawl_runs WHERE id = ANY(:ids)"),
            {"ids": run_ids},
        ).all()
    return {r.id: (r.status, r.finish_reason) for r in rows}


# -- no fault: 1, 2 and 3 workers --------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_workers_crawl_every_source_once(make_cluster, workers: int) -> None:
    cluster: Cluster = make_cluster()
    cluster.start_many(workers)
    cluster.wait_settled()
    cluster.check()
    # No fault: every source crawled exactly once, every article page fetched once.
    with cluster.engine.connect() as conn:
        runs = conn.execute(
            text(
                "SELECT s.name, count(*) FROM crawl_runs r JOIN sources s ON s.id = r.source_id "
                "WHERE r.status <> 'skipped' GROUP BY s.name"
            )
        ).all()
        # A batch claimed again while its first job waited finds its hosts held: its runs
        # are recorded ``skipped`` (host_busy) and fetch nothing; no other status but ok.
        bad = conn.execute(
            text("SELECT count(*) FROM crawl_runs WHERE status NOT IN ('ok', 'skipped')")
        ).scalar()
    assert dict(runs) == dict.fromkeys(cluster.fleet.names, 1)
    assert bad == 0
    pages = [r.path for r in cluster.fleet.requests if r.status == 200 and r.source]
    articles = [p for p in pages if p.count("/") == 6]  # /fleetNNNN/YYYY/MM/DD/slug/
    expected = [urlsplit(u).path for urls in cluster.fleet.ground_truth().values() for u in urls]
    assert sorted(articles) == sorted(expected)


# -- kill -9 of a worker's whole process group mid-crawl ----------------------------------------


def test_kill_9_of_a_node_mid_crawl(make_cluster) -> None:
    cluster: Cluster = make_cluster(delay=SLOW)
    cluster.start_many(2)
    n1 = cluster.nodes[
        cluster.wait_for("a node in the middle of a crawl", lambda: mid_crawl(cluster))
    ]
    n1.kill()
    dead = [r["id"] for r in cluster.running_on(n1.name)]  # nobody else may end them now
    cluster.fleet.delay = FAST
    # The batch processes and page workers died with it.
    cluster.wait_for("the node's whole process group gone", lambda: n1.pids() == [], timeout=30)
    cluster.wait_settled()
    cluster.check(
        late_reaps=invariants.late_reaps(cluster.engine, dead, lease=LEASE, tick=TICK, slack=SLACK)
    )


# -- SIGSTOP a worker past its lease, then SIGCONT -----------------------------------------------


def test_frozen_node_writes_nothing_after_its_lease(make_cluster) -> None:
    cluster: Cluster = make_cluster(delay=SLOW)
    cluster.start_many(2)
    n1 = cluster.nodes[
        cluster.wait_for("a node in the middle of a crawl", lambda: mid_crawl(cluster))
    ]
    n1.freeze()
    frozen = [r["id"] for r in cluster.running_on(n1.name)]
    crawling = n1.batch_pids()
    assert frozen and crawling
    cluster.wait_for(
        "the frozen node's runs failed as stale",
        lambda: all(s == ("failed", "stale") for s in statuses(cluster, frozen).values()),
        timeout=LEASE + 4 * TICK + 30,
    )
    cluster.fleet.delay = FAST
    cluster.wait_settled()  # the other node crawled what n1 held
    before = invariants.snapshot(cluster.engine)
    served = len(cluster.fleet.requests)

    n1.thaw()
    # The frozen batch wakes up past its lease: it must stop on its own, without a request
    # and without a write.
    cluster.wait_for(
        "the frozen node's batch processes to end",
        lambda: not [p for p in crawling if p in n1.pids()],
        timeout=60,
    )
    time.sleep(TICK)  # let its worker finish the batch's bookkeeping, if it were to write
    cluster.check(
        requests_after_lease=cluster.fleet.requests[served:],
        writes_after_lease=invariants.snapshot_diff(before, invariants.snapshot(cluster.engine)),
        late_reaps=invariants.late_reaps(
            cluster.engine, frozen, lease=LEASE, tick=TICK, slack=SLACK
        ),
    )
    assert n1.proc.poll() is None  # the node itself lives on


# -- kill the node that ran the tick ------------------------------------------------------------


def test_kill_the_node_that_ran_the_tick(make_cluster) -> None:
    cluster: Cluster = make_cluster(delay=SLOW)
    cluster.start_many(3)

    def first_claim() -> list[tuple[str, str, object]]:
        with cluster.engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT name, claimed_by, claimed_at FROM sources "
                        "WHERE enabled AND claimed_by IS NOT NULL"
                    )
                ).all()
            )

    claims = cluster.wait_for("a tick to claim sources", first_claim)
    ticker = claims[0][1]
    cluster.nodes[ticker].kill()
    with cluster.engine.connect() as conn:
        killed_at = conn.execute(text("SELECT now()")).scalar_one()
        held = [
            r[0]
            for r in conn.execute(
                text("SELECT name FROM sources WHERE claimed_by = :n"), {"n": ticker}
            )
        ]
    dead = invariants.runs_of_node(cluster.engine, ticker, status="running")
    cluster.fleet.delay = FAST
    cluster.wait_settled(timeout=LEASE + 120)
    # What the dead tick had claimed (queued, or crawling on the dead node) is crawled by
    # the living nodes within lease + tick (+ a batch's start-up) of the death.
    with cluster.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.name, min(r.started_at) AS started FROM crawl_runs r "
                "JOIN sources s ON s.id = r.source_id WHERE r.status = 'ok' "
                "AND s.name = ANY(:names) GROUP BY s.name"
            ),
            {"names": held},
        ).all()
    started = {r.name: (r.started - killed_at).total_seconds() for r in rows}
    cluster.check(
        late_reaps=invariants.late_reaps(cluster.engine, dead, lease=LEASE, tick=TICK, slack=SLACK),
        never_crawled=sorted(set(held) - set(started)),
        late_recovery={n: t for n, t in started.items() if t > LEASE + TICK + START_SLACK},
    )


# -- two tick producers at once -------------------------------------------------------------------


def test_two_tick_producers_at_once(make_cluster) -> None:
    cluster: Cluster = make_cluster()
    subprocess.run(
        [sys.executable, "-m", "tests.cluster.tick_once", "--sync"],
        env=cluster.env("sync"), cwd=REPO, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    at = time.time() + 4  # both processes are up by then and tick at this same moment
    ticks = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.cluster.tick_once", str(at)],
            env=cluster.env(f"t{i}"),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in (1, 2)
    ]
    outputs = [t.communicate(timeout=120) for t in ticks]
    assert [t.returncode for t in ticks] == [0, 0], outputs
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    # Disjoint claims (SKIP LOCKED), every source in exactly one queued batch job.
    with cluster.engine.connect() as conn:
        jobs = conn.execute(
            text("SELECT args FROM procrastinate_jobs WHERE queue_name = 'crawl'")
        ).all()
        claimed = dict(
            conn.execute(text("SELECT name, claimed_by FROM sources WHERE enabled")).all()
        )
    queued = sorted(name for (args,) in jobs for name in args["sources"])
    assert queued == sorted(cluster.fleet.names)
    assert sum(len(r["batches"]) for r in results) == len(jobs)
    assert set(claimed.values()) <= {"t1", "t2"}
    assert None not in claimed.values()
    cluster.start_many(2)
    cluster.wait_settled()
    cluster.check()
    with cluster.engine.connect() as conn:
        runs = dict(
            conn.execute(
                text(
                    "SELECT s.name, count(*) FROM crawl_runs r JOIN sources s "
                    "ON s.id = r.source_id WHERE r.status <> 'skipped' GROUP BY s.name"
                )
            ).all()
        )
    assert runs == dict.fromkeys(cluster.fleet.names, 1)


# -- PostgreSQL restart during crawls -----------------------------------------------------------


def test_postgres_restart_during_crawls(make_cluster) -> None:
    cluster: Cluster = make_cluster(delay=SLOW)
    nodes = cluster.start_many(2)
    cluster.wait_for("crawls in the middle on some node", lambda: mid_crawl(cluster))
    cluster.restart_postgres()
    cluster.fleet.delay = FAST
    cluster.wait_settled(timeout=LEASE + 150)
    cluster.check()
    # The workers rode it out: reconnected and went on, no crash loop.
    assert [n.proc.poll() for n in nodes] == [None, None]
