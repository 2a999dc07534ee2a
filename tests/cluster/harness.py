"""Nodes of a test cluster: ``kn-crawl worker`` processes, each in a session (and so a process
group) of its own, so a test can kill, freeze and thaw a whole node — the worker, its batch
processes and their page workers — with one signal; and the cluster around them: one
PostgreSQL database, the fleet's catalogue, the shared settings (short lease and tick)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from kn_crawl.db.engine import make_engine
from kn_crawl.mirror.fleet import Fleet
from tests.cluster import invariants
from tests.cluster.pg import RestartablePostgres

REPO = Path(__file__).resolve().parents[2]
POLL = 0.2


def group_pids(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class Node:
    """One ``kn-crawl worker`` (``KN_NODE=name``) in its own process group."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)
    ended_by_test: bool = False

    @property
    def pgid(self) -> int:
        return self.proc.pid

    def pids(self) -> list[int]:
        return group_pids(self.pgid)

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signum)

    def kill(self) -> None:
        """kill -9 of the whole node: worker, batch processes, page workers."""
        self.ended_by_test = True
        self.signal_group(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def freeze(self) -> None:
        self.signal_group(signal.SIGSTOP)

    def thaw(self) -> None:
        self.signal_group(signal.SIGCONT)

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM to the worker (it stops its batches with their grace); SIGKILL of the
        group if it has not exited within ``timeout``."""
        self.ended_by_test = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.proc.wait(timeout=30)
        self.signal_group(signal.SIGKILL)  # anything the worker left behind
        return self.proc.returncode

    def batch_pids(self) -> list[int]:
        """The node's crawling processes: every descendant of its forkserver (the batch
        processes forked from it and their page workers), not the worker itself, not the
        forkserver and not multiprocessing's resource tracker."""
        pids = self.pids()
        servers = {p for p in pids if parent_of(p) == self.pgid and "forkserver" in cmdline(p)}
        found: set[int] = set()
        for pid in pids:
            up = parent_of(pid)
            while up is not None and up not in servers and up != self.pgid and up > 1:
                up = parent_of(up)
            if up in servers:
                found.add(pid)
        return sorted(found)

    def output(self, tail: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-tail:]
        except OSError:
            return ""


