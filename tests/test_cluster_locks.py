"""The cluster's guards on a real database: the fence of a crawl's writes, the advisory lock
per web host, the reaper (database clock, ending the lock holder's session), the tick's
claims with SKIP LOCKED, and the lease's monotonic deadline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, text, update

from kn_crawl.batch.plan import host_of
from kn_crawl.cluster.fence import RunFenced, fence
from kn_crawl.cluster.hosts import PgHostOwnership, host_key
from kn_crawl.cluster.lease import Lease, lock_holder_name, reap_stale_runs
from kn_crawl.cluster.tick import claim_due, release_claim
from kn_crawl.db.models import Article, CrawlRun, DroppedItem, Source, table_of
from kn_crawl.db.runs import Drop, beat, finish_run, record_drops, start_run
from kn_crawl.db.store import ArticleStore, ensure_source, save_batch
from tests.test_store import item

runs_t = table_of(CrawlRun)
sources_t = table_of(Source)


def source(engine: Engine, name: str = "move", base_url: str = "http://127.0.0.2:8022/") -> int:
    with engine.begin() as conn:
        sid = ensure_source(conn, name=name, family="k21", title=name, base_url=base_url)
        # As the catalogue sync writes it.
        conn.execute(update(sources_t).where(sources_t.c.id == sid).values(host=host_of(base_url)))
        return sid


def run(engine: Engine, source_id: int, *, host: str = "node-b", pid: int = 4242) -> int:
    with engine.begin() as conn:
        return start_run(
            conn,
            source_id=source_id,
            base_url="http://127.0.0.2:8022/",
            now=datetime.now(UTC),
            pid=pid,
            host=host,
        )


def fail_run(engine: Engine, run_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(runs_t)
            .where(runs_t.c.id == run_id)
            .values(status="failed", finish_reason="stale", finished_at=datetime.now(UTC))
        )


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def status_of(engine: Engine, run_id: int) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(runs_t.c.status, runs_t.c.finish_reason).where(runs_t.c.id == run_id)
        ).one()
    return row.status, row.finish_reason


# --- the fence --------------------------------------------------------------------------


def test_fence_lets_a_running_run_write_and_refuses_a_failed_one(engine: Engine) -> None:
    sid = source(engine)
    run_id = run(engine, sid)
    store = ArticleStore(engine)
    counts = store.save(sid, "move", [item()], now=datetime.now(UTC), run_id=run_id)
    assert (counts.new, counts.drops) == (1, [])
    fail_run(engine, run_id)  # the reaper of another node
    with pytest.raises(RunFenced):
        store.save(
            sid, "move", [item(url="https://example.org/b", title="B")], now=datetime.now(UTC),
            run_id=run_id,
        )  # fmt: skip
    with pytest.raises(RunFenced), engine.begin() as conn:
        fence(conn, run_id)
        record_drops(conn, [Drop("https://example.org/x", "fetch", "http_404")],
                     run_id=run_id, source_id=sid, now=datetime.now(UTC))  # fmt: skip
    assert (count(engine, Article), count(engine, DroppedItem)) == (1, 0)
    # The run keeps what the reaper gave it: its own close and beats change nothing.
    with engine.begin() as conn:
        assert beat(conn, run_id, now=datetime.now(UTC)) is False
        closed = finish_run(
            conn, run_id, status="ok", finish_reason="finished", counts={}, stats={},
            now=datetime.now(UTC),
        )  # fmt: skip
        assert closed is False
    assert status_of(engine, run_id) == ("failed", "stale")


def test_store_task_reports_a_fenced_batch_as_lease_lost(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KN_DATABASE_URL", db_url)
    sid = source(engine)
    run_id = run(engine, sid)
    fail_run(engine, run_id)
    result = save_batch(sid, "move", [item()], datetime.now(UTC), run_id)
    assert getattr(result, "lease_lost", None) is True
    assert count(engine, Article) == 0


# --- host locks, the reaper -----------------------------------------------------------------


@pytest.mark.postgres
def test_host_key_is_stable_and_signed_64_bit() -> None:
    assert host_key("127.0.0.2") == host_key("127.0.0.2")
    assert host_key("127.0.0.2") != host_key("127.0.0.3")
    assert -(2**63) <= host_key("www.kommune21.de") < 2**63


@pytest.fixture
def pg(postgres: object, request: pytest.FixtureRequest) -> Engine:
    from kn_crawl.db.engine import make_engine
    from kn_crawl.db.migrate import upgrade

    url = postgres.create_database(f"kn_cluster_{request.node.name[:40].lower()}")  # type: ignore[attr-defined]
    eng = make_engine(url)
    upgrade(eng)
    request.addfinalizer(eng.dispose)
    return eng


@pytest.mark.postgres
def test_second_holder_of_a_host_is_told_busy(pg: Engine) -> None:
    first, second = PgHostOwnership(pg, "node-a"), PgHostOwnership(pg, "node-b")
    try:
        assert first.acquire(["127.0.0.2", "127.0.0.3"]) == (["127.0.0.2", "127.0.0.3"], [])
        assert second.acquire(["127.0.0.3", "127.0.0.4"]) == (["127.0.0.4"], ["127.0.0.3"])
        first.release()
        assert second.acquire(["127.0.0.3"]) == (["127.0.0.3"], [])
    finally:
        first.release()
        second.release()


@pytest.mark.postgres
def test_reaper_fails_a_silent_run_by_the_database_clock_and_frees_its_hosts(pg: Engine) -> None:
    sid = source(pg)
    other = source(pg, "kommune21", "http://127.0.0.2:8021/")
    # A frozen crawl process on node-b: its runs stopped beating, its lock session lives on.
    frozen = PgHostOwnership(pg, "node-b")
    assert frozen.acquire(["127.0.0.2"]) == (["127.0.0.2"], [])
    import os

    stale_run = run(pg, sid, host="node-b", pid=os.getpid())
    sibling = run(pg, other, host="node-b", pid=os.getpid())
    fresh = run(pg, other, host="node-c", pid=1)
    with pg.begin() as conn:
        # Old by the database's clock: 5 minutes before its now().
        conn.execute(
            text("UPDATE crawl_runs SET heartbeat_at = now() - interval '5 minutes' "
                 "WHERE id = :id"), {"id": stale_run},
        )  # fmt: skip
    assert lock_holder_name("node-b", os.getpid()) == f"kn-crawl hosts node-b:{os.getpid()}"
    reaped = reap_stale_runs(pg, 120.0, here="node-a")
    assert sorted(reaped) == sorted([stale_run, sibling])
    assert status_of(pg, stale_run) == ("failed", "stale")
    assert status_of(pg, sibling) == ("failed", "stale")
    assert status_of(pg, fresh) == ("running", None)
    with pg.connect() as conn:
        due = dict(conn.execute(select(sources_t.c.name, sources_t.c.next_due_at)).all())
        db_now = conn.execute(select(func.now())).scalar_one()
    assert due["move"] is not None and due["move"] <= db_now
    # The frozen process's lock session was ended: the host is free for another node.
    taker = PgHostOwnership(pg, "node-a")
    try:
        assert taker.acquire(["127.0.0.2"]) == (["127.0.0.2"], [])
    finally:
        taker.release()
        frozen.conn = None  # its session is gone


# --- the tick's claims ----------------------------------------------------------------------


@pytest.mark.postgres
def test_two_ticks_at_once_claim_disjoint_sources(pg: Engine) -> None:
    names = [f"s{i:02d}" for i in range(10)]
    for i, name in enumerate(names):
        source(pg, name, f"http://127.0.0.{2 + i % 3}:9000/{name}/")
    # One tick's transaction holds three rows (as a tick mid-claim would).
    holder = pg.connect()
    try:
        holder.begin()
        held = (
            holder.execute(
                text("SELECT name FROM sources WHERE name = ANY(:n) FOR UPDATE"),
                {"n": names[:3]},
            )
            .scalars()
            .all()
        )
        assert sorted(held) == names[:3]
        claim = claim_due(pg, node="node-a", lease_s=120, limit=100)
        assert sorted(s.name for s in claim.sources) == names[3:]
        assert {s.host for s in claim.sources} == {"127.0.0.2", "127.0.0.3", "127.0.0.4"}
        holder.rollback()
    finally:
        holder.close()
    # Claimed sources are not due again while their job waits (a lease ahead).
    second = claim_due(pg, node="node-b", lease_s=120, limit=100)
    assert sorted(s.name for s in second.sources) == names[:3]
    assert claim_due(pg, node="node-b", lease_s=120, limit=100).sources == []
    with pg.connect() as conn:
        rows = conn.execute(select(sources_t.c.name, sources_t.c.claimed_by)).all()
    assert {r.name: r.claimed_by for r in rows} == {
        n: ("node-b" if n in names[:3] else "node-a") for n in names
    }
    # A claim released (its batch was queued already) is due at once again.
    release_claim(pg, names[:2])
    assert (
        sorted(s.name for s in claim_due(pg, node="n", lease_s=120, limit=9).sources) == (names[:2])
    )


@pytest.mark.postgres
def test_a_source_with_a_running_run_is_not_claimed(pg: Engine) -> None:
    sid = source(pg)
    run(pg, sid)
    assert claim_due(pg, node="node-a", lease_s=120, limit=10).sources == []


# --- the lease's own deadline ---------------------------------------------------------------


def test_lease_expires_after_half_its_length_without_a_renewal() -> None:
    now = [100.0]
    lease = Lease(120.0, clock=lambda: now[0])
    assert lease.beat_every == 30.0
    now[0] = 159.0
    assert lease.expired() is False
    now[0] = 160.5
    assert lease.expired() is True
    lease.renewed()
    assert lease.expired() is False
    lease.lost = "crawl run 7 was failed by another process"
    assert lease.expired() is True


@pytest.mark.postgres
def test_host_locks_of_a_lost_session_are_renewed_or_reported_lost(pg: Engine) -> None:
    from kn_crawl.cluster.hosts import hosts_lost

    def end_session(owner: PgHostOwnership) -> None:
        assert owner.conn is not None
        pid = owner.conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with pg.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    mine, other = PgHostOwnership(pg, "node-a"), PgHostOwnership(pg, "node-b")
    try:
        assert mine.acquire(["127.0.0.2", "127.0.0.3"])[1] == []
        assert hosts_lost() == []  # the session is alive
        end_session(mine)  # as a database restart ends it
        assert mine.verify() == []  # renewed on a new session: still ours
        assert other.acquire(["127.0.0.2"]) == ([], ["127.0.0.2"])
        end_session(mine)
        assert other.acquire(["127.0.0.2"]) == (["127.0.0.2"], [])  # taken meanwhile
        assert mine.verify() == ["127.0.0.2"]
        assert mine.owned == ["127.0.0.3"]
    finally:
        mine.release()
        other.release()


@pytest.mark.postgres
def test_a_frozen_fenced_transaction_is_ended_but_a_reader_is_left_alone(pg: Engine) -> None:
    import time

    from kn_crawl.cluster.lease import end_frozen_writers

    run_id = run(pg, source(pg))
    frozen, reader = pg.connect(), pg.connect()
    try:
        frozen.begin()
        fence(frozen, run_id)  # FOR SHARE on the run, then the process froze
        frozen_pid = frozen.execute(text("SELECT pg_backend_pid()")).scalar_one()
        reader.begin()
        reader.execute(select(runs_t.c.status)).all()  # a plain read, left open
        time.sleep(1.2)  # idle in transaction for over half a 2-second lease
        assert end_frozen_writers(pg, 2.0) == [frozen_pid]
    finally:
        frozen.invalidate()
        reader.close()


@pytest.mark.postgres
def test_a_write_cut_off_by_a_lost_session_is_done_again(pg: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    from kn_crawl.db.reconnect import retrying

    calls: list[int] = []

    def write() -> int:
        with pg.begin() as conn:
            calls.append(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
            conn.execute(
                text("INSERT INTO tags (key, name, first_seen_at) VALUES ('ozg', 'OZG', now())")
            )
            if len(calls) == 1:  # the session ends under it, as in a database restart
                with pg.connect() as other:
                    other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": calls[0]})
                conn.execute(text("SELECT 1"))
            return len(calls)

    assert retrying(pg, write, what="test", budget_s=10) == 2
    with pg.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tags")).scalar_one() == 1
    # What the data did is not retried.
    with pytest.raises(IntegrityError):
        retrying(pg, write, what="test", budget_s=10)
    assert len(calls) == 3
