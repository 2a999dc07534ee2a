"""Crawl runs and dropped items: the record of what each crawl did and what it could not use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from kn_crawl.db.models import CrawlRun, DroppedItem, table_of

runs_t = table_of(CrawlRun)
dropped_t = table_of(DroppedItem)

RUN_STATUSES = ("running", "ok", "failed", "timeout", "interrupted")


@dataclass(frozen=True, slots=True)
class Drop:
    url: str
    stage: str
    reason: str
    detail: str | None = None


def start_run(
    conn: Connection, *, source_id: int, base_url: str, now: datetime, pid: int | None
) -> int:
    return int(
        conn.execute(
            runs_t.insert()
            .values(
                source_id=source_id,
                base_url=base_url,
                started_at=now,
                status="running",
                pid=pid,
                pages=0,
                requests=0,
                bytes=0,
                not_modified=0,
                articles_new=0,
                articles_updated=0,
                articles_unchanged=0,
                dropped=0,
                errors=0,
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
) -> None:
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    conn.execute(
        update(runs_t)
        .where(runs_t.c.id == run_id)
        .values(
            status=status, finish_reason=finish_reason, finished_at=now, stats=dict(stats), **counts
        )
    )


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
                "created_at": now,
            }
            for d in drops
        ],
    )


def fail_run_of_process(conn: Connection, pid: int, reason: str, now: datetime) -> int | None:
    """The run a process left "running" when it died, marked failed; its id (None if that
    process had not started a run yet)."""
    run_id = conn.execute(
        select(runs_t.c.id)
        .where(runs_t.c.pid == pid, runs_t.c.status == "running")
        .order_by(runs_t.c.id.desc())
    ).scalar()
    if run_id is not None:
        conn.execute(
            update(runs_t)
            .where(runs_t.c.id == run_id)
            .values(status="failed", finish_reason=reason, finished_at=now)
        )
    return run_id
