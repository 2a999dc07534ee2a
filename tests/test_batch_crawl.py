"""Batches of mirror sources in one cheap child process (``launch_batch``): each source its own
run and failures, the robots.txt cache, one conditional request per unchanged source, the
scheduler's tick on SQLite, and no migration by a crawl process."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from kn_crawl.batch.launch import launch_batch
from kn_crawl.batch.plan import Batch, batch_of_names
from kn_crawl.catalog.load import load_catalog
from kn_crawl.catalog.sync import sync_catalog
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import current_revision, downgrade, upgrade
from kn_crawl.db.models import Article, CrawlRun, Source, table_of
from kn_crawl.db.state_models import RobotsCache
from kn_crawl.mirror import Mirror
from kn_crawl.scheduler.config import ScheduleConfig
from kn_crawl.scheduler.service import Scheduler
from kn_crawl.settings import Settings
from tests.crawling import only_sources
from tests.faults.proxy import Ask, FaultProxy, Reply

K21 = ("kommune21", "move", "stadtundwerk")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def mirror() -> Iterator[Mirror]:
    with Mirror() as m:
        yield m


def _setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bases: dict[str, str], **extra: str
) -> tuple[Engine, Settings]:
    catalog = tmp_path / "kn-sources.toml"
    catalog.write_text(only_sources(K21))
    for key in [k for k in os.environ if k.startswith("KN_")]:
        monkeypatch.delenv(key)
    env = {
        "KN_DATABASE_URL": f"sqlite:///{tmp_path / 'kn.sqlite3'}",
        "KN_DATA_DIR": str(tmp_path),
        "KN_SOURCES_FILE": str(catalog),
        "KN_AUTOTHROTTLE_START_DELAY": "0",
        "KN_LOG_LEVEL": "WARNING",
        **{f"KN_BASE_URL_{name.upper()}": url for name, url in bases.items()},
        **extra,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with engine.begin() as conn:
        sync_catalog(conn, load_catalog(settings))
    return engine, settings


def _launch(batch: Batch, settings: Settings, batch_id: str) -> Any:
    return launch_batch(
        batch, settings, batch_id=batch_id, timeout=300, stop=threading.Event(), grace=10
    )


def _runs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(table_of(CrawlRun), Source.name.label("source"))
                .join(Source, Source.id == CrawlRun.source_id)
                .order_by(CrawlRun.id)
            ).all()
        )


def _articles(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Source.name, Article.id).join(Article, Article.source_id == Source.id)
        ).all()
    return dict(Counter(name for name, _ in rows))


def test_a_batch_crawls_each_source_with_its_own_run_and_caches_robots(
    mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/"
    bases = {**mirror.base_urls, "stadtundwerk": dead}
    engine, settings = _setup(tmp_path, monkeypatch, {n: bases[n] for n in K21})
    batch = batch_of_names(list(K21), {n: "127.0.0.1" for n in K21})
    mirror.clear_requests()
    before = datetime.now(UTC)

    first = _launch(batch, settings, "first")

    assert (first.returncode, first.timed_out, first.interrupted) == (0, False, False)
    runs = _runs(engine)
    assert first.run_ids == tuple(r.id for r in runs)
    assert [(r.source, r.batch, r.host) for r in runs] == [
        (name, "first", settings.node) for name in K21
    ]
    # The dead site fails its own run; the others are not touched by it.
    assert {r.source: r.status for r in runs} == {
        "kommune21": "ok",
        "move": "ok",
        "stadtundwerk": "failed",
    }
    truth = {n: mirror.expected[n].articles for n in ("kommune21", "move")}
    assert _articles(engine) == truth == {"kommune21": 95, "move": 35}
    # One process: every run has the same pid.
    assert len({r.pid for r in runs}) == 1
    with engine.connect() as conn:
        due = dict(conn.execute(select(Source.name, Source.next_due_at)).all())
        cached = conn.execute(select(RobotsCache.origin, RobotsCache.status)).all()
    assert all(due[name] is not None and due[name] > before for name in K21)
    # 2xx answers are kept; the dead site's network error is not.
    assert sorted(cached) == sorted(
        (mirror.base_urls[n].rstrip("/"), 200) for n in ("kommune21", "move")
    )
    robots = [r for r in mirror.requests if r.path == "/robots.txt"]
    assert sorted(r.source for r in robots) == ["kommune21", "move"]

    # An unchanged refresh: no robots.txt request, one conditional request (answered 304) per
    # start URL of each source: a K21 site has two, its feed and its listing.
    mirror.clear_requests()
    second = _launch(batch_of_names(["kommune21", "move"], {}), settings, "second")
    assert second.returncode == 0
    assert sorted((r.source, r.path, r.conditional, r.status) for r in mirror.requests) == [
        (source, path, True, 304)
        for source in ("kommune21", "move")
        for path in ("/k21-meldungen/", "/k21-meldungen/feed")
    ]
    refreshed = [r for r in _runs(engine) if r.batch == "second"]
    assert [(r.source, r.status, r.requests, r.not_modified) for r in refreshed] == [
        ("kommune21", "ok", 2, 2),
        ("move", "ok", 2, 2),
    ]
    assert _articles(engine) == truth


def test_a_crawl_process_does_not_migrate(
    mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, settings = _setup(tmp_path, monkeypatch, {"move": mirror.base_urls["move"]})
    downgrade(engine, "-1")
    revision = current_revision(engine)
    result = _launch(batch_of_names(["move"], {}), settings, "behind")
    assert result.returncode == 2
    assert result.run_ids == ()
    assert current_revision(engine) == revision
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM crawl_runs")).scalar_one() == 0


def test_the_tick_dispatches_batches_by_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two web hosts: kommune21 and move on 127.0.0.2, stadtundwerk on 127.0.0.3.
    with Mirror(host="127.0.0.2") as two, Mirror(host="127.0.0.3") as three:
        bases = {
            "kommune21": two.base_urls["kommune21"],
            "move": two.base_urls["move"],
            "stadtundwerk": three.base_urls["stadtundwerk"],
        }
        engine, settings = _setup(
            tmp_path, monkeypatch, bases, KN_BATCH_SIZE="2", KN_BATCH_PROCESSES="2"
        )
        config = ScheduleConfig(sources={}, shutdown_grace=10.0, misfire_grace=60.0)
        scheduler = Scheduler(engine=engine, settings=settings, config=config)
        results = scheduler.run_due_once()
        assert sorted(r.batch.sources for r in results) == [
            ("kommune21", "move"),
            ("stadtundwerk",),
        ]
        assert all(r.returncode == 0 for r in results)
        runs = _runs(engine)
        by_batch = {r.batch_id: set(r.batch.sources) for r in results}
        assert {r.source: r.status for r in runs} == dict.fromkeys(K21, "ok")
        assert all(r.source in by_batch[r.batch] for r in runs)
        assert _articles(engine) == {"kommune21": 95, "move": 35, "stadtundwerk": 30}
        with engine.connect() as conn:
            claimed = dict(conn.execute(select(Source.name, Source.claimed_by)).all())
        assert {claimed[n] for n in K21} == {settings.node}
        # Nothing is due any more: a second pass crawls nothing.
        assert scheduler.run_due_once() == []
        assert len(_runs(engine)) == 3


class InFlight:
    """A fault-proxy rule counting the requests being answered at once, over all proxies."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def __call__(self, ask: Ask) -> Reply:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(self.seconds)
            return ask.upstream()
        finally:
            with self.lock:
                self.now -= 1


