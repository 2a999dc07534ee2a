"""The fence: a crawl writes only while its run is still ``running``.

In a cluster a crawl process can lose its run without knowing it: frozen (SIGSTOP, a
paused VM) or cut off from the database for longer than the lease, it is failed by another
node (``stale``), its hosts are taken by another batch, and then it wakes up. Every write
transaction of a crawl (articles, URL aliases, drops, conditional validators, archive state,
the run's own close) therefore first reads its run's status *inside the same transaction*;
on PostgreSQL ``FOR SHARE``, so the reaper's ``UPDATE`` of that row waits for the
transaction to end, and a transaction that started after the reaper committed sees the
failed run. A fenced transaction writes nothing, and the crawl closes with reason
``lease_lost`` (the run keeps the status the reaper gave it).

SQLite has one writer at a time (``BEGIN IMMEDIATE``): the plain read is as good.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from kn_crawl.db.models import CrawlRun, table_of

runs_t = table_of(CrawlRun)

LEASE_LOST = "lease_lost"
"""The finish reason of a crawl whose run was taken from it (fenced writes, an expired
lease): Scrapy's close reason, and the run's ``finish_reason`` where it still could be set."""


class RunFenced(Exception):
    """The run is no longer ``running``: the transaction must write nothing."""

    def __init__(self, run_id: int, status: str | None) -> None:
        super().__init__(f"crawl run {run_id} is {status or 'gone'}, not running: lease lost")
        self.run_id = run_id
        self.status = status


def run_status(conn: Connection, run_id: int) -> str | None:
    """The run's status as this transaction sees it (locked against change on PostgreSQL)."""
    query = select(runs_t.c.status).where(runs_t.c.id == run_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(read=True)  # FOR SHARE
    status: str | None = conn.execute(query).scalar_one_or_none()
    return status


def fence(conn: Connection, run_id: int | None) -> None:
    """Raise :class:`RunFenced` unless run ``run_id`` is still ``running``; call it first in a
    crawl's write transaction. ``None``: a write outside any run (tests, tools): no fence."""
    if run_id is None:
        return
    status = run_status(conn, run_id)
    if status != "running":
        raise RunFenced(run_id, status)
