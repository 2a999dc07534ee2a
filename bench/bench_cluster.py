"""Cluster benchmark: what a refresh costs on one node, and what 2 and 3 nodes add.

    .venv/bin/python bench/bench_cluster.py [--sources 1000] [--baseline 5]
        [--throughput-sources 200] [--delay 0.05] [--rounds 3] [--skip-a] [--skip-b]

Everything on a throw-away PostgreSQL (initdb in a temporary folder, loopback; the cluster
tests' helper) and the fleet mirror (:mod:`kn_crawl.mirror.fleet`, 25 sources per loopback
address, each address one web host).

(a) One node, ``--sources`` unchanged sources: a first crawl of all (``kn-crawl schedule
    --once``), then every source made due again and refreshed by ``kn-crawl schedule --once``
    (one tick: batches of KN_BATCH_SIZE, KN_BATCH_PROCESSES at a time). CPU per refresh = user
    + sys of the whole process tree (every batch process and page worker; this script is their
    subreaper, so nothing escapes the count) / sources, and the round's wall time. Baseline in
    the same run: ``--baseline`` sources refreshed the old way, one ``kn-crawl crawl SOURCE``
    process each. Target: ≤ 0.1 s per refresh (the old way: ~2.4 s).
(b) Throughput: ``--throughput-sources`` sources with ``--delay`` seconds per answer; N
    ``kn-crawl worker`` processes (N = 1, 2, 3, alternating, ``--rounds`` times each, each
    worker one batch at a time) refresh every source; sources per second and its ratio to one
    worker (median of the rounds).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # the cluster tests' PostgreSQL helper

from sqlalchemy import Engine, text  # noqa: E402

from kn_crawl.db.engine import make_engine  # noqa: E402
from kn_crawl.mirror.fleet import Fleet  # noqa: E402
from tests.cluster.pg import RestartablePostgres, pg_bindir  # noqa: E402

PER_ADDRESS = 25
PR_SET_CHILD_SUBREAPER = 36


@dataclass
class Measured:
    wall: float
    cpu: float
    output: str


def become_subreaper() -> None:
    """Orphans of our children (a forkserver whose worker exited, a batch process) are
    re-parented to us instead of init, so we reap them and their CPU time is counted."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reap_group(pgid: int) -> None:
    """Wait for every process left in a process group (re-parented to us)."""
    while True:
        try:
            os.waitpid(-pgid, 0)
        except ChildProcessError:
            return


def run(args: list[str], env: dict[str, str], log: Path) -> Measured:
    """``kn-crawl ARGS`` to its end and the end of everything it started; wall and CPU."""
    cpu = cpu_of_children()
    started = time.perf_counter()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kn_crawl", *args],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        code = proc.wait()
    reap_group(proc.pid)
    wall = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"kn-crawl {' '.join(args)} exited {code}; see {log}")
    return Measured(wall, cpu_of_children() - cpu, "")


