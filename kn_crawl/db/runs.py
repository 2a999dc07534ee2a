"""Crawl runs and dropped items: the record of what each crawl did and what it could not use."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.engine import Connection

from kn_crawl.db.models import CrawlRun, DroppedItem, Source, table_of

runs_t = table_of(CrawlRun)
sources_t = table_of(Source)
dropped_t = table_of(DroppedItem)

logger = logging.getLogger(__name__)

RUN_STATUSES = ("running", "ok", "failed", "timeout", "interrupted", "skipped")
NOT_CRAWLED = ("running", "skipped")
"""Statuses of runs that say nothing (yet) of their source: still running, or skipped (its
host was busy; nothing fetched). Health, the last run, retries and rests ignore them."""

# A live crawl renews its run's heartbeat this often on SQLite (a Twisted LoopingCall in the
# recorder); on PostgreSQL every KN_LEASE / 4 (kn_crawl.cluster.lease).
HEARTBEAT_EVERY = timedelta(seconds=30)
# A run whose heartbeat is older than this is stale on any host (SQLite): 20 missed beats. A
# crawl's reactor blocked that long (a SQLite lock held for minutes, a frozen VM) is not
# working either. On PostgreSQL, the cluster's database, KN_LEASE is the limit instead.
STALE_AFTER = timedelta(minutes=10)
STALE_REASON = "stale"


def this_host() -> str:
    """This machine's name in ``crawl_runs.host``: ``KN_NODE``, else the host name."""
    node = os.environ.get("KN_NODE", "").strip()
    if node and node.isprintable():
        return node[:255]
    return socket.gethostname()[:255]


def stale_after_for(engine: Engine, lease_s: float) -> timedelta:
    """How long a silent run may live: the lease on PostgreSQL (heartbeats every lease/4 by
    the database clock), ``STALE_AFTER`` on SQLite (one machine; a lock may stall a crawl)."""
    if engine.dialect.name == "postgresql":
        return timedelta(seconds=lease_s)
    return STALE_AFTER


def database_now(conn: Connection, fallback: datetime) -> datetime:
    """The database's clock on PostgreSQL (every node judges heartbeats by the same clock,
    whatever its own says); ``fallback`` on SQLite, whose clock is this machine's anyway."""
    if conn.dialect.name != "postgresql":
        return fallback
    value: datetime = conn.execute(select(func.now())).scalar_one()
    return value


@dataclass(frozen=True, slots=True)
class Drop:
    url: str
    stage: str
    reason: str
    detail: str | None = None
    note: bool = False


# A run's counters before it has done anything (a run just started, a skipped run).
ZERO_COUNTS = dict.fromkeys(
    (
        "pages",
        "requests",
        "bytes",
        "not_modified",
        "articles_new",
        "articles_updated",
        "articles_unchanged",
        "dropped",
        "errors",
    ),
    0,
)


def start_run(
    conn: Connection,
    *,
    source_id: int,
    base_url: str,
    now: datetime,
    pid: int | None,
    host: str | None = None,
    batch: str | None = None,
    lease: float | None = None,
) -> int:
    # Host and heartbeat only for a run a live process will keep beating for (the run
    # recorder); a run recorded without a host is judged by its pid, as before. ``lease``:
    # the beating process's own limit of silence, by which every reader judges the run.
    beating: dict[str, Any] = {"host": host, "heartbeat_at": now} if host is not None else {}
    if host is not None and lease is not None:
        beating["lease"] = lease
    return int(
        conn.execute(
            runs_t.insert()
            .values(
                source_id=source_id,
                base_url=base_url,
                started_at=now,
                status="running",
                pid=pid,
                **ZERO_COUNTS,
                batch=batch,
                **beating,
            )
            .returning(runs_t.c.id)
        ).scalar_one()
    )


def finish_run(
    conn: Connection,
    run_id: int,
    *,
    status: str,
    finish_reason: str,
    counts: Mapping[str, int],
    stats: Mapping[str, Any],
    now: datetime,
) -> bool:
    """Close a run that is still ``running``; False (nothing written) for a run another
    process closed already (the reaper failed it as ``stale``)."""
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    result = conn.execute(
        update(runs_t)
        .where(runs_t.c.id == run_id, runs_t.c.status == "running")
        .values(
            status=status, finish_reason=finish_reason, finished_at=now, stats=dict(stats), **counts
        )
    )
    return bool(result.rowcount)


