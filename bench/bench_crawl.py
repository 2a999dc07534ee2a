"""Crawl benchmark: the real spiders and pipelines vs Scrapy's own ceiling, same requests.

    .venv/bin/python bench/bench_crawl.py [--size 5000] [--repeat 3] [--per-source]

1. serves the large mirror in a separate process (so it does not share our GIL),
2. warm-up: a real crawl into a scratch database, recording every URL it fetched (this also
   fills the mirror's page cache, so all timed runs see the same server),
3. no-op: Scrapy sends exactly those requests (redirect hops and robots.txt included, no
   redirect followed) with an empty callback (the ceiling),
4. real: the real crawl again, into a fresh SQLite database, with its page worker (the
   process beside the crawl that parses pages and writes batches);
3 and 4 alternate ``--repeat`` times (this machine's speed drifts by minutes), all sources in
one process (``kn-crawl crawl``'s default); with ``--per-source`` also a process per source,
``--processes`` at a time, as ``kn-crawl crawl`` runs them with KN_CRAWL_PROCESSES set.
Prints responses ("pages") per second of both, their ratio (each run and the median), CPU ms
per response of the crawl process, of its page worker and of the mirror server (all three
share the machine's two cores), and peak memory.
Target: real ≥ 70 % of the ceiling, peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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
    return children([list(args)], 1)


def children(runs: list[list[str]], at_once: int) -> dict[str, float]:
    """Run crawl_child.py once per argument list, ``at_once`` at a time (as ``kn-crawl
    crawl`` runs sources with KN_CRAWL_PROCESSES); figures summed, wall time from the first
    crawl's start to the last one's end (process start-up of the first one left out)."""
    env = dict(os.environ)
    queue = list(runs)
    running: list[subprocess.Popen[str]] = []
    results = []
    while queue or running:
        while queue and len(running) < at_once:
            running.append(
                subprocess.Popen(
                    [sys.executable, str(HERE / "crawl_child.py"), *queue.pop(0)],
                    stdout=subprocess.PIPE,
                    text=True,
                    env=env,
                )
            )
        done = running.pop(0)
        out, _ = done.communicate()
        if done.returncode:
            raise RuntimeError(f"crawl_child.py failed with exit code {done.returncode}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return {
        "mode": results[0]["mode"],
        "pages": sum(r["pages"] for r in results),
        "wall_s": max(r["ended_at"] for r in results) - min(r["started_at"] for r in results),
        "cpu_s": sum(r["cpu_s"] for r in results),
        "worker_cpu_s": sum(r.get("worker_cpu_s", 0.0) for r in results),
        "worker_rss_mb": max(r.get("worker_peak_rss_mb", 0.0) for r in results),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
        "rss_sum_mb": sum(r["peak_rss_mb"] for r in results),
        "new": sum(r["new"] for r in results),
    }


def report(layout: str, noop: dict[str, float], real: dict[str, float]) -> float:
    print(f"{layout}:")
    for run in (noop, real):
        pps = run["pages"] / run["wall_s"]
        cpu_ms = 1000 * run["cpu_s"] / max(run["pages"], 1)
        print(
            f"  {run['mode']:>5}: {run['pages']:>6} pages in {run['wall_s']:7.2f} s = "
            f"{pps:7.1f} pages/s, CPU {cpu_ms:5.2f} ms/page, peak RSS {run['peak_rss_mb']} MB"
            + f", mirror CPU {1000 * run['mirror_cpu_s'] / max(run['pages'], 1):4.2f} ms/page"
            + (
                f" (processes together {run['rss_sum_mb']:.0f} MB)"
                if run["rss_sum_mb"] != run["peak_rss_mb"]
                else ""
            )
            + (f", {run['new']} articles stored" if run["mode"] == "real" else "")
        )
        if run["worker_cpu_s"]:
            worker_ms = 1000 * run["worker_cpu_s"] / max(run["pages"], 1)
            print(
                f"         page worker: CPU {worker_ms:5.2f} ms/page "
                f"(both processes {cpu_ms + worker_ms:5.2f}), "
                f"peak RSS {run['worker_rss_mb']:.0f} MB "
                f"(with the crawl process {run['peak_rss_mb'] + run['worker_rss_mb']:.0f} MB)"
            )
    ratio = (real["pages"] / real["wall_s"]) / (noop["pages"] / noop["wall_s"])
    print(f"  ratio real/noop pages/s: {ratio:.0%} (target >= 70%)")
    return ratio


def mirror_cpu_s(mirror: subprocess.Popen[str]) -> float:
    """CPU seconds the mirror server has used so far (it runs beside the crawl and competes
    for the same two cores)."""
    fields = Path(f"/proc/{mirror.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(
    mirror: subprocess.Popen[str], runs: list[list[str]], at_once: int = 1
) -> dict[str, float]:
    """``children(runs, at_once)``, with the mirror's CPU time meanwhile."""
    before = mirror_cpu_s(mirror)
    figures = children(runs, at_once)
    figures["mirror_cpu_s"] = mirror_cpu_s(mirror) - before
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000, help="articles in the mirror")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="no-op and real runs, alternating, per layout (the machine's speed drifts)",
    )
    parser.add_argument(
        "--per-source",
        action="store_true",
        help="also run the layout with a process per source (KN_CRAWL_PROCESSES)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="crawl processes at a time in the per-source layout (KN_CRAWL_PROCESSES)",
    )
    args = parser.parse_args()
    mirror, bases = start_mirror(args.size)
    pairs = [f"{k}={v}" for k, v in bases.items()]
    one: list[tuple[dict[str, float], dict[str, float]]] = []
    per: list[tuple[dict[str, float], dict[str, float]]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            urls = Path(tmp, "urls.txt")
            warm = child("real", f"sqlite:///{tmp}/warm.sqlite3", str(urls), *pairs)
            fetched = urls.read_text().split()
            per_source = []
            for name, base in bases.items():
                mine = Path(tmp, f"urls-{name}.txt")
                mine.write_text("\n".join(u for u in fetched if u.startswith(base)))
                per_source.append((name, base, mine))
            for i in range(args.repeat):
                # One process for all sources (KN_CRAWL_PROCESSES=1, the default).
                noop = timed(mirror, [["noop", str(urls), *pairs]])
                db, out = f"sqlite:///{tmp}/real-{i}.sqlite3", str(Path(tmp, f"u-{i}"))
                real = timed(mirror, [["real", db, out, *pairs]])
                one.append((noop, real))
                if not args.per_source:
                    continue
                # A process per source, as with KN_CRAWL_PROCESSES=N; the no-op the same.
                noop = timed(
                    mirror,
                    [["noop", str(f), f"{n}={b}"] for n, b, f in per_source],
                    args.processes,
                )
                db = f"sqlite:///{tmp}/real-n-{i}.sqlite3"
                real = timed(
                    mirror,
                    [
                        ["real", db, str(Path(tmp, f"u-{n}-{i}")), f"{n}={b}"]
                        for n, b, _ in per_source
                    ],
                    args.processes,
                )
                per.append((noop, real))
    finally:
        mirror.terminate()
        mirror.wait()
    print(f"mirror: {args.size} articles; warm-up crawl {warm['pages']} pages")
    summary("one process for all sources (the default)", one)
    if per:
        summary(f"a process per source, {args.processes} at a time", per)


def summary(layout: str, runs: list[tuple[dict[str, float], dict[str, float]]]) -> None:
    ratios = [report(f"{layout}, run {i + 1}", noop, real) for i, (noop, real) in enumerate(runs)]
    print(
        f"{layout}: ratio median {statistics.median(ratios):.0%} "
        f"(runs: {', '.join(f'{r:.0%}' for r in ratios)}; target >= 70%)"
    )


if __name__ == "__main__":
    main()
