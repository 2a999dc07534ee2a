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
import shutil
import sqlite3
import statistics
import string
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kn_crawl.db.engine import make_engine  # noqa: E402
from kn_crawl.db.migrate import (  # noqa: E402
    current_revision,
    head_revision,
    upgrade,
)
from kn_crawl.mirror import vocab  # noqa: E402
from kn_crawl.query import parse_query  # noqa: E402
from kn_crawl.search import count, facets, search  # noqa: E402
from kn_crawl.search.insights import find_tag, weekly_counts  # noqa: E402
from kn_crawl.search.readonly import readonly_engine  # noqa: E402
from kn_crawl.settings import redact_url  # noqa: E402
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


# --- PostgreSQL ---------------------------------------------------------------------------

PG_DATABASE = "kn_bench"
# Only for building: GIN indexes of 1,000,000 documents build in one pass with enough memory
# (the default 64 MB makes them spill and merge).
PG_BUILD_MEMORY = "1GB"


def _pg_timestamp(value: str) -> str:
    return value + "+00"  # the generated times are UTC; timestamptz wants the offset


def build_postgres(url: str, rows: int) -> None:
    """The same articles as ``build``: migrations up to 0003, COPY, then 0004 and on create
    and backfill ``article_search`` with the expressions of the trigger the store fires."""
    import psycopg

    started = time.perf_counter()
    # Only for this process's connections (libpq reads PGOPTIONS): nothing stays configured.
    os.environ["PGOPTIONS"] = f"-c maintenance_work_mem={PG_BUILD_MEMORY}"
    engine = make_engine(url)
    upgrade(engine, "0003")
    engine.dispose()
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    now = "2025-01-31 12:00:00+00"
    tag_ids: dict[str, int] = {}
    tags: list[tuple[int, str, str, str, int]] = []
    links: list[tuple[int, int, int]] = []
    with psycopg.connect(conninfo) as db, db.cursor() as cur:
        with cur.copy(
            "COPY sources (id, name, family, title, base_url, enabled, created_at) FROM STDIN"
        ) as copy:
            for n, name in enumerate(SOURCES):
                copy.write_row((n + 1, name, "k21", name, f"https://{name}.invalid/", True, now))
        with cur.copy(
            "COPY articles (id, source_id, url, site_article_id, fingerprint, title, kicker,"
            " teaser, body, published_at, date_signal, section, content_hash, first_seen_at,"
            " last_seen_at) FROM STDIN"
        ) as copy:
            for row in _articles(rows):
                copy.write_row((*row[:9], _pg_timestamp(row[9]), "visible", row[10], "x", now, now))
                for position, name in enumerate(row[-1]):
                    key = tag_key(name)
                    if key not in tag_ids:
                        tag_ids[key] = len(tag_ids) + 1
                        tags.append((tag_ids[key], key, name, now, row[0]))
                    links.append((row[0], tag_ids[key], position))
                if row[0] % BATCH == 0:
                    rate = row[0] / (time.perf_counter() - started)
                    print(f"\r  {row[0]:>9,} articles ({rate:,.0f}/s)", end="", file=sys.stderr)
        print(file=sys.stderr)
        with cur.copy(
            "COPY tags (id, key, name, first_seen_at, first_article_id) FROM STDIN"
        ) as copy:
            for tag in tags:
                copy.write_row(tag)
        with cur.copy("COPY article_tags (article_id, tag_id, position) FROM STDIN") as copy:
            for link in links:
                copy.write_row(link)
        # Explicit ids were loaded: move the identity sequences past them.
        for table in ("sources", "articles", "tags"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    loaded = time.perf_counter()
    print(f"loaded in {loaded - started:.0f} s", file=sys.stderr)
    engine = make_engine(url)
    upgrade(engine)
    print(f"migrations 0004+ indexed them in {time.perf_counter() - loaded:.0f} s", file=sys.stderr)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        analysed = time.perf_counter()
        conn.exec_driver_sql("VACUUM ANALYZE")
        print(f"VACUUM ANALYZE in {time.perf_counter() - analysed:.0f} s", file=sys.stderr)
    engine.dispose()
    del os.environ["PGOPTIONS"]
    print(f"built {rows:,} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _pg_is_built(url: str) -> bool:
    """Whether the articles are there; a database built by an older revision is upgraded (as
    an operator would: ``kn-crawl db upgrade``, then ``VACUUM ANALYZE``)."""
    engine = make_engine(url)
    try:
        revision = current_revision(engine)
        if revision is None or revision < "0004":
            return False
        with engine.connect() as conn:
            if not conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM article_search)").scalar():
                return False
        if revision != head_revision(engine):
            started = time.perf_counter()
            upgrade(engine)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
            print(
                f"upgraded {revision} -> {head_revision(engine)} in"
                f" {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
        return True
    finally:
        engine.dispose()


class _BenchServer:
    """The throw-away cluster of tests/conftest.py, kept in a folder between runs."""

    def __init__(self, root: Path) -> None:
        from tests.conftest import PostgresServer, _pg_bindir

        bindir = _pg_bindir()
        if bindir is None:
            raise SystemExit("no PostgreSQL binaries (initdb, postgres) found; give --postgres URL")
        self.server = PostgresServer(bindir, root)

    def __enter__(self) -> str:
        fresh = not (self.server.data / "PG_VERSION").exists()
        self.server.start()
        if fresh:
            self.server.create_database(PG_DATABASE)
        return self.server.url(PG_DATABASE)

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


# --- measuring ----------------------------------------------------------------------------

# (key, label, p95 target in ms)
MEASURES: list[tuple[str, str, float | None]] = [
    ("top20", "search: top 20, ranked, snippets", 100),
    ("with_total", "search: top 20 + total count", None),
    ("tag_page", "Stichwort page: newest 20 + count", 30),
    ("trend", "weekly trend of one Stichwort", 200),
    ("facets", "facet counts of a broad query (exact)", None),
    ("facets_web", "facet counts, newest 20,000 matches (web)", None),
]


@dataclass
class Figures:
    """What one backend measured: times (ms) per measure, and lines worth printing."""

    backend: str
    times: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


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


def run_queries(url: str, repeat: int, backend: str) -> Figures:
    figures = Figures(backend)
    times = figures.times
    engine = readonly_engine(url)
    with engine.connect() as conn:
        parsed = [parse_query(q) for q in QUERIES]
        times["top20"], times["with_total"] = [], []
        per_query = []
        for q, query in zip(QUERIES, parsed, strict=True):
            top20 = measure(
                lambda query=query: search(conn, query, limit=20, with_total=False), repeat
            )
            times["top20"] += top20
            per_query.append((q, statistics.median(top20)))
            times["with_total"] += measure(
                lambda query=query: search(conn, query, limit=20), max(3, repeat // 3)
            )
        for q, median in sorted(per_query, key=lambda x: -x[1])[:5]:
            figures.notes.append(f"slowest: {q!r:<40} median {median:7.1f} ms")

        tag_names = ["OZG", "E-Akte", "Dortmund", "Projekt 7", "Projekt 400", "Glasfaser"]
        tags = [t for t in (find_tag(conn, tag_key(n)) for n in tag_names) if t]

        def tag_page(t: tuple[int, str, str, datetime]) -> object:
            return search(conn, parse_query(f'tag:"{t[2]}"'), limit=20, order="date")

        times["tag_page"], times["trend"] = [], []
        for t in tags:
            times["tag_page"] += measure(lambda t=t: tag_page(t), repeat)
            times["trend"] += measure(lambda t=t: weekly_counts(conn, t[0]), repeat)
        times["facets"], times["facets_web"] = [], []
        for q in BROAD_QUERIES:
            query = parse_query(q)
            times["facets"] += measure(lambda query=query: facets(conn, query), max(3, repeat // 3))
            # The web UI counts a sample only when there are more matches than that.
            sample = 20_000 if count(conn, query) > 20_000 else None
            times["facets_web"] += measure(
                lambda query=query, sample=sample: facets(conn, query, sample=sample),
                max(3, repeat // 3),
            )
        for q in BROAD_QUERIES:
            figures.notes.append(f"{q!r}: {count(conn, parse_query(q)):,} matches")
        counts = {n: conn.exec_driver_sql(f"SELECT count(*) FROM {n}").scalar() for n in
                  ("articles", "article_tags", "tags")}  # fmt: skip
        figures.notes.append(f"database: {counts}")
    engine.dispose()
    return figures


def run_export(url: str, out: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATABASE_URL"] = url
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
    out.unlink()
    quarter = max(1, len(samples) // 4)
    rss = [samples[min(len(samples) - 1, i * quarter)] for i in (1, 2, 3)] + samples[-1:]
    return (
        f"export to CSV: {err.strip()} in {elapsed:.1f} s ({size:,.0f} MB); RSS MB at"
        f" 25/50/75/100 %: {rss}, peak {max(samples)}"
    )


def print_figures(all_figures: list[Figures]) -> None:
    """One row per measure, median and p95 of each backend side by side."""
    header = f"{'':<44}" + "".join(f" {f.backend + ' median':>20} {'p95':>9}" for f in all_figures)
    print(header + "   target")
    for key, label, target in MEASURES:
        line = f"{label:<44}"
        verdicts = []
        for f in all_figures:
            times = f.times[key]
            line += f" {statistics.median(times):17.1f} ms {p95(times):6.1f} ms"
            if target is not None and p95(times) > target:
                verdicts.append(f"{f.backend} OVER")
        if target is not None:
            line += f"   p95 <= {target:.0f} ms" + (
                f" ({', '.join(verdicts)})" if verdicts else " ok"
            )
        print(line)
    print(f"  (n = {', '.join(f'{k} {len(all_figures[0].times[k])}' for k, _, _ in MEASURES)})")
    for f in all_figures:
        print(f"{f.backend}:")
        for note in f.notes:
            print(f"    {note}")


def _sqlite_path(args: argparse.Namespace) -> Path:
    return args.db or Path(f"/tmp/kn-bench-search/articles-{args.rows}.sqlite3")


def _sqlite_figures(args: argparse.Namespace, *, build_missing: bool) -> Figures | None:
    path = _sqlite_path(args)
    if (args.rebuild and build_missing) or not path.exists():
        if not build_missing:
            print(f"(no SQLite database at {path}: PostgreSQL only)", file=sys.stderr)
            return None
        print(f"building {path} …", file=sys.stderr)
        build(path, args.rows)
    size = path.stat().st_size / 1e9
    print(f"SQLite {sqlite3.sqlite_version}: {path} ({size:.1f} GB)")
    figures = run_queries(f"sqlite:///{path}", args.repeat, "SQLite")
    if not args.no_export:
        figures.notes.append(run_export(f"sqlite:///{path}", path.with_name("export.csv")))
    return figures


def _postgres_figures(args: argparse.Namespace, url: str) -> Figures | None:
    if args.rebuild or not _pg_is_built(url):
        print(f"building {args.rows:,} articles in {redact_url(url)} …", file=sys.stderr)
        build_postgres(url, args.rows)
    if args.build_only:
        return None
    engine = make_engine(url)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar()
        size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
        settings = dict(conn.exec_driver_sql(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name IN "
            "('shared_buffers', 'work_mem', 'effective_cache_size', 'jit')"
        ).all())  # fmt: skip
    engine.dispose()
    print(f"PostgreSQL {version}: {redact_url(url)} ({int(size or 0) / 1e9:.1f} GB; {settings})")
    figures = run_queries(url, args.repeat, "PostgreSQL")
    if not args.no_export:
        figures.notes.append(
            run_export(url, Path(f"/tmp/kn-bench-search/export-pg-{os.getpid()}.csv"))
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="the SQLite database (built when missing)")
    parser.add_argument(
        "--postgres", nargs="?", const="", metavar="URL",
        help="measure PostgreSQL too: this database (built when empty), or without a URL a "
        "throw-away cluster kept under /tmp/kn-bench-search/pg-ROWS/",
    )  # fmt: skip
    parser.add_argument("--no-sqlite", action="store_true", help="with --postgres: skip SQLite")
    parser.add_argument("--build-only", action="store_true", help="with --postgres: build, stop")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    print(f"{args.rows:,} articles")
    if args.postgres is None:
        sqlite_figures = _sqlite_figures(args, build_missing=True)
        assert sqlite_figures is not None
        print_figures([sqlite_figures])
        return
    all_figures: list[Figures] = []
    if not args.no_sqlite and not args.build_only:
        sqlite_figures = _sqlite_figures(args, build_missing=False)
        all_figures += [sqlite_figures] if sqlite_figures else []
    if args.postgres:
        pg_figures = _postgres_figures(args, args.postgres)
    else:
        root = Path(f"/tmp/kn-bench-search/pg-{args.rows}")
        if args.rebuild:
            shutil.rmtree(root, ignore_errors=True)
        with _BenchServer(root) as url:
            pg_figures = _postgres_figures(args, url)
    if pg_figures is not None:
        print_figures([*all_figures, pg_figures])


if __name__ == "__main__":
    main()