def record_drops(
    conn: Connection,
    drops: Sequence[Drop],
    *,
    run_id: int | None,
    source_id: int | None,
    now: datetime,
) -> None:
    if not drops:
        return
    conn.execute(
        dropped_t.insert(),
        [
            {
                "run_id": run_id,
                "source_id": source_id,
                "url": d.url[:1000],
                "stage": d.stage,
                "reason": d.reason[:64],
                "detail": d.detail,
                "note": d.note,
                "created_at": now,
            }
            for d in drops
        ],
    )


def finalize_runs(
    engine: Engine, pid: int, *, since: datetime, status: str, reason: str, now: datetime
) -> tuple[int, ...]:
    """Give the child's runs a final status where the child could not; returns their ids."""
    with engine.begin() as conn:
        # Pids are reused: only runs of this pid started since the child was.
        rows = conn.execute(
            select(runs_t.c.id, runs_t.c.status)
            .where(runs_t.c.pid == pid, runs_t.c.started_at >= since)
            .order_by(runs_t.c.id)
        ).all()
        ids = tuple(r.id for r in rows)
        open_ids = [r.id for r in rows if r.status == "running"]
        if open_ids:
            conn.execute(
                update(runs_t)
                .where(runs_t.c.id.in_(open_ids))
                .values(status=status, finish_reason=reason, finished_at=now)
            )
    return ids


def finalize_batch(
    engine: Engine, batch: str, *, status: str, reason: str, now: datetime
) -> tuple[int, ...]:
    """Give a batch's runs that are still ``running`` a final status (its process ended,
    was stopped or killed without closing them); returns the ids of all its runs. By batch
    id, not pid: a batch's runs share it whatever process recorded them."""
    with engine.begin() as conn:
        rows = conn.execute(
            select(runs_t.c.id, runs_t.c.status)
            .where(runs_t.c.batch == batch)
            .order_by(runs_t.c.id)
        ).all()
        open_ids = [r.id for r in rows if r.status == "running"]
        if open_ids:
            conn.execute(
                update(runs_t)
                .where(runs_t.c.id.in_(open_ids), runs_t.c.status == "running")
                .values(status=status, finish_reason=reason, finished_at=now)
            )
    return tuple(r.id for r in rows)


BUSY_REASON = "host_busy"
"""The finish reason of a ``skipped`` run: another run held its web host."""


def record_skipped(
    conn: Connection,
    *,
    source_id: int,
    base_url: str,
    now: datetime,
    host: str | None,
    batch: str | None,
) -> int:
    """A ``skipped`` run (``host_busy``): nothing fetched, started and finished ``now``."""
    return int(
        conn.execute(
            runs_t.insert()
            .values(
                source_id=source_id,
                base_url=base_url,
                started_at=now,
                finished_at=now,
                status="skipped",
                finish_reason=BUSY_REASON,
                pid=os.getpid(),
                host=host,
                batch=batch,
                **ZERO_COUNTS,
            )
            .returning(runs_t.c.id)
        ).scalar_one()
    )


def beat(conn: Connection, run_id: int, *, now: datetime) -> bool:
    """Renew a running run's heartbeat (PostgreSQL: by the database's clock, which every node
    judges it by); False when the run is no longer ``running`` (the reaper failed it)."""
    stamp: Any = func.now() if conn.dialect.name == "postgresql" else now
    result = conn.execute(
        update(runs_t)
        .where(runs_t.c.id == run_id, runs_t.c.status == "running")
        .values(heartbeat_at=stamp)
    )
    return bool(result.rowcount)


# --- runs left "running" by a dead process ---------------------------------------------------


def process_started_at(pid: int) -> datetime | None:
    """When process ``pid`` of this host started (Linux ``/proc``); None if there is no such
    process or the system does not say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        btime = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    # The command name (field 2) may hold spaces and parentheses: count from its end.
    fields = stat.rpartition(")")[2].split()
    ticks = int(fields[19])  # field 22, starttime, in clock ticks since boot
    return datetime.fromtimestamp(btime + ticks / os.sysconf("SC_CLK_TCK"), UTC)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Liveness:
    """What this host knows of a run's process: alive, and since when (if it can tell)."""

    alive: bool
    started_at: datetime | None = None


def local_liveness(pid: int) -> Liveness:
    if not pid_alive(pid):
        return Liveness(False)
    return Liveness(True, process_started_at(pid))


