"""Crawl health per source, from the recorded runs: is it collecting, since when not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from kn_crawl.db.models import CrawlRun, Source
from kn_crawl.db.runs import NOT_CRAWLED

# Runs looked at per source: enough to see a streak of failures.
RECENT_RUNS = 10


@dataclass(frozen=True, slots=True)
class Health:
    source: str
    state: str
    """``ok`` (last run fine), ``warning`` (last run failed once), ``failing`` (several in a
    row), ``unknown`` (never crawled)."""
    last_ok_at: datetime | None
    failures_in_a_row: int
    recent: list[str]
    """Statuses of the recent runs, newest first."""


def source_health(conn: Connection) -> dict[str, Health]:
    result: dict[str, Health] = {}
    for source_id, name in conn.execute(select(Source.id, Source.name).order_by(Source.name)):
        runs = conn.execute(
            select(CrawlRun.status, CrawlRun.started_at)
            .where(CrawlRun.source_id == source_id, CrawlRun.status.not_in(NOT_CRAWLED))
            .order_by(CrawlRun.id.desc())
            .limit(RECENT_RUNS)
        ).all()
        statuses = [r[0] for r in runs]
        streak = 0
        for status in statuses:
            if status == "ok":
                break
            streak += 1
        last_ok = next((r[1] for r in runs if r[0] == "ok"), None)
        if not statuses:
            state = "unknown"
        elif streak == 0:
            state = "ok"
        else:
            state = "warning" if streak == 1 else "failing"
        result[name] = Health(name, state, last_ok, streak, statuses)
    return result