class Cluster:
    """One database, one fleet, N nodes. Settings shared by every node: ``KN_LEASE``,
    ``KN_TICK``, ``KN_BATCH_SIZE``, ``KN_BATCH_PROCESSES``, ``KN_CONCURRENT_PER_SITE``."""

    def __init__(
        self,
        pg: RestartablePostgres,
        db_url: str,
        fleet: Fleet,
        root: Path,
        *,
        lease: float = 10,
        tick: float = 2,
        batch_size: int = 6,
        batch_processes: int = 1,
        concurrency: int = 2,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.pg = pg
        self.db_url = db_url
        self.fleet = fleet
        self.root = root
        self.lease = lease
        self.tick = tick
        self.concurrency = concurrency
        # Every source's next run is far beyond the test: a source crawled twice is a fault,
        # never its schedule.
        self.catalog = fleet.write_catalog(root / "kn-sources.toml", schedule="6h")
        self.settings = {
            "KN_DATABASE_URL": db_url,
            "KN_DATA_DIR": str(root),
            "KN_SOURCES_FILE": str(self.catalog),
            "KN_LEASE": f"{lease:g}",
            "KN_TICK": f"{tick:g}",
            "KN_BATCH_SIZE": str(batch_size),
            "KN_BATCH_PROCESSES": str(batch_processes),
            "KN_CONCURRENT_PER_SITE": str(concurrency),
            "KN_AUTOTHROTTLE_START_DELAY": "0",
            "KN_DOWNLOAD_TIMEOUT": "10",
            "KN_SCHEDULE_JITTER": "0s",
            # Every article its own transaction: a crawl hit in the middle has stored some
            # articles and not others, and every store passes the fence on its own.
            "KN_STORE_BATCH_SIZE": "1",
            **(extra_env or {}),
        }
        self.nodes: dict[str, Node] = {}
        self.engine: Engine = make_engine(db_url)
        # The operator's first step (README "Running a cluster"); workers upgrade too, but the
        # checks read the tables from the first moment on.
        self.kn("db", "upgrade")

    def env(self, node: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
        return base | self.settings | {"KN_NODE": node}

    def kn(self, *args: str, node: str = "test", timeout: float = 120) -> str:
        """A ``kn-crawl`` command with the cluster's settings; its output (must exit 0)."""
        out = subprocess.run(
            [sys.executable, "-m", "kn_crawl", *args],
            env=self.env(node),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert out.returncode == 0, f"kn-crawl {' '.join(args)}: {out.stdout}{out.stderr}"
        return out.stdout

    def start(self, name: str, *args: str) -> Node:
        log = self.root / f"worker-{name}.log"
        handle = open(log, "ab")  # noqa: SIM115 - the child writes it; closed with the node
        proc = subprocess.Popen(
            [sys.executable, "-m", "kn_crawl", "worker", *args],
            env=self.env(name),
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        node = Node(name, proc, log)
        self.nodes[name] = node
        return node

    def start_many(self, count: int) -> list[Node]:
        return [self.start(f"n{i}") for i in range(1, count + 1)]

    def restart_postgres(self) -> None:
        """``pg_ctl restart -m fast`` under the nodes; the test's own pooled connections died
        with the server, so the pool starts afresh."""
        self.pg.restart()
        self.engine.dispose()

    # -- waiting ---------------------------------------------------------------------------

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 120) -> Any:
        """Poll ``check`` until it returns something true; fail naming ``what`` with the
        nodes' logs when ``timeout`` passes first."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout:g} s waiting for {what}\n" + self.logs()
                )
            for node in self.nodes.values():
                if node.proc.poll() is not None and not node.ended_by_test:
                    raise AssertionError(
                        f"worker {node.name} exited ({node.proc.returncode}) while waiting "
                        f"for {what}\n" + self.logs()
                    )
            time.sleep(POLL)

    def settled(self) -> bool:
        """Every fleet article stored, no run running and no crawl job left to do."""
        return (
            not invariants.ground_truth_diff(self.engine, self.fleet)
            and not invariants.running_runs(self.engine)
            and invariants.unfinished_jobs(self.engine) == 0
        )

    def wait_settled(self, timeout: float = 180) -> None:
        try:
            self.wait_for("every fleet article stored and no run running", self.settled, timeout)
        except AssertionError as exc:
            raise AssertionError(f"{self.state()}\n{exc}") from None

    def state(self) -> str:
        """Where the cluster stands: what is missing, what runs, runs by status and reason,
        crawl jobs left, and the drops by reason (a failed store shows here)."""
        with self.engine.connect() as conn:
            runs = conn.execute(
                text(
                    "SELECT status, finish_reason, count(*) FROM crawl_runs "
                    "GROUP BY status, finish_reason ORDER BY 1, 2"
                )
            ).all()
            drops = conn.execute(
                text("SELECT reason, count(*) FROM dropped_items GROUP BY reason ORDER BY 1")
            ).all()
        return (
            f"missing/extra: {invariants.ground_truth_diff(self.engine, self.fleet)}\n"
            f"running: {invariants.running_runs(self.engine)}\n"
            f"runs: {[tuple(r) for r in runs]}\n"
            f"crawl jobs to do: {invariants.unfinished_jobs(self.engine)}\n"
            f"drops: {[tuple(d) for d in drops]}"
        )

    def running_on(self, node: str) -> list[dict[str, Any]]:
        return [r for r in invariants.running_runs(self.engine) if r["node"] == node]

    def articles_stored(self) -> int:
        return sum(len(v) for v in invariants.stored_urls(self.engine).values())

    # -- the end ---------------------------------------------------------------------------

    def check(self, **more: Any) -> None:
        """Every invariant (and ``more`` checks' findings, e.g. ``late_reaps=[…]``) holds."""
        problems = invariants.check_all(self.engine, self.fleet, concurrency=self.concurrency)
        problems |= {k: v for k, v in more.items() if v}
        assert problems == {}, f"{problems}\n{self.logs()}"

    def logs(self) -> str:
        return "".join(
            f"\n--- worker {n.name} (exit {n.proc.poll()}) ---\n{n.output()}"
            for n in self.nodes.values()
        )

    def close(self) -> None:
        for node in self.nodes.values():
            node.ended_by_test = True
            node.thaw()  # a frozen node cannot even die of SIGTERM
            node.signal_group(signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                node.proc.wait(timeout=30)
        self.engine.dispose()
