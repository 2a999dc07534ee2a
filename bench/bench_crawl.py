"""Crawl benchmark: the real spiders and pipelines vs Scrapy's own ceiling, same requests.

    .venv/bin/python bench/bench_crawl.py [--size 5000]

1. serves the large mirror in a separate process (so it does not share our GIL),
2. warm-up: a real crawl into a scratch database, recording every URL it fetched (this also
   fills the mirror's page cache, so both timed runs see the same server),
3. no-op: Scrapy fetches exactly those URLs with an empty callback (the ceiling),
4. real: the real crawl again, into a fresh SQLite database.
Prints pages/s of both, their ratio, CPU ms per page and peak memory of each run.
Target: real ≥ 70 % of the ceiling, peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def start_mirror(size: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kn_crawl.mirror", "--port", "0", "--size", str(size)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    bases: dict[str, str] = {}
    while len(bases) < 3:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("mirror exited before printing its URLs")
        parts = line.split()
        if len(parts) == 2 and parts[1].startswith("http://"):
            bases[parts[0]] = parts[1]
    return proc, bases


def child(*args: str) -> dict[str, float]:
    env = dict(os.environ)
    out = subprocess.run(
        [sys.executable, str(HERE / "crawl_child.py"), *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000, help="articles in the mirror")
    args = parser.parse_args()
    mirror, bases = start_mirror(args.size)
    pairs = [f"{k}={v}" for k, v in bases.items()]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            urls = Path(tmp, "urls.txt")
            warm = child("real", f"sqlite:///{tmp}/warm.sqlite3", str(urls), *pairs)
            noop = child("noop", str(urls), *pairs)
            real = child("real", f"sqlite:///{tmp}/real.sqlite3", str(Path(tmp, "u2")), *pairs)
    finally:
        mirror.terminate()
        mirror.wait()
    print(f"mirror: {args.size} articles; warm-up crawl {warm['pages']} pages")
    for run in (noop, real):
        pps = run["pages"] / run["wall_s"]
        cpu_ms = 1000 * run["cpu_s"] / max(run["pages"], 1)
        print(
            f"{run['mode']:>5}: {run['pages']:>6} pages in {run['wall_s']:7.2f} s = "
            f"{pps:7.1f} pages/s, CPU {cpu_ms:5.2f} ms/page, peak RSS {run['peak_rss_mb']} MB"
            + (f", {run['new']} articles stored" if run["mode"] == "real" else "")
        )
    ratio = (real["pages"] / real["wall_s"]) / (noop["pages"] / noop["wall_s"])
    print(f"ratio real/noop pages/s: {ratio:.0%} (target >= 70%)")


if __name__ == "__main__":
    main()
