"""A crawl of several sources runs each source in a process of its own (KN_CRAWL_PROCESSES):
the same results as one process, and a source whose process dies takes no other with it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.mirror import Mirror
from kn_crawl.tags import tag_key
from tests.crawling import Db, background_crawl, child_pids, crawl

SOURCES = ("kommune21", "move", "stadtundwerk")


def test_sources_side_by_side_store_what_one_process_stores(tmp_path: Path) -> None:
    with Mirror() as mirror:
        one = f"sqlite:///{tmp_path / 'one.sqlite3'}"
        side_by_side = f"sqlite:///{tmp_path / 'three.sqlite3'}"
        first = crawl(one, mirror, env={"KN_CRAWL_PROCESSES": "1"})
        second = crawl(side_by_side, mirror, env={"KN_CRAWL_PROCESSES": "3"})
        expected = {s: len(mirror.expected_articles(s)) for s in SOURCES}
    assert first.returncode == 0, first.stderr[-2000:]
    assert second.returncode == 0, second.stderr[-2000:]
    # No crawl process opens a server of its own (telnet console, Scrapy's remote control).
    for output in (first, second):
        assert "listening on" not in output.stderr.lower(), output.stderr[-2000:]
    a, b = Db(one), Db(side_by_side)
    try:
        assert a.articles_by_source() == b.articles_by_source()
        assert b.articles_by_source() == expected

        def content(db: Db) -> dict[str, tuple[object, ...]]:
            # Tags by key: a Stichwort keeps the spelling it was first seen in, and which
            # source's article comes first depends on timing ("E-Government"/"eGovernment").
            return {
                url: (
                    row.title,
                    row.teaser,
                    row.published_at,
                    row.section,
                    tuple(map(tag_key, tags)),
                )
                for url, (row, tags) in db.articles().items()
            }

        assert content(a) == content(b)
        runs = b.runs()
        assert sorted(r.source for r in runs) == sorted(SOURCES)
        assert {r.status for r in runs} == {"ok"}
        # Each source in its own process.
        assert len({r.pid for r in runs}) == 3
    finally:
        a.close()
        b.close()


def _crawl_children(pid: int) -> list[int]:
    """The spawned crawl processes of ``pid`` (not multiprocessing's resource tracker)."""
    return child_pids(pid, b"spawn_main")


def slow_crawl(
    url: str, mirror: Mirror, *, processes: int
) -> AbstractContextManager[subprocess.Popen[str]]:
    """``kn-crawl crawl`` of the three sources, slow enough (a delay between requests) that
    all are still crawling when the test interferes."""
    return background_crawl(
        url,
        mirror,
        SOURCES,
        env={"KN_DOWNLOAD_DELAY": "0.05", "KN_CRAWL_PROCESSES": str(processes)},
    )


def test_a_killed_source_process_fails_only_its_own_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with Mirror() as mirror:
        db = Db(url)
        victim = None
        with slow_crawl(url, mirror, processes=3) as proc:
            deadline = time.monotonic() + 60
            while victim is None and time.monotonic() < deadline:
                children = _crawl_children(proc.pid)
                running = {r.pid for r in db.runs() if r.status == "running"} if children else set()
                started = [c for c in children if c in running]
                if len(children) == 3 and started:
                    victim = started[0]
                else:
                    time.sleep(0.1)
            assert victim is not None, "the three crawl processes never all started"
            os.kill(victim, signal.SIGKILL)
            out, err = proc.communicate(timeout=300)
        runs = db.runs()
        db.close()
    assert proc.returncode != 0
    killed = [r for r in runs if r.pid == victim]
    assert len(killed) == 1
    assert killed[0].status == "failed"
    assert killed[0].finish_reason == f"process gone (exit code -{int(signal.SIGKILL)})"
    assert killed[0].finished_at is not None
    others = [r for r in runs if r.pid != victim]
    assert sorted(r.source for r in others + killed) == sorted(SOURCES)
    assert {r.status for r in others} == {"ok"}
    # The summary shows all three, the killed one as failed.
    assert "failed" in out and all(source in out for source in SOURCES), out + err


@pytest.mark.parametrize("processes", [1, 2])
def test_ctrl_c_stops_the_running_sources_and_starts_no_other(
    tmp_path: Path, processes: int
) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) right after the
    crawls started: every run is closed, none stays "running", no traceback. Side by side
    (two of three sources at a time) the third source never starts and the summary says so."""
    url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with Mirror() as mirror:
        db = Db(url)
        with slow_crawl(url, mirror, processes=processes) as proc:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if sum(1 for r in db.runs() if r.status == "running") >= 2:
                    break
                time.sleep(0.1)
            else:
                raise AssertionError("two crawls never ran at once")
            os.killpg(proc.pid, signal.SIGINT)
            _, err = proc.communicate(timeout=120)
        runs = db.runs()
        db.close()
    assert "Traceback" not in err, err[-3000:]
    assert proc.returncode != 0
    assert "running" not in {r.status for r in runs}
    if processes == 2:
        assert {r.source for r in runs} == {"kommune21", "move"}
        assert "no crawl run was recorded for stadtundwerk" in err
    else:
        assert {r.source for r in runs} <= set(SOURCES)
