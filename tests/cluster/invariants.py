"""What must hold after every cluster fault (issue 12, "Done when"), as small functions that
return what is wrong (an empty list or dict when all is well), so a failing test names the
runs, sources and URLs at fault:

- nothing lost, nothing duplicated: the stored articles are the fleet's ground truth;
- no run left ``running``;
- no source crawled twice at once, and no web host crawled by two batches at once (a self-join
  on ``crawl_runs`` joined to ``sources.host``; ``skipped`` runs fetched nothing);
- never more than the per-site concurrency in flight per host (the fleet's request log);
- a dead run is failed within lease + one tick of its last heartbeat;
- a frozen node writes nothing after its lease (a snapshot of the crawl's tables before it
  resumes, compared after).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, text

from kn_crawl.mirror.fleet import Fleet, max_in_flight

CRAWL_TABLES = (
    "crawl_runs",
    "articles",
    "article_urls",
    "article_tags",
    "article_revisions",
    "dropped_items",
    "http_validators",
    "backfill_state",
)
"""Every table a crawl writes (the fence's domain). Not ``sources`` (ticks claim there), not
the hooks' tables (health, alerts) and not ``robots_cache`` (shared, not a run's)."""


def stored_urls(engine: Engine) -> dict[str, list[str]]:
    """Article URLs per source name, as stored (a URL twice would show twice)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.name, a.url FROM articles a JOIN sources s ON s.id = a.source_id "
                "ORDER BY s.name, a.url"
            )
        ).all()
    result: dict[str, list[str]] = {}
    for name, url in rows:
        result.setdefault(name, []).append(url)
    return result


def ground_truth_diff(engine: Engine, fleet: Fleet) -> dict[str, dict[str, list[str]]]:
    """Per source whose stored articles differ from the fleet's ground truth: ``missing``,
    ``extra`` and ``duplicate`` URLs."""
    stored = stored_urls(engine)
    diff: dict[str, dict[str, list[str]]] = {}
    for name, expected in fleet.ground_truth().items():
        got = stored.pop(name, [])
        problems = {
            "missing": sorted(expected - set(got)),
            "extra": sorted(set(got) - expected),
            "duplicate": sorted({u for u in got if got.count(u) > 1}),
        }
        if any(problems.values()):
            diff[name] = {k: v for k, v in problems.items() if v}
    for name, got in stored.items():
        diff[name] = {"extra": got}  # articles of a source the fleet does not have
    return diff


def running_runs(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.id, s.name AS source, r.host AS node, r.batch, r.started_at, "
                "r.heartbeat_at FROM crawl_runs r JOIN sources s ON s.id = r.source_id "
                "WHERE r.status = 'running' ORDER BY r.id"
            )
        ).all()
    return [dict(r._mapping) for r in rows]


_OVERLAP = """
SELECT r1.id AS run1, r2.id AS run2, s1.name AS source1, s2.name AS source2,
       s1.host AS host, r1.batch AS batch1, r2.batch AS batch2,
       r1.host AS node1, r2.host AS node2
FROM crawl_runs r1
JOIN sources s1 ON s1.id = r1.source_id
JOIN crawl_runs r2 ON r2.id > r1.id
JOIN sources s2 ON s2.id = r2.source_id
WHERE r1.status <> 'skipped' AND r2.status <> 'skipped'
  AND r1.started_at < COALESCE(r2.finished_at, :forever)
  AND r2.started_at < COALESCE(r1.finished_at, :forever)
  AND (
    r1.source_id = r2.source_id
    OR (s1.host = s2.host AND (r1.batch IS NULL OR r2.batch IS NULL OR r1.batch <> r2.batch))
  )
ORDER BY r1.id, r2.id
"""


def overlapping_runs(engine: Engine) -> list[dict[str, Any]]:
    """Pairs of runs that were alive at the same time and must not have been: two runs of one
    source, or two runs of one web host in different batches (a batch crawls the sources of a
    host side by side, in one process holding the host). A run still ``running`` counts as
    alive for ever."""
    with engine.connect() as conn:
        rows = conn.execute(text(_OVERLAP), {"forever": datetime(9999, 1, 1)}).all()
    return [dict(r._mapping) for r in rows]


