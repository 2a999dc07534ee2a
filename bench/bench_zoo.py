"""Zoo benchmark: crawling the eleven zoo sites against the three K21 sites, in one run.

    .venv/bin/python bench/bench_zoo.py [--repeat 3]

Serves ``Mirror(zoo=True)`` (the three K21 sites of the default mirror, 163 articles, and the
eleven zoo sites of other CMS families) from threads of this process; every crawl is
``python -m kn_crawl crawl`` in a subprocess (a process of its own, as in ``bench_refresh.py``:
the mirror does not share the crawl's GIL, and this process does nothing else meanwhile). After
an untimed warm-up crawl of all 14 sources (the mirror renders and caches its pages, the
interpreter's bytecode is warm), each of ``--repeat`` rounds runs, in this order:

a. zoo backfill: the first crawl of the 11 zoo sources into a fresh SQLite database;
b. K21 backfill (the baseline): the first crawl of the 3 K21 sites into a fresh database;
c. zoo refresh: the zoo crawled again into database (a), nothing changed; requests per source
   beyond robots.txt from the mirror's own request log;
d. all 14 sources in one crawl into a fresh database, and ``kn-crawl demo --port 0`` itself
   (its mirror inside the crawl process, as users run it; target: under a minute).

Crawls a-d run with ``--no-hooks`` (the crawl as the scheduler runs it); the demo as it is.
Prints per crawl: wall seconds of the whole command (process start-up included) and the crawl
span (first run's start to last run's end, from ``crawl_runs``), responses, articles stored,
ms per response of both, CPU ms per response of the crawl process tree (crawl process and
page worker: ``RUSAGE_CHILDREN`` deltas) and of the mirror (this process's CPU meanwhile);
the ratio zoo ÷ K21 of the ms per response; medians over the rounds; the zoo's sources one by
one (median span and responses); warnings and errors in the crawls' output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kn_crawl.mirror import SOURCES, ZOO_SOURCES, Mirror

REPO = Path(__file__).resolve().parent.parent
ALL = SOURCES + ZOO_SOURCES


@dataclass
class SourceRun:
    status: str
    responses: int
    requests: int
    not_modified: int
    new: int
    dropped: int
    errors: int
    span_s: float


@dataclass
class Run:
    label: str
    returncode: int
    wall_s: float
    cpu_s: float
    mirror_cpu_s: float
    span_s: float
    sources: dict[str, SourceRun]
    log: list[str] = field(default_factory=list)
    beyond_robots: Counter[str] = field(default_factory=Counter)

    @property
    def responses(self) -> int:
        return sum(s.responses for s in self.sources.values())

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources.values())

    def ms(self, seconds: float) -> float:
        return 1000 * seconds / max(self.responses, 1)


def base_env(tmp: Path, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    return env | {
        "KN_DATABASE_URL": f"sqlite:///{db}",
        "KN_DATA_DIR": str(tmp / "data"),
        "KN_AUTOTHROTTLE_START_DELAY": "0",
        "KN_LOG_LEVEL": "WARNING",
    }


def last_run_id(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute("SELECT coalesce(max(id), 0) FROM crawl_runs").fetchone()[0])
        except sqlite3.OperationalError:  # no schema yet
            return 0


def runs_after(db: Path, after: int) -> dict[str, SourceRun]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT s.name, r.status, r.pages, r.requests, r.not_modified, r.articles_new,"
            " r.dropped, r.errors, r.started_at, r.finished_at, r.stats"
            " FROM crawl_runs r JOIN sources s ON s.id = r.source_id WHERE r.id > ?",
            (after,),
        ).fetchall()
    out = {}
    for name, status, pages, requests, nm, new, dropped, errors, start, end, stats in rows:
        counters = json.loads(stats) if stats else {}
        out[name] = SourceRun(
            status=status,
            responses=int(counters.get("downloader/response_count", pages)),
            requests=requests,
            not_modified=nm,
            new=new,
            dropped=dropped,
            errors=errors,
            span_s=(datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
            if end
            else float("nan"),
        )
    return out


def span_of(db: Path, after: int) -> float:
    with sqlite3.connect(db) as conn:
        start, end = conn.execute(
            "SELECT min(started_at), max(finished_at) FROM crawl_runs WHERE id > ?", (after,)
        ).fetchone()
    if not start or not end:
        return float("nan")
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, args: list[str], env: dict[str, str], db: Path, mirror: Mirror) -> Run:
    """Run one command; its figures from the clock, rusage and the runs it recorded."""
    after = last_run_id(db)
    mirror.clear_requests()
    cpu0, mirror0, wall0 = cpu_children(), time.process_time(), time.perf_counter()
    done = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - wall0
    cpu, mirror_cpu = cpu_children() - cpu0, time.process_time() - mirror0
    log = [
        line
        for line in done.stderr.splitlines()
        if " WARNING: " in line or " ERROR: " in line or line.startswith("Traceback")
    ]
    if done.returncode and not log:
        log = done.stderr.splitlines()[-5:]
    return Run(
        label=label,
        returncode=done.returncode,
        wall_s=wall,
        cpu_s=cpu,
        mirror_cpu_s=mirror_cpu,
        span_s=span_of(db, after),
        sources=runs_after(db, after),
        log=log,
        beyond_robots=Counter(r.source for r in mirror.requests if r.path != "/robots.txt"),
    )


def crawl(label: str, mirror: Mirror, tmp: Path, db: Path, sources: tuple[str, ...]) -> Run:
    args = [sys.executable, "-m", "kn_crawl", "crawl", "--no-hooks", *sources]
    args += [f"--base-url={s}={mirror.base_urls[s]}" for s in sources]
    return timed(label, args, base_env(tmp, db), db, mirror)


def demo(mirror: Mirror, tmp: Path, db: Path) -> Run:
    args = [sys.executable, "-m", "kn_crawl", "demo", "--port", "0"]
    return timed("kn-crawl demo", args, base_env(tmp, db), db, mirror)


def line(run: Run) -> str:
    return (
        f"  {run.label:<22} wall {run.wall_s:6.2f} s (span {run.span_s:5.2f} s)  "
        f"{run.responses:>4} responses  {run.new:>4} stored  "
        f"ms/response wall {run.ms(run.wall_s):5.1f} span {run.ms(run.span_s):5.1f}  "
        f"CPU {run.ms(run.cpu_s):5.1f} ms/response (mirror {run.ms(run.mirror_cpu_s):4.1f})"
        + ("" if run.returncode == 0 else f"  EXIT {run.returncode}")
    )


def ratios(zoo: Run, k21: Run) -> dict[str, float]:
    return {
        "wall": zoo.ms(zoo.wall_s) / k21.ms(k21.wall_s),
        "span": zoo.ms(zoo.span_s) / k21.ms(k21.span_s),
        "CPU": zoo.ms(zoo.cpu_s) / k21.ms(k21.cpu_s),
    }


def refresh_line(run: Run) -> str:
    worst = max(run.beyond_robots.items(), key=lambda kv: kv[1], default=("-", 0))
    missing = [s for s in ZOO_SOURCES if s not in run.beyond_robots]
    return (
        f"  {run.label:<22} wall {run.wall_s:6.2f} s (span {run.span_s:5.2f} s)  "
        f"requests beyond robots.txt: total {sum(run.beyond_robots.values())}, "
        f"max {worst[1]} ({worst[0]}), 304 {sum(s.not_modified for s in run.sources.values())}, "
        f"new {run.new}"
        + (f"; no request at all: {', '.join(missing)}" if missing else "")
        + ("" if run.returncode == 0 else f"  EXIT {run.returncode}")
    )


def med(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of all crawls (the machine's speed drifts)"
    )
    parser.add_argument("--no-demo", action="store_true", help="leave out `kn-crawl demo`")
    args = parser.parse_args()
    rounds: list[dict[str, Run]] = []
    with tempfile.TemporaryDirectory() as name, Mirror(zoo=True) as mirror:
        tmp = Path(name)
        k21_truth = sum(mirror.expected[s].articles for s in SOURCES)
        zoo_truth = sum(len(mirror.expected_articles(s)) for s in ZOO_SOURCES)
        warm = crawl("warm-up (all 14)", mirror, tmp, tmp / "warm.sqlite3", ALL)
        print(
            f"mirror: {len(SOURCES)} K21 sites ({k21_truth} articles) + {len(ZOO_SOURCES)} zoo "
            f"sites ({zoo_truth} storable articles), threads of this process; crawls are "
            "subprocesses"
        )
        print(line(warm))
        for i in range(args.repeat):
            zoo_db = tmp / f"zoo-{i}.sqlite3"
            r = {
                "zoo": crawl("zoo backfill (11)", mirror, tmp, zoo_db, ZOO_SOURCES),
                "k21": crawl("K21 backfill (3)", mirror, tmp, tmp / f"k21-{i}.sqlite3", SOURCES),
                "refresh": crawl("zoo refresh", mirror, tmp, zoo_db, ZOO_SOURCES),
                "all": crawl("all 14, one crawl", mirror, tmp, tmp / f"all-{i}.sqlite3", ALL),
            }
            if not args.no_demo:
                r["demo"] = demo(mirror, tmp, tmp / f"demo-{i}.sqlite3")
            rounds.append(r)
            print(f"round {i + 1}:")
            for key in ("zoo", "k21", "all", "demo"):
                if key in r:
                    print(line(r[key]))
            print(refresh_line(r["refresh"]))
            q = ratios(r["zoo"], r["k21"])
            print("  zoo ÷ K21 ms/response: " + ", ".join(f"{k} {v:.2f}" for k, v in q.items()))
    summary(rounds, warm)


def summary(rounds: list[dict[str, Run]], warm: Run) -> None:
    print(f"medians of {len(rounds)} rounds:")
    for key in ("zoo", "k21", "all", "demo"):
        runs = [r[key] for r in rounds if key in r]
        if not runs:
            continue
        print(
            f"  {runs[0].label:<22} wall {med([x.wall_s for x in runs]):6.2f} s "
            f"(span {med([x.span_s for x in runs]):5.2f} s)  "
            f"{med([x.responses for x in runs]):>6.0f} responses  "
            f"{med([x.new for x in runs]):>4.0f} stored  "
            f"ms/response wall {med([x.ms(x.wall_s) for x in runs]):5.1f} "
            f"span {med([x.ms(x.span_s) for x in runs]):5.1f}  "
            f"CPU {med([x.ms(x.cpu_s) for x in runs]):5.1f} ms/response "
            f"(mirror {med([x.ms(x.mirror_cpu_s) for x in runs]):4.1f})"
            + (" — target < 60 s" if key == "demo" else "")
        )
    refresh = [r["refresh"] for r in rounds]
    print(
        f"  {'zoo refresh':<22} wall {med([x.wall_s for x in refresh]):6.2f} s  requests beyond "
        f"robots.txt: total {med([sum(x.beyond_robots.values()) for x in refresh]):.0f}, "
        f"max per source {med([max(x.beyond_robots.values(), default=0) for x in refresh]):.0f}"
        " (the zoo test allows 2)"
    )
    q = [ratios(r["zoo"], r["k21"]) for r in rounds]
    print(
        "  zoo ÷ K21 ms/response: "
        + ", ".join(
            f"{k} {med([x[k] for x in q]):.2f} ({', '.join(f'{x[k]:.2f}' for x in q)})"
            for k in q[0]
        )
    )
    print("zoo backfill by source (medians):")
    print(f"  {'source':<20} {'responses':>9} {'stored':>6} {'span s':>7} {'refresh req':>11}")
    for source in ZOO_SOURCES:
        runs = [r["zoo"].sources[s] for r in rounds for s in [source] if s in r["zoo"].sources]
        if not runs:
            print(f"  {source:<20} no crawl run recorded")
            continue
        print(
            f"  {source:<20} {med([x.responses for x in runs]):>9.0f} "
            f"{med([x.new for x in runs]):>6.0f} {med([x.span_s for x in runs]):>7.2f} "
            f"{med([x.beyond_robots[source] for x in refresh]):>11.0f}"
            + (
                f"  dropped {runs[0].dropped}, errors {runs[0].errors}"
                if runs[0].dropped or runs[0].errors
                else ""
            )
            + ("" if all(x.status == "ok" for x in runs) else "  NOT ok")
        )
    everything = [warm] + [run for r in rounds for run in r.values()]
    bad = [(x.label, s, v.status) for x in everything for s, v in x.sources.items()]
    bad = [b for b in bad if b[2] != "ok"] + [(x.label, "exit", x.returncode) for x in everything]
    bad = [b for b in bad if b[2] not in ("ok", 0)]
    if bad:
        print("not ok: " + "; ".join(f"{label} {s}: {v}" for label, s, v in bad))
    messages = Counter(_kind(m) for x in everything for m in x.log)
    where: dict[str, Counter[str]] = {}
    for x in everything:
        for m in x.log:
            where.setdefault(_kind(m), Counter())[x.label] += 1
    print(f"warnings and errors in the crawls' output ({len(everything)} commands):")
    for message, n in messages.most_common():
        print(f"  {n:>3} × {message}")
        print(f"        in: {', '.join(f'{k} {v}' for k, v in where[message].items())}")
    if not messages:
        print("  none")


def _kind(message: str) -> str:
    """A log line without its time stamp, and its URLs cut to their first path segment."""
    message = re.sub(r"^\S+ \S+ ", "", message)
    message = re.sub(r"http://127\.0\.0\.1:\d+(/[^/\s]*/)?\S*", r"…\1…", message)
    return message[:160]


if __name__ == "__main__":
    main()
