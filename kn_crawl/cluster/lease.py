"""Leases: a crawl owns its run (and its web hosts) only while its heartbeat is fresh.

- The run recorder renews the run's heartbeat every lease/4 seconds, on PostgreSQL with the
  database's clock (``kn_crawl.db.runs.beat``), and each renewal that reached the database
  moves the crawl's own deadline (:class:`Lease`, on the *monotonic* clock).
- Once lease/2 has passed since the last renewal, the crawl stops by itself: the fenced
  download handler refuses every request before a byte is sent, and the spider closes with
  ``lease_lost``. A process frozen by SIGSTOP notices it on SIGCONT before its first request
  (the monotonic clock went on while it was stopped); one that cannot reach the database
  stops long before another node may take its hosts (after the full lease).
- Any node's reaper (:func:`reap_stale_runs`: the tick, a worker's start) fails a run whose
  heartbeat is older than the lease by the database's clock (``failed``/``stale``), makes its
  source due now, and terminates the PostgreSQL sessions that still hold that crawl
  process's host locks, so the hosts can be taken at once. What the woken process still
  tries to write is refused by the fence (``kn_crawl.cluster.fence``).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select, text

from kn_crawl.cluster.fence import LEASE_LOST
from kn_crawl.db.models import CrawlRun, table_of
from kn_crawl.db.runs import close_stale_runs, stale_after_for

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

runs_t = table_of(CrawlRun)

_ATTRIBUTE = "kn_lease"


class Lease:
    """A crawl's own view of its lease, on the monotonic clock (wall clocks jump)."""

    def __init__(self, seconds: float, *, clock: Any = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.renewed_at = clock()
        self.lost: str | None = None
        """Why the run was taken from this crawl; None while it holds it."""

    @property
    def beat_every(self) -> float:
        return self.seconds / 4

    def renewed(self) -> None:
        self.renewed_at = self.clock()

    def expired(self) -> bool:
        """Half the lease passed without a renewal: stop before another node may take over."""
        return self.lost is not None or self.clock() - self.renewed_at > self.seconds / 2


def attach_lease(crawler: Crawler, lease: Lease) -> None:
    setattr(crawler, _ATTRIBUTE, lease)


def lease_of(crawler: Crawler) -> Lease | None:
    lease: Lease | None = getattr(crawler, _ATTRIBUTE, None)
    return lease


def lose_lease(crawler: Crawler, why: str) -> None:
    """The run was taken from this crawl: request nothing more, close with ``lease_lost``."""
    lease = lease_of(crawler)
    if lease is not None:
        if lease.lost is not None:
            return
        lease.lost = why
    logger.error("lease lost, stopping the crawl: %s", why)
    stats = crawler.stats
    if stats is not None:
        stats.set_value("kn/lease_lost", why[:200])
    engine = crawler.engine
    if engine is None or engine.spider is None:
        return
    from scrapy.utils.defer import deferred_from_coro

    closing = deferred_from_coro(engine.close_spider_async(reason=LEASE_LOST))
    closing.addErrback(lambda failure: logger.debug("close: %s", failure.getErrorMessage()))


# --- the reaper -------------------------------------------------------------------------


def lock_holder_name(node: str, pid: int) -> str:
    """``application_name`` of a crawl process's host-lock session (PostgreSQL keeps 63
    bytes): how the reaper finds the session of a dead run's process."""
    suffix = f":{pid}"
    return f"kn-crawl hosts {node}"[: 63 - len(suffix)] + suffix


def end_frozen_writers(engine: Engine, lease_s: float) -> list[int]:
    """End the sessions of crawl transactions frozen mid-way (their process stopped while
    it held the fence's lock on its run): idle in a transaction that locks ``crawl_runs``
    for over half a lease. Without this the reaper's update of that run would wait for
    them for as long as the process stays frozen."""
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT a.pid, pg_terminate_backend(a.pid) FROM pg_stat_activity a "
                "WHERE a.state LIKE 'idle in transaction%' AND a.pid <> pg_backend_pid() "
                "AND a.state_change < now() - make_interval(secs => :half) "
                "AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.granted "
                "AND l.relation = 'crawl_runs'::regclass "
                # The fence's FOR SHARE, or a write: never a reader's plain SELECT.
                "AND l.mode IN ('RowShareLock', 'RowExclusiveLock'))"
            ),
            {"half": lease_s / 2},
        ).all()
    if rows:
        logger.warning("ended %d frozen crawl transactions", len(rows))
    return [r.pid for r in rows]


def reap_stale_runs(engine: Engine, lease_s: float, *, here: str | None = None) -> tuple[int, ...]:
    """Fail the runs whose heartbeat is older than the lease (database clock) or whose
    process is gone (on this node), make their sources due now, and end the PostgreSQL
    sessions that hold their processes' host locks; returns the runs' ids."""
    if engine.dialect.name == "postgresql":
        end_frozen_writers(engine, lease_s)
    stale = close_stale_runs(
        engine, now=datetime.now(UTC), here=here, stale_after=stale_after_for(engine, lease_s)
    )
    if not stale or engine.dialect.name != "postgresql":
        return stale
    with engine.begin() as conn:
        processes = conn.execute(
            select(runs_t.c.host, runs_t.c.pid)
            .where(runs_t.c.id.in_(stale), runs_t.c.host.is_not(None), runs_t.c.pid.is_not(None))
            .distinct()
        ).all()
        names = [lock_holder_name(p.host, p.pid) for p in processes]
        if not names:
            return stale
        # The runs of one crawl process share its lock session: once it is ended, none of
        # them owns its host any more.
        siblings = conn.execute(
            text(
                "UPDATE crawl_runs SET status = 'failed', finish_reason = 'stale', "
                "finished_at = now() WHERE status = 'running' "
                "AND (host, pid) IN (SELECT h, p FROM "
                "unnest(CAST(:hosts AS text[]), CAST(:pids AS integer[])) AS t(h, p)) "
                "RETURNING id, source_id"
            ),
            {"hosts": [p.host for p in processes], "pids": [p.pid for p in processes]},
        ).all()
        if siblings:
            conn.execute(
                text("UPDATE sources SET next_due_at = now() WHERE id = ANY(:ids)"),
                {"ids": [r.source_id for r in siblings]},
            )
        ended = conn.execute(
            text(
                "SELECT a.pid, pg_terminate_backend(a.pid) FROM pg_stat_activity a "
                "WHERE a.application_name = ANY(:names) AND a.pid <> pg_backend_pid()"
            ),
            {"names": names},
        ).all()
    if ended:
        logger.warning(
            "ended %d host-lock sessions of crawl processes whose runs went stale",
            len(ended),
        )
    return stale + tuple(r.id for r in siblings)