def over_concurrency(fleet: Fleet, limit: int) -> dict[str, dict[str, Any]]:
    """Addresses (web hosts) that had more than ``limit`` requests in flight at once: their
    peak and the requests in flight then (source and path), to tell who sent them."""
    requests = fleet.requests
    found: dict[str, dict[str, Any]] = {}
    for address, peak in max_in_flight(requests).items():
        if peak <= limit:
            continue
        mine = [r for r in requests if r.address == address]
        # The peak is reached at some request's start: the one most others overlap.
        moment = max(
            (r.start for r in mine), key=lambda t: sum(1 for q in mine if q.start <= t < q.end)
        )
        found[address] = {
            "peak": peak,
            "in_flight": sorted(f"{q.source} {q.path}" for q in mine if q.start <= moment < q.end),
        }
    return found


def late_reaps(
    engine: Engine, run_ids: Iterable[int], *, lease: float, tick: float, slack: float
) -> list[dict[str, Any]]:
    """Dead runs not failed as ``stale`` within ``lease + tick (+ slack)`` of their last
    heartbeat (database clock on both sides), or not failed at all. ``slack`` is the tick
    job's own start-up (the worker's polling), not part of the protocol."""
    ids = sorted(set(run_ids))
    if not ids:
        return []
    bound = timedelta(seconds=lease + tick + slack)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, status, finish_reason, heartbeat_at, finished_at FROM crawl_runs "
                "WHERE id IN :ids ORDER BY id"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": ids},
        ).all()
    late = []
    for r in rows:
        ok = (
            r.status == "failed"
            and r.finish_reason == "stale"
            and r.heartbeat_at is not None
            and r.finished_at is not None
            and r.finished_at - r.heartbeat_at <= bound
        )
        if not ok:
            late.append(dict(r._mapping) | {"bound": bound})
    return late


def runs_of_node(engine: Engine, node: str, *, status: str | None = None) -> list[int]:
    """Run ids recorded by one node (``crawl_runs.host``), optionally of one status."""
    query = "SELECT id FROM crawl_runs WHERE host = :node"
    if status is not None:
        query += " AND status = :status"
    with engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(text(query + " ORDER BY id"), {"node": node, "status": status})
        ]


def snapshot(engine: Engine, tables: Sequence[str] = CRAWL_TABLES) -> dict[str, list[tuple]]:
    """Every row of the crawl's tables, in a stable order: compare two snapshots to prove
    that nobody wrote in between."""
    result: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for table in tables:
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            result[table] = sorted((tuple(map(repr, r)) for r in rows), key=repr)
    return result


def snapshot_diff(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict:
    """Per table the rows that appeared and disappeared (a changed row is both)."""
    diff: dict[str, dict[str, list[tuple]]] = {}
    for table in before.keys() | after.keys():
        old, new = set(before.get(table, [])), set(after.get(table, []))
        if old != new:
            diff[table] = {"gone": sorted(old - new), "new": sorted(new - old)}
    return diff


def unfinished_jobs(engine: Engine) -> int:
    """procrastinate jobs of the crawl queue still to do or doing (0 without the queue)."""
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
        if exists is None:
            return 0
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM procrastinate_jobs "
                    "WHERE queue_name = 'crawl' AND status IN ('todo', 'doing')"
                )
            ).scalar_one()
        )


def check_all(engine: Engine, fleet: Fleet, *, concurrency: int) -> dict[str, Any]:
    """The invariants every fault test ends with; ``{}`` when all hold."""
    problems: dict[str, Any] = {
        "ground_truth": ground_truth_diff(engine, fleet),
        "running": running_runs(engine),
        "overlapping": overlapping_runs(engine),
        "over_concurrency": over_concurrency(fleet, concurrency),
    }
    return {k: v for k, v in problems.items() if v}
