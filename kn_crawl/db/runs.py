"""Crawl runs and dropped items: the record of what each crawl did and what it could not use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
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
