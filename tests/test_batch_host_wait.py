"""A source whose web host is being crawled by another source's run waits for the host,
unclaimed and in its place, instead of being dispatched to be skipped (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from kn_crawl.batch.due import claim, due_sources, set_next_due
from kn_crawl.batch.plan import DueSource, plan_batches
from kn_crawl.db.models import CrawlRun, Source, table_of
from kn_crawl.db.runs import finish_run, start_run

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
sources_t = table_of(Source)


def _source(engine: Engine, name: str, host: str, next_due_at: datetime) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                sources_t.insert()
                .values(
                    name=name,
                    family="generic",
                    title=name,
                    base_url=f"https://{host}/{name}/",
                    enabled=True,
                    host=host,
                    next_due_at=next_due_at,
                    created_at=T0,
                )
                .returning(sources_t.c.id)
            ).scalar_one()
        )


def _tick(engine: Engine, now: datetime) -> list[DueSource]:
    """What a tick does with the due sources: select them, claim them (held a lease)."""
    with engine.begin() as conn:
        due = due_sources(conn, now, 100)
        claim(conn, [d.name for d in due], "node-1", now, hold=120.0)
    return due


def test_a_source_waits_for_its_busy_host_and_keeps_its_place(engine: Engine) -> None:
    minute = timedelta(minutes=1)
    ids = {
        "a": _source(engine, "a", "h.de", T0),
        "b": _source(engine, "b", "h.de", T0 + minute),
        "c": _source(engine, "c", "h.de", T0 + 2 * minute),
        "x": _source(engine, "x", "other.de", T0 + minute),
    }
    assert _tick(engine, T0) == [DueSource("a", "h.de")]
    with engine.begin() as conn:
        run = start_run(
            conn, source_id=ids["a"], base_url="https://h.de/a/", now=T0, pid=1, host="node-1"
        )
    # b is due, but its host is being crawled (a's run): not claimed, not moved; x, on another
    # host, goes.
    assert _tick(engine, T0 + 90 * timedelta(seconds=1)) == [DueSource("x", "other.de")]
    assert _tick(engine, T0 + 150 * timedelta(seconds=1)) == []
    with engine.connect() as conn:
        waiting = dict(
            conn.execute(
                select(sources_t.c.name, sources_t.c.next_due_at).where(
                    sources_t.c.name.in_(["b", "c"])
                )
            ).all()
        )
        claimed = conn.execute(
            select(sources_t.c.claimed_by).where(sources_t.c.name.in_(["b", "c"]))
        ).all()
    assert waiting == {"b": T0 + minute, "c": T0 + 2 * minute}
    assert [r.claimed_by for r in claimed] == [None, None]
    end = T0 + 170 * timedelta(seconds=1)
    with engine.begin() as conn:
        assert finish_run(
            conn, run, status="ok", finish_reason="finished", counts={}, stats={}, now=end
        )
        set_next_due(conn, ids["a"], end + timedelta(hours=1))
    # The host is free: the one due first goes first, with the other of its host in its batch.
    due = _tick(engine, T0 + 180 * timedelta(seconds=1))
    assert due == [DueSource("b", "h.de"), DueSource("c", "h.de")]
    assert [b.sources for b in plan_batches(due, 25)] == [("b", "c")]
    with engine.connect() as conn:
        statuses = conn.execute(select(table_of(CrawlRun).c.status)).scalars().all()
    assert statuses == ["ok"]