def test_one_host_gets_its_per_site_concurrency_across_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three sources on one web host (three ports of 127.0.0.1), each crawler with its own
    # downloader: without a shared gate the host would see up to 3 x 2 requests at once.
    counter = InFlight(0.02)
    with Mirror() as mirror:
        proxies = [FaultProxy(mirror, name, [counter]) for name in K21]
        for proxy in proxies:
            proxy.start()
        try:
            engine, settings = _setup(
                tmp_path,
                monkeypatch,
                {n: mirror.base_urls[n] for n in K21},
                KN_CONCURRENT_PER_SITE="2",
            )
            result = _launch(batch_of_names(list(K21), {}), settings, "gated")
            truth = {n: mirror.expected[n].articles for n in K21}
        finally:
            for proxy in proxies:
                proxy.stop()
    assert result.returncode == 0
    assert {r.source: r.status for r in _runs(engine)} == dict.fromkeys(K21, "ok")
    assert _articles(engine) == truth
    assert counter.peak == 2


def test_a_batch_over_its_timeout_is_stopped_and_its_runs_say_so(
    mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One request at a time, a second apart: the first crawl of kommune21 takes minutes.
    engine, settings = _setup(
        tmp_path,
        monkeypatch,
        {"kommune21": mirror.base_urls["kommune21"], "move": mirror.base_urls["move"]},
        KN_CONCURRENT_PER_SITE="1",
        KN_DOWNLOAD_DELAY="1",
    )
    result = launch_batch(
        batch_of_names(["kommune21", "move"], {}),
        settings,
        batch_id="slow",
        timeout=15,
        stop=threading.Event(),
        grace=5,
    )
    assert (result.timed_out, result.interrupted) == (True, False)
    runs = _runs(engine)
    assert result.run_ids == tuple(r.id for r in runs)
    assert [(r.source, r.status, r.finish_reason) for r in runs] == [
        ("kommune21", "timeout", "no end after 15 s"),
        ("move", "timeout", "no end after 15 s"),
    ]
    assert all(r.finished_at is not None for r in runs)


def _wait_for(event: Any) -> None:
    event.wait(60)


def test_the_database_url_is_in_no_command_line_of_the_batch_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kn_crawl.batch.launch import forkserver

    monkeypatch.setenv("KN_DATABASE_URL", "postgresql+psycopg://kn:Sekret-4Rt6Hw@127.0.0.1/kn")
    context = forkserver()
    release = context.Event()
    child = context.Process(target=_wait_for, args=(release,))
    child.start()
    try:
        assert child.pid is not None
        server = int(Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[1])
        lines = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in (child.pid, server)}
    finally:
        release.set()
        child.join()
    assert all(b"multiprocessing.forkserver" in line for line in lines.values())
    assert [pid for pid, line in lines.items() if b"Sekret-4Rt6Hw" in line] == []
