"""Search, Stichwort pages, trends, facets and export on a synthetic 1,000,000-article SQLite
database (a script, not a test).

    .venv/bin/python bench/bench_search.py            # build (or reuse) the DB, run everything
    .venv/bin/python bench/bench_search.py --rows 100000 --db /tmp/small.sqlite3

The database is built once through the real migrations (so the FTS triggers index every row as
it is inserted) and cached at --db (default /tmp/kn-bench-search/articles-1000000.sqlite3).
Articles: realistic German titles, kickers, teasers and bodies from the mirror's word material,
3–5 Stichwörter each (topic tags, a place, a long Zipf-distributed tail), dates spread over ten
years, three sources.

Prints median and p95 (ms) of: search top 20 with ranking and snippets (and with the total
count), a Stichwort page (its newest 20 articles plus the count), the weekly trend of one
Stichwort, the facet counts of a broad query; then exports every row to CSV through
``kn-crawl export`` in a subprocess, sampling its memory.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import string
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kn_crawl.db.engine import make_engine  # noqa: E402
from kn_crawl.db.migrate import upgrade  # noqa: E402
from kn_crawl.mirror import vocab  # noqa: E402
from kn_crawl.query import parse_query  # noqa: E402
from kn_crawl.search import count, facets, search  # noqa: E402
from kn_crawl.search.insights import find_tag, weekly_counts  # noqa: E402
from kn_crawl.search.readonly import readonly_engine  # noqa: E402
from kn_crawl.tags import tag_key  # noqa: E402
from kn_crawl.text import title_key  # noqa: E402

SOURCES = ("kommune21", "move", "stadtundwerk")
START = datetime(2015, 1, 1, tzinfo=UTC)
YEARS = 10
BATCH = 20_000
TAIL_TAGS = 6_000

QUERIES = [
    "Bürgeramt",
    "Buergeramt",
    "OZG",
    "Onlinezugangsgesetz",
    "portal",
    "E-Akte",
    '"elektronische Akte"',
    "Glasfaser OR Breitband",
    "KI",
    "Serviceportal Dortmund",
    "Digitalisierung -Bayern",
    "tag:OZG since:2024-01-01",
    "Stadtwerke source:stadtundwerk",
    'Smart City section:"Smart City"',
    "Rechenzentrum until:2018",
    "Wärmepumpe",
    "Dokumentenmanagement Hessen",
    "Cloud OR Rechenzentrum OR Server",
]
BROAD_QUERIES = ["Digitalisierung", "since:2023-01-01", "Kommunen", "tag:Dortmund"]


# --- generation ---------------------------------------------------------------------------


class _Slots(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return key


def _fill(template: str, rnd: random.Random, year: int) -> str:
    place = rnd.choice(vocab.PLACES)
    gremium = rnd.choice(vocab.GREMIEN)
    slots = _Slots(
        place=place.name,
        in_place=place.in_,
        Subj=place.subj,
        subj=place.subj[0].lower() + place.subj[1:],
        dl=rnd.choice(vocab.IT_DIENSTLEISTER),
        gremium=gremium[0],
        Gremium=gremium[1],
        n=str(rnd.randint(3, 120)),
        mio=f"{rnd.randint(1, 90)},{rnd.randint(0, 9)} Millionen Euro",
        pct=f"{rnd.randint(10, 95)} Prozent",
        year=str(year),
    )
    return string.Formatter().vformat(template, (), slots).replace("\u00ad", "")


def _articles(rows: int, seed: int = 5) -> Iterator[tuple[Any, ...]]:
    rnd = random.Random(seed)
    topics = [*vocab.K21_TOPICS, *vocab.MOVE_TOPICS, *vocab.SUW_TOPICS]
    span = YEARS * 365 * 24 * 3600
    for i in range(1, rows + 1):
        topic = rnd.choice(topics)
        published = START + timedelta(seconds=rnd.randrange(span))
        year = published.year
        place = rnd.choice(vocab.PLACES)
        if rnd.random() < 0.5:
            kicker: str | None = place.name
            title = _fill(rnd.choice(topic.titles), rnd, year)
        else:
            kicker = topic.kicker if rnd.random() < 0.5 else None
            title = _fill(rnd.choice(topic.place_titles), rnd, year).replace("{place}", place.name)
        teaser = _fill(rnd.choice(topic.teasers), rnd, year)
        # One or two paragraphs of the topic, sometimes one of the generic ones (which every
        # topic shares, so putting one in every body would make their words ubiquitous).
        paragraphs = rnd.sample(topic.paragraphs, k=rnd.randint(1, len(topic.paragraphs)))
        if rnd.random() < 0.3:
            paragraphs.append(rnd.choice(vocab.GENERIC_PARAGRAPHS))
        body = "\n\n".join(_fill(p, rnd, year) for p in paragraphs)
        tags = [group[0] for group in topic.tags[: rnd.randint(1, len(topic.tags))]]
        tags.append(place.name)
        # The long tail: Zipf-like, a few tags are common, most are rare.
        for _ in range(rnd.randint(0, 2)):
            tags.append(f"Projekt {int(rnd.paretovariate(1.1)) % TAIL_TAGS}")
        yield (
            i,
            1 + i % len(SOURCES),
            f"https://bench.invalid/{SOURCES[i % len(SOURCES)]}/{i}/",
            f"p:{i}",
            title_key(title)[:64],
            title,
            kicker,
            teaser,
            body,
            published.strftime("%Y-%m-%d %H:%M:%S.000000"),
            rnd.choice(topic.sections),
            list(dict.fromkeys(tags)),
        )


def build(path: Path, rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    # Load into the schema before search (0003), then let migration 0004 create and backfill
    # the search indexes: the path an existing database takes, and much faster than indexing
    # row by row through the triggers.
    engine = make_engine(f"sqlite:///{tmp}")
    upgrade(engine, "0003")
    db = sqlite3.connect(tmp, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    now = "2025-01-31 12:00:00.000000"
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO sources (id, name, family, title, base_url, enabled, created_at) "
        "VALUES (?, ?, 'k21', ?, ?, 1, ?)",
        [(n + 1, s, s, f"https://{s}.invalid/", now) for n, s in enumerate(SOURCES)],
    )
    db.execute("COMMIT")
    tag_ids: dict[str, int] = {}
    started = time.perf_counter()
    batch: list[tuple[Any, ...]] = []
    links: list[tuple[int, int, int]] = []

    def flush() -> None:
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO articles (id, source_id, url, site_article_id, fingerprint, title, kicker,"
            " teaser, body, published_at, date_signal, section, content_hash, first_seen_at,"
            " last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'visible', ?, 'x', ?, ?)",
            [(*r[:11], now, now) for r in batch],
        )
        db.executemany(
            "INSERT INTO article_tags (article_id, tag_id, position) VALUES (?, ?, ?)", links
        )
        db.execute("COMMIT")
        batch.clear()
        links.clear()

    for row in _articles(rows):
        batch.append(row)
        for position, name in enumerate(row[-1]):
            key = tag_key(name)
            if key not in tag_ids:
                tag_ids[key] = len(tag_ids) + 1
                db.execute(
                    "INSERT INTO tags (id, key, name, first_seen_at, first_article_id) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (tag_ids[key], key, name, now, row[0]),
                )
            links.append((row[0], tag_ids[key], position))
        if len(batch) >= BATCH:
            flush()
            done = row[0]
            rate = done / (time.perf_counter() - started)
            print(f"\r  {done:>9,} articles ({rate:,.0f}/s)", end="", file=sys.stderr)
    if batch:
        flush()
    print(file=sys.stderr)
    db.close()
    loaded = time.perf_counter()
    upgrade(engine)
    engine.dispose()
    print(f"migration 0004 indexed them in {time.perf_counter() - loaded:.0f} s", file=sys.stderr)
    db = sqlite3.connect(tmp, isolation_level=None)
    db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    tmp.rename(path)
    print(f"built {rows:,} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)


# --- measuring ----------------------------------------------------------------------------


def measure(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm the page cache
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def report(name: str, times: list[float], target: float | None = None) -> None:
    verdict = ""
    if target is not None:
        verdict = "  ok" if p95(times) <= target else f"  OVER TARGET ({target:.0f} ms)"
    print(
        f"{name:<44} median {statistics.median(times):8.1f} ms   p95 {p95(times):8.1f} ms"
        f"   (n={len(times)}){verdict}"
    )


def run_queries(path: Path, repeat: int) -> None:
    engine = readonly_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        parsed = [parse_query(q) for q in QUERIES]
        top20: list[float] = []
        with_total: list[float] = []
        per_query = []
        for q, query in zip(QUERIES, parsed, strict=True):
            times = measure(
                lambda query=query: search(conn, query, limit=20, with_total=False), repeat
            )
            top20 += times
            per_query.append((q, statistics.median(times)))
            with_total += measure(
                lambda query=query: search(conn, query, limit=20), max(3, repeat // 3)
            )
        report("search: top 20, ranked, snippets", top20, 100)
        report("search: top 20 + total count", with_total)
        for q, median in sorted(per_query, key=lambda x: -x[1])[:5]:
            print(f"    slowest: {q!r:<40} median {median:7.1f} ms")

        tag_names = ["OZG", "E-Akte", "Dortmund", "Projekt 7", "Projekt 400", "Glasfaser"]
        tags = [t for t in (find_tag(conn, tag_key(n)) for n in tag_names) if t]

        def tag_page(t: tuple[int, str, str, datetime]) -> object:
            return search(conn, parse_query(f'tag:"{t[2]}"'), limit=20, order="date")

        page_times: list[float] = []
        trend_times: list[float] = []
        for t in tags:
            page_times += measure(lambda t=t: tag_page(t), repeat)
            trend_times += measure(lambda t=t: weekly_counts(conn, t[0]), repeat)
        report("Stichwort page: newest 20 + count", page_times, 30)
        report("weekly trend of one Stichwort", trend_times, 200)
        facet_times: list[float] = []
        sampled_times: list[float] = []
        for q in BROAD_QUERIES:
            query = parse_query(q)
            facet_times += measure(lambda query=query: facets(conn, query), max(3, repeat // 3))
            # The web UI counts a sample only when there are more matches than that.
            sample = 20_000 if count(conn, query) > 20_000 else None
            sampled_times += measure(
                lambda query=query, sample=sample: facets(conn, query, sample=sample),
                max(3, repeat // 3),
            )
        report("facet counts of a broad query (exact)", facet_times)
        report("facet counts, newest 20,000 matches (web)", sampled_times)
        for q in BROAD_QUERIES:
            print(f"    {q!r}: {count(conn, parse_query(q)):,} matches")
        counts = {n: conn.exec_driver_sql(f"SELECT count(*) FROM {n}").scalar() for n in
                  ("articles", "article_tags", "tags")}  # fmt: skip
        print(f"    database: {counts}")
    engine.dispose()


def run_export(path: Path, out: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATABASE_URL"] = f"sqlite:///{path}"
    samples: list[int] = []
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kn_crawl", "export", "--format", "csv", "--output", str(out),
         "--no-progress"],
        env=env, cwd=REPO, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def sample() -> None:
        status = Path(f"/proc/{proc.pid}/status")
        while proc.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        samples.append(int(line.split()[1]) // 1024)
            except OSError:
                break
            time.sleep(0.5)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = proc.communicate()
    sampler.join()
    elapsed = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"export failed: {err}")
    size = out.stat().st_size / 1e6
    quarter = max(1, len(samples) // 4)
    print(
        f"export to CSV: {err.strip()} in {elapsed:.1f} s ({size:,.0f} MB); RSS MB at 25/50/75/"
        f"100 %: {[samples[min(len(samples) - 1, i * quarter)] for i in (1, 2, 3)] + samples[-1:]}"
        f", peak {max(samples)}"
    )
    out.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    path = args.db or Path(f"/tmp/kn-bench-search/articles-{args.rows}.sqlite3")
    if args.rebuild or not path.exists():
        print(f"building {path} …", file=sys.stderr)
        build(path, args.rows)
    size = path.stat().st_size / 1e9
    print(f"{args.rows:,} articles, SQLite {sqlite3.sqlite_version}, {size:.1f} GB")
    run_queries(path, args.repeat)
    if not args.no_export:
        run_export(path, path.with_name("export.csv"))


if __name__ == "__main__":
    main()