# The start of a process and the start time recorded for its run differ by the time to open
# the spider; a process that started later than the run by more than this is another one.
PID_REUSE_SLACK = timedelta(seconds=5)


def is_stale(
    *,
    status: str,
    host: str | None,
    pid: int | None,
    started_at: datetime,
    heartbeat_at: datetime | None,
    now: datetime,
    here: str,
    liveness: Callable[[int], Liveness] = local_liveness,
    stale_after: timedelta = STALE_AFTER,
    lease: float | None = None,
) -> bool:
    """Whether a run is left ``running`` by a process that is gone.

    On its own host: its pid is gone, or belongs to a process started after the run (a
    reused pid). On any host: its heartbeat (or, before the first beat, its start) is older
    than its own ``lease`` (seconds, written by the process that beats for it), or, for a run
    recorded before runs kept their lease, than ``stale_after``: never the reader's lease,
    which may be shorter than the writer's. A run without a host (recorded before hosts were)
    is judged by its pid on this host, as before.
    """
    if status != "running":
        return False
    if lease is not None and lease > 0:
        stale_after = timedelta(seconds=lease)
    if host is not None:
        # Runs recorded before hosts were never beat: only their pid can tell.
        if now - (heartbeat_at or started_at) > stale_after:
            return True
        if host != here:
            return False
    if pid is None:
        return True  # nothing that could still be running it
    process = liveness(pid)
    if not process.alive:
        return True
    return process.started_at is not None and process.started_at > started_at + PID_REUSE_SLACK


def run_is_stale(run: Any, *, now: datetime, here: str | None = None) -> bool:
    """``is_stale`` of a ``crawl_runs`` row."""
    return is_stale(
        status=run.status,
        host=run.host,
        pid=run.pid,
        started_at=run.started_at,
        heartbeat_at=run.heartbeat_at,
        now=now,
        here=here or this_host(),
        lease=getattr(run, "lease", None),
    )


def shown_status(run: Any, *, now: datetime, here: str | None = None) -> str:
    """A run's status for display: ``stale`` for a ``running`` run whose process is gone."""
    return "stale" if run_is_stale(run, now=now, here=here) else str(run.status)


def close_stale_runs(
    engine: Engine,
    *,
    now: datetime,
    here: str | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> tuple[int, ...]:
    """Mark runs left ``running`` by a dead process (killed, crashed, power loss) ``failed``
    with finish_reason ``stale``, and make their sources due now; returns their ids.

    Each run is judged by its own lease (``crawl_runs.lease``, written by its process);
    ``stale_after`` only for older runs without one. On PostgreSQL heartbeats are judged by
    the database's clock (``now`` is replaced by it): the nodes of a cluster need not agree
    on the time."""
    host = here or this_host()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # A run row locked by a frozen crawl transaction must not hold up every command:
            # give up after a while (the cluster's reaper ends such transactions).
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
        now = database_now(conn, now)
        rows = conn.execute(
            select(
                runs_t.c.id,
                runs_t.c.status,
                runs_t.c.host,
                runs_t.c.pid,
                runs_t.c.started_at,
                runs_t.c.heartbeat_at,
                runs_t.c.lease,
            ).where(runs_t.c.status == "running")
        ).all()
        stale = [
            r.id
            for r in rows
            if is_stale(
                status=r.status,
                host=r.host,
                pid=r.pid,
                started_at=r.started_at,
                heartbeat_at=r.heartbeat_at,
                now=now,
                here=host,
                stale_after=stale_after,
                lease=r.lease,
            )
        ]
        if stale:
            closed = conn.execute(
                update(runs_t)
                .where(runs_t.c.id.in_(stale), runs_t.c.status == "running")
                .values(status="failed", finish_reason=STALE_REASON, finished_at=now)
                .returning(runs_t.c.id, runs_t.c.source_id)
            ).all()
            stale = [r.id for r in closed]
            # Due again at once: the next tick (or the scheduler) runs them again.
            conn.execute(
                update(sources_t)
                .where(sources_t.c.id.in_({r.source_id for r in closed}))
                .values(next_due_at=now)
            )
    if stale:
        logger.warning(
            "marked %d crawl runs left running by dead processes as failed (stale): %s",
            len(stale),
            ", ".join(map(str, stale)),
        )
    return tuple(stale)
