"""Refresh benchmark: what an incremental refresh of an unchanged site costs against a full
crawl of it, on the large mirror, in one run.

    .venv/bin/python bench/bench_refresh.py [--size 5000]

1. backfill: the first crawl of the mirror into a fresh SQLite database;
2. refresh: the same crawl again (nothing changed);
3. full: ``crawl --full`` (everything fetched again, for comparison);
4. refresh after 3 new articles.
Prints requests (from the runs' own counters), 304 responses and wall time of each.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kn_crawl.mirror import Mirror


def crawl(db: Path, bases: dict[str, str], *extra: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env |= {
        "KN_DATABASE_URL": f"sqlite:///{db}",
        "KN_AUTOTHROTTLE_START_DELAY": "0",
        "KN_LOG_LEVEL": "ERROR",
    }
    args = [sys.executable, "-m", "kn_crawl", "crawl", "--no-hooks", *extra, *bases]
    args += [f"--base-url={name}={url}" for name, url in bases.items()]
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def last_runs(db: Path, n: int) -> tuple[int, int, int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT requests, not_modified, articles_new FROM crawl_runs ORDER BY id DESC LIMIT ?",
            (n,),
        ).fetchall()
    return tuple(sum(r[i] for r in rows) for i in range(3))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Mirror(args.size, record_requests=False) as mirror:
        db = Path(tmp, "kn.sqlite3")
        bases = dict(mirror.base_urls)
        n = len(bases)
        rows = []
        for label, extra, before in [
            ("backfill (first crawl)", (), None),
            ("refresh, unchanged", (), None),
            ("full re-crawl", ("--full",), None),
            ("refresh after 3 new", (), lambda: mirror.publish("kommune21", 3)),
        ]:
            if before:
                before()
            seconds = crawl(db, bases, *extra)
            requests, not_modified, new = last_runs(db, n)
            rows.append((label, requests, not_modified, new, seconds))
    print(f"mirror: {args.size} articles over {n} sources (requests include robots.txt)")
    print(f"{'crawl':<24} {'requests':>9} {'304':>5} {'new':>6} {'wall s':>8}")
    for label, requests, not_modified, new, seconds in rows:
        print(f"{label:<24} {requests:>9} {not_modified:>5} {new:>6} {seconds:>8.1f}")
    full, refresh = rows[2], rows[1]
    print(
        f"refresh vs full: {refresh[1] / full[1]:.2%} of the requests, "
        f"{refresh[4] / full[4]:.1%} of the wall time (process start-up included)"
    )


if __name__ == "__main__":
    main()