def make_due(engine: Engine) -> float:
    """Every source due now; returns the database's clock (epoch seconds) at that moment."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE sources SET next_due_at = NULL, claimed_at = NULL, claimed_by = NULL")
        )
        return float(conn.execute(text("SELECT extract(epoch FROM now())")).scalar_one())


def refreshed_since(engine: Engine, since: float) -> tuple[int, dict[str, int]]:
    """Enabled sources with a finished (not skipped) run started after ``since``, and those
    runs by status."""
    with engine.connect() as conn:
        done = conn.execute(
            text(
                "SELECT count(DISTINCT r.source_id) FROM crawl_runs r JOIN sources s "
                "ON s.id = r.source_id WHERE s.enabled AND r.status NOT IN ('running', "
                "'skipped') AND extract(epoch FROM r.started_at) >= :t"
            ),
            {"t": since},
        ).scalar_one()
        by_status = dict(
            conn.execute(
                text(
                    "SELECT status, count(*) FROM crawl_runs "
                    "WHERE extract(epoch FROM started_at) >= :t GROUP BY status"
                ),
                {"t": since},
            ).all()
        )
    return int(done), by_status


def environment(db_url: str, catalog: Path, root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    return env | {
        "KN_DATABASE_URL": db_url,
        "KN_DATA_DIR": str(root),
        "KN_SOURCES_FILE": str(catalog),
        "KN_AUTOTHROTTLE_START_DELAY": "0",
        "KN_LOG_LEVEL": "WARNING",
        "KN_SCHEDULE_JITTER": "0s",
        **extra,
    }


def one_node(pg: RestartablePostgres, root: Path, sources: int, baseline: int) -> None:
    db_url = pg.create_database("bench_one_node")
    engine = make_engine(db_url)
    log = root / "one-node.log"
    with Fleet(sources=sources, per_address=PER_ADDRESS, articles=3, delay=0) as fleet:
        catalog = fleet.write_catalog(root / "one-node.toml", schedule="6h")
        # Two batch processes at once: this machine's two cores.
        env = environment(db_url, catalog, root, KN_BATCH_PROCESSES="2")
        run(["db", "upgrade"], env, log)
        first = run(["schedule", "--once"], env, log)
        since = make_due(engine)
        fleet.clear_requests()
        refresh = run(["schedule", "--once"], env, log)
        done, by_status = refreshed_since(engine, since)
        requests = fleet.requests
        not_modified = sum(1 for r in requests if r.status == 304)
        robots = sum(1 for r in requests if r.path == "/robots.txt")
        # The old way: one process per source, on sources the round just refreshed.
        make_due(engine)
        old = [run(["crawl", name, "--no-hooks"], env, log) for name in fleet.names[:baseline]]
    engine.dispose()
    per_old = statistics.median(m.cpu for m in old)
    per_new = refresh.cpu / sources
    print(f"\n(a) one node, {sources} unchanged sources ({sources // PER_ADDRESS} web hosts)")
    print(f"first crawl (schedule --once): wall {first.wall:.1f} s, CPU {first.cpu:.1f} s")
    print(
        f"refresh round: {done}/{sources} sources refreshed ({by_status}), "
        f"{len(requests)} requests ({not_modified} answered 304, {robots} robots.txt)"
    )
    print(f"refresh round: wall {refresh.wall:.1f} s, CPU {refresh.cpu:.1f} s")
    print(f"CPU per refresh, batched:  {per_new:.3f} s (target <= 0.1 s)")
    print(
        f"CPU per refresh, old way:  {per_old:.3f} s (median of {len(old)} "
        f"`kn-crawl crawl SOURCE` processes; wall {statistics.median(m.wall for m in old):.1f} s)"
    )
    print(f"batched / old way: {per_new / per_old:.1%}")


def throughput(
    pg: RestartablePostgres, root: Path, sources: int, delay: float, rounds: int
) -> None:
    db_url = pg.create_database("bench_throughput")
    engine = make_engine(db_url)
    log = root / "throughput.log"
    settings = {"KN_TICK": "1", "KN_LEASE": "60", "KN_BATCH_PROCESSES": "1"}
    results: dict[int, list[float]] = {1: [], 2: [], 3: []}
    with Fleet(sources=sources, per_address=PER_ADDRESS, articles=3, delay=delay) as fleet:
        catalog = fleet.write_catalog(root / "throughput.toml", schedule="6h")
        env = environment(db_url, catalog, root, **settings)
        run(["db", "upgrade"], env, log)
        # A first crawl, so every round refreshes unchanged sources.
        run(["schedule", "--once"], env, log)
        for _round in range(rounds):
            for workers in (1, 2, 3):
                procs = []
                with open(log, "ab") as out:
                    for i in range(workers):
                        procs.append(
                            subprocess.Popen(
                                [sys.executable, "-m", "kn_crawl", "worker"],
                                env=env | {"KN_NODE": f"bench{i + 1}"},
                                cwd=REPO,
                                stdout=out,
                                stderr=subprocess.STDOUT,
                                start_new_session=True,
                            )
                        )
                time.sleep(5)  # the workers' start-up (migrations checked, catalogue synced)
                since = make_due(engine)
                started = time.perf_counter()
                while refreshed_since(engine, since)[0] < sources:
                    if any(p.poll() is not None for p in procs):
                        raise SystemExit(f"a worker exited; see {log}")
                    time.sleep(0.1)
                seconds = time.perf_counter() - started
                results[workers].append(sources / seconds)
                for p in procs:
                    p.send_signal(signal.SIGTERM)
                for p in procs:
                    try:
                        p.wait(timeout=60)
                    except subprocess.TimeoutExpired:
                        os.killpg(p.pid, signal.SIGKILL)
                        p.wait()
                    reap_group(p.pid)
                print(
                    f"  round {_round + 1}, {workers} worker(s): {sources / seconds:.1f} sources/s"
                )
    engine.dispose()
    one = statistics.median(results[1])
    print(f"\n(b) throughput, {sources} unchanged sources, {delay * 1000:.0f} ms per answer")
    for workers in (1, 2, 3):
        median = statistics.median(results[workers])
        print(f"{workers} worker(s): {median:.1f} sources/s, ratio to 1: {median / one:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=5)
    parser.add_argument("--throughput-sources", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-a", action="store_true")
    parser.add_argument("--skip-b", action="store_true")
    args = parser.parse_args()
    bindir = pg_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL binaries (initdb, pg_ctl) not installed")
    with tempfile.TemporaryDirectory(prefix="kn-bench-cluster-") as tmp:
        root = Path(tmp)
        # Not under the temporary folder: PostgreSQL runs as its own user, which may not enter it.
        pg = RestartablePostgres(bindir, Path(f"/tmp/kn-bench-pg-{os.getpid()}"))
        shutil.rmtree(pg.root, ignore_errors=True)
        pg.start()
        # After the server started: its processes belong to pg_ctl, not to us.
        become_subreaper()
        try:
            if not args.skip_a:
                one_node(pg, root, args.sources, args.baseline)
            if not args.skip_b:
                throughput(pg, root, args.throughput_sources, args.delay, args.rounds)
        finally:
            pg.stop()
            shutil.rmtree(pg.root, ignore_errors=True)


if __name__ == "__main__":
    main()
