"""Story clustering: quality on the labelled set, cost per article, lookup at 1,000,000 articles.

    .venv/bin/python bench/bench_stories.py [--quality] [--cost] [--crawl] [--lookup]
        [--articles 100] [--rounds 3] [--size 1000] [--rows 1000000] [--postgres URL]

(no part named: all four)

- ``--quality``: every pair of ``kn_crawl.mirror.story_pairs`` (the zoo's planted press
  releases, their look-alikes and every other cross-site pair within the window; hand-made
  German pairs) sketched with several shingle kinds; precision and recall per threshold of the
  MinHash estimate; then the chosen configuration as the store runs it (LSH bands, then the
  estimate), with its false pairs named.
- ``--cost``: CPU per article in this process of what the page worker and the store do for a
  crawled article — extracting its page (the zoo's own HTML, ``read_generic``) and storing it
  in batches of 50 into SQLite — with clustering and without (the store's clustering call
  replaced by a no-op), alternating, ``--rounds`` times; fresh database each run.
- ``--crawl``: the whole crawl's CPU per article, clustering on and off: the real crawl of the
  mirror (``--size``, three sources, ``bench/crawl_child.py``) into a fresh SQLite database,
  CPU of the crawl process plus its page worker divided by the articles stored; off and on
  alternate ``--rounds`` times after a warm-up (off: a ``sitecustomize`` on PYTHONPATH replaces
  the store's hook in both processes; no production switch).
- ``--lookup``: SQLite databases (and PostgreSQL with ``--postgres URL``: databases
  ``URL_10000`` ... must exist) of 10,000, 100,000 and ``--rows`` articles with random sketches,
  their buckets and one story each, built once (cached under /tmp/kn-bench-stories/) and
  ANALYZEd; then the store's clustering of a batch of 50 new articles (``assign``, rolled back;
  CPU of this process), median of 20: the index is queried, never rebuilt.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from datasketch import MinHash
from sqlalchemy import func, select, text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kn_crawl.db import store as store_module  # noqa: E402
from kn_crawl.db.engine import make_engine  # noqa: E402
from kn_crawl.db.migrate import upgrade  # noqa: E402
from kn_crawl.db.store import ArticleStore, ensure_source  # noqa: E402
from kn_crawl.extract.result import read_generic  # noqa: E402
from kn_crawl.items import ArticleItem  # noqa: E402
from kn_crawl.mirror.story_pairs import Pair, Side, judge, labelled_pairs  # noqa: E402
from kn_crawl.mirror.zoo import ZOO_SOURCES, build_site  # noqa: E402
from kn_crawl.stories import clustering, sketch  # noqa: E402
from kn_crawl.stories.text import SHINGLE_WORDS, story_text  # noqa: E402

NOW = datetime(2025, 2, 1, tzinfo=UTC)

# -- quality ---------------------------------------------------------------------------------


def _words(n: int) -> Callable[[str], set[str]]:
    def grams(text: str) -> set[str]:
        w = text.split()
        if len(w) <= n:
            return {" ".join(w)} if w else set()
        return {" ".join(w[i : i + n]) for i in range(len(w) - n + 1)}

    return grams


def _chars(n: int) -> Callable[[str], set[str]]:
    def grams(text: str) -> set[str]:
        return {text[i : i + n] for i in range(max(1, len(text) - n + 1))}

    return grams


SCHEMES: dict[str, Callable[[str], set[str]]] = {
    "words-2": _words(2),
    "words-3": _words(3),
    "words-4": _words(4),
    "chars-5": _chars(5),
}


def _estimates(pairs: list[Pair], grams: Callable[[str], set[str]]) -> list[float]:
    cache: dict[int, np.ndarray] = {}
    perms = MinHash(num_perm=sketch.NUM_PERM, seed=sketch.SEED, scheme=sketch.SCHEME).permutations

    def sig(side: Side) -> np.ndarray:
        key = id(side)
        if key not in cache:
            m = MinHash(
                num_perm=sketch.NUM_PERM,
                seed=sketch.SEED,
                permutations=perms,
                scheme=sketch.SCHEME,
                hashfunc=zlib.crc32,
            )
            g = grams(story_text(side.title, side.teaser, side.body))
            m.update_batch([x.encode() for x in g])
            cache[key] = m.hashvalues
        return cache[key]

    return [float(np.mean(sig(p.a) == sig(p.b))) for p in pairs]


def _pr(labels: list[bool], predicted: list[bool]) -> tuple[float, float, int, int, int]:
    tp = sum(1 for y, p in zip(labels, predicted, strict=True) if y and p)
    fp = sum(1 for y, p in zip(labels, predicted, strict=True) if not y and p)
    fn = sum(1 for y, p in zip(labels, predicted, strict=True) if y and not p)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def quality() -> None:
    pairs = labelled_pairs()
    labels = [p.same for p in pairs]
    kinds: dict[str, list[int]] = {}
    for p in pairs:
        kinds.setdefault(p.kind, [0, 0])[0 if p.same else 1] += 1
    print(f"labelled set: {len(pairs)} pairs, {sum(labels)} same")
    for kind, (same, other) in sorted(kinds.items()):
        print(f"  {kind}: {same} same, {other} not")
    thresholds = [round(0.15 + 0.05 * k, 2) for k in range(14)]
    for name, grams in SCHEMES.items():
        est = _estimates(pairs, grams)
        hardest_neg = max(e for e, y in zip(est, labels, strict=True) if not y)
        weakest_pos = min(e for e, y in zip(est, labels, strict=True) if y)
        print(
            f"\n{name}: weakest same pair {weakest_pos:.3f}, strongest other pair "
            f"{hardest_neg:.3f} (margin {weakest_pos - hardest_neg:+.3f})"
        )
        print("  threshold  precision  recall   tp  fp  fn")
        for t in thresholds:
            prec, rec, tp, fp, fn = _pr(labels, [e >= t for e in est])
            print(f"  {t:9.2f}  {prec:9.3f}  {rec:6.3f}  {tp:3d} {fp:3d} {fn:3d}")
    # As the store runs it: a shared LSH bucket, then the estimate.
    v = judge(pairs)
    print(
        f"\nchosen: words-{SHINGLE_WORDS} shingles, {sketch.NUM_PERM} permutations, threshold "
        f"{sketch.THRESHOLD}, LSH {sketch.BANDS} bands x {sketch.ROWS} rows, window "
        f"{sketch.WINDOW.days} days"
    )
    print(
        f"  precision {v.precision:.3f}  recall {v.recall:.3f}  (tp {v.true_same}, "
        f"fp {v.false_same}, fn {v.missed}, tn {v.true_other})"
    )
    for name in v.wrong:
        print(f"  wrong: {name}")


# -- cost ------------------------------------------------------------------------------------


def _crawled(per_site: int) -> list[tuple[str, bytes, str]]:
    """(source, page bytes, URL) of every dated article page of every zoo site."""
    pages = []
    for source in ZOO_SOURCES:
        site = build_site(source, count=per_site)
        for art in site.articles:
            if not art.dated or site.feed_only:
                continue
            reply = site.route(site.article_path(art), {})
            if reply.status == 200:
                pages.append((source, reply.body, site.article_url(art)))
    return pages


def _items(pages: list[tuple[str, bytes, str]]) -> tuple[list[ArticleItem], float]:
    items = []
    started = time.process_time()
    for source, body, url in pages:
        item = read_generic(body, url, source=source).item
        if item.title and item.published_at is not None:
            items.append(item)
    return items, (time.process_time() - started) / max(1, len(pages))


def _store_all(items: list[ArticleItem], clustered: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/kn.sqlite3")
        upgrade(engine)
        ids: dict[str, int] = {}
        with engine.begin() as conn:
            for source in ZOO_SOURCES:
                ids[source] = ensure_source(
                    conn, name=source, family="generic", title=source, base_url="https://x/"
                )
        store = ArticleStore(engine)
        original = store_module.assign_stories
        if not clustered:
            store_module.assign_stories = lambda conn, ids, *, now: None
        try:
            started = time.process_time()
            by_source: dict[str, list[ArticleItem]] = {}
            for it in items:
                by_source.setdefault(it.source, []).append(it)
            for source, batch in by_source.items():
                for i in range(0, len(batch), 50):
                    store.save(ids[source], source, batch[i : i + 50], now=NOW)
            spent = time.process_time() - started
        finally:
            store_module.assign_stories = original
        engine.dispose()
    return spent / len(items)


def cost(per_site: int, rounds: int) -> None:
    pages = _crawled(per_site)
    items, extract_s = _items(pages)
    print(f"cost: {len(items)} articles from {len(pages)} zoo pages")
    print(f"  extraction (read_generic) {extract_s * 1000:.3f} ms CPU per article")
    off: list[float] = []
    on: list[float] = []
    _store_all(items[:100], True)  # warm-up: imports, caches, the permutations
    for _ in range(rounds):
        off.append(_store_all(items, False))
        on.append(_store_all(items, True))
    o, c = statistics.median(off), statistics.median(on)
    print(f"  store without clustering {o * 1000:.3f} ms, with {c * 1000:.3f} ms CPU per article")
    print(f"    (runs off: {', '.join(f'{x * 1000:.3f}' for x in off)};")
    print(f"     runs on:  {', '.join(f'{x * 1000:.3f}' for x in on)})")
    added = c - o
    print(f"  clustering adds {added * 1000:.3f} ms per article:")
    print(f"    {added / o:+.1%} of the store's CPU")
    print(f"    {added / (o + extract_s):+.1%} of extraction + store (the page worker's work)")
    t0 = time.process_time()
    for it in items:
        sketch.signature(it.title, it.teaser, it.body)
    print(f"  of which sketching {(time.process_time() - t0) / len(items) * 1000:.3f} ms")


# -- the crawl's CPU per article, clustering on and off ---------------------------------------

_OFF = "import kn_crawl.db.store as s\ns.assign_stories = lambda conn, told, *, now: None\n"
"""Clustering off, for the bench only: a ``sitecustomize`` that replaces the store's hook in
every process started with its directory on PYTHONPATH (the crawl and its page worker)."""


def crawl_cost(size: int, rounds: int) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    from bench_crawl import child, start_mirror

    mirror, bases = start_mirror(size)
    pairs = [f"{name}={base}" for name, base in bases.items()]
    figures: dict[str, list[float]] = {"off": [], "on": []}
    # The crawl process alone never clusters (the page worker stores): its on/off ratio is
    # the machine's drift between the paired runs, the control for the figures above.
    crawl_only: dict[str, list[float]] = {"off": [], "on": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "off").mkdir()
            (Path(tmp) / "off" / "sitecustomize.py").write_text(_OFF)
            before = os.environ.get("PYTHONPATH")

            def run(mode: str, n: int) -> dict[str, float]:
                db = Path(tmp) / f"{mode}-{n}.sqlite3"
                if mode == "off":
                    os.environ["PYTHONPATH"] = str(Path(tmp) / "off")
                try:
                    got = child("real", f"sqlite:///{db}", str(Path(tmp) / "urls"), *pairs)
                finally:
                    if before is None:
                        os.environ.pop("PYTHONPATH", None)
                    else:
                        os.environ["PYTHONPATH"] = before
                engine = make_engine(f"sqlite:///{db}")
                with engine.connect() as conn:
                    got["stories"] = conn.execute(
                        select(func.count()).select_from(clustering.stories_t)
                    ).scalar_one()
                engine.dispose()
                db.unlink()
                return got

            run("on", 0)  # warm-up: the mirror's page cache, the disk cache
            for n in range(rounds):
                # Alternating, the order swapped every round: the machine's speed drifts.
                for mode in ("off", "on") if n % 2 == 0 else ("on", "off"):
                    got = run(mode, n + 1)
                    per = (got["cpu_s"] + got["worker_cpu_s"]) / max(got["new"], 1)
                    figures[mode].append(per)
                    crawl_only[mode].append(got["cpu_s"] / max(got["new"], 1))
                    print(
                        f"  crawl {mode:>3}: {got['new']} articles, {got['stories']} stories, "
                        f"CPU crawl {got['cpu_s']:.2f} s + page worker {got['worker_cpu_s']:.2f}"
                        f" s = {per * 1000:.2f} ms per article",
                        flush=True,
                    )
    finally:
        mirror.terminate()
        mirror.wait()
    off, on = statistics.median(figures["off"]), statistics.median(figures["on"])
    print(
        f"crawl CPU per article (crawl process + page worker), median of {rounds}: "
        f"off {off * 1000:.2f} ms, on {on * 1000:.2f} ms: clustering adds "
        f"{(on - off) * 1000:.2f} ms = {(on - off) / off:+.1%}"
    )
    pairs_ = [b / a - 1 for a, b in zip(figures["off"], figures["on"], strict=True)]
    print(f"  per round (on/off - 1): {', '.join(f'{p:+.1%}' for p in pairs_)}")
    control = [b / a - 1 for a, b in zip(crawl_only["off"], crawl_only["on"], strict=True)]
    print(
        "  control, the crawl process alone (it does not cluster), per round: "
        f"{', '.join(f'{p:+.1%}' for p in control)}"
    )


# -- lookup at scale -------------------------------------------------------------------------

CACHE = Path("/tmp/kn-bench-stories")


def _fill(url: str, rows: int) -> int:
    """A database holding ``rows`` articles with random sketches, their buckets and one story
    each, published 5 minutes apart (~4,000 inside any 14-day window); built once (kept under
    /tmp/kn-bench-stories/ for SQLite) and returned as is when it holds ``rows`` already.

    Fast: the sketches come from numpy in blocks, every row goes in through the driver's
    executemany in large transactions, and the 34 bucket rows per article go in sorted by
    their key (appended to the primary key's B-tree instead of scattered over it) with the
    ``article_id`` index built afterwards, in one sort. The fill used to insert each block's
    buckets into a growing B-tree at random places: 10,000-45,000 articles a minute."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        have = conn.execute(select(func.count()).select_from(clustering.articles)).scalar_one()
        rows_in = conn.execute(select(func.count()).select_from(clustering.buckets_t)).scalar_one()
    if have == rows and rows_in == rows * sketch.BANDS:
        engine.dispose()
        return int(have)
    if have:
        raise SystemExit(f"{url} is not a complete bench database of {rows:,}: remove it first")
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        sid = ensure_source(conn, name="bench", family="generic", title="b", base_url="https://b/")
        if sqlite:
            # The bench's rows need no search index: its triggers would triple the build.
            for trig in list(
                conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'")).scalars()
            ):
                conn.execute(text(f'DROP TRIGGER "{trig}"'))
        conn.execute(text("DROP INDEX ix_story_buckets_article_id"))
    rng = np.random.default_rng(7)
    start = datetime(2016, 1, 1, tzinfo=UTC)
    block = 50_000
    t0 = time.perf_counter()
    raw = engine.raw_connection()
    mark = "?" if sqlite else "%s"
    cur = raw.cursor()
    if sqlite:
        # Build speed only (a bench database, rebuilt when lost): no fsync, a big page cache.
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-2000000")
    all_keys = np.empty((rows, sketch.BANDS), dtype=np.int64)
    for base in range(0, rows, block):
        n = min(block, rows - base)
        sigs = rng.integers(0, 2**32 - 1, size=(n, sketch.NUM_PERM), dtype=np.uint32)
        all_keys[base : base + n] = sketch.bucket_matrix(sigs)
        art, sto, sig = [], [], []
        for k in range(n):
            aid = base + k + 1
            published = start + timedelta(minutes=5 * aid)
            when: object = f"{published:%Y-%m-%d %H:%M:%S.%f}" if sqlite else published
            # Zero-padded: the unique URL and fingerprint indexes grow at their end too.
            art.append(
                (
                    aid,
                    sid,
                    f"https://b/{aid:08d}",
                    f"{aid:08d}",
                    f"A {aid}",
                    when,
                    "h",
                    when,
                    when,
                    aid,
                    False,
                )
            )
            sto.append((aid, aid, when, when, when, 1, 1, when))
            sig.append((aid, sigs[k].astype("<u4").tobytes(), when))
        cur.executemany(
            "INSERT INTO articles (id, source_id, url, fingerprint, title, published_at, "
            "content_hash, first_seen_at, last_seen_at, story_id, feed_only) VALUES "
            f"({', '.join([mark] * 11)})",
            art,
        )
        cur.executemany(
            "INSERT INTO stories (id, first_article_id, first_seen_at, first_published_at, "
            "last_published_at, article_count, source_count, updated_at) VALUES "
            f"({', '.join([mark] * 8)})",
            sto,
        )
        cur.executemany(
            "INSERT INTO story_signatures (article_id, signature, sketched_at) "
            f"VALUES ({mark}, {mark}, {mark})",
            sig,
        )
        raw.commit()
    print(
        f"  … {rows:,} articles, sketches, stories ({time.perf_counter() - t0:.0f} s)", flush=True
    )
    flat = all_keys.ravel()
    del all_keys
    order = np.argsort(flat, kind="stable")
    keys_sorted = flat[order]
    owners = (order // sketch.BANDS + 1).astype(np.int64)
    del order, flat
    step = 1_000_000
    for i in range(0, len(keys_sorted), step):
        cur.executemany(
            f"INSERT INTO story_buckets (bucket, article_id) VALUES ({mark}, {mark})",
            zip(keys_sorted[i : i + step].tolist(), owners[i : i + step].tolist(), strict=True),
        )
        raw.commit()
    print(f"  … {len(keys_sorted):,} bucket rows ({time.perf_counter() - t0:.0f} s)", flush=True)
    cur.execute("CREATE INDEX ix_story_buckets_article_id ON story_buckets (article_id)")
    if not sqlite:
        cur.execute("SELECT setval('articles_id_seq', (SELECT max(id) FROM articles))")
        cur.execute("SELECT setval('stories_id_seq', (SELECT max(id) FROM stories))")
    cur.execute("ANALYZE")
    raw.commit()
    raw.close()
    engine.dispose()
    print(f"  … built in {time.perf_counter() - t0:.0f} s", flush=True)
    return rows


def _lookup(url: str, new_articles: list[ArticleItem], repeat: int = 20) -> float:
    """Median CPU ms of clustering a batch of new articles (rolled back each time)."""
    engine = make_engine(url)
    times = []
    for r in range(repeat + 1):
        with engine.connect() as conn:
            tx = conn.begin()
            sid = conn.execute(select(clustering.articles.c.source_id).limit(1)).scalar_one()
            ids = []
            for k, it in enumerate(new_articles):
                ids.append(
                    int(
                        conn.execute(
                            clustering.articles.insert()
                            .values(
                                source_id=sid,
                                url=f"https://new/{r}/{k}",
                                fingerprint=f"n{k}",
                                title=it.title,
                                teaser=it.teaser,
                                body=it.body,
                                published_at=it.published_at,
                                content_hash="x",
                                first_seen_at=NOW,
                                last_seen_at=NOW,
                                feed_only=False,
                            )
                            .returning(clustering.articles.c.id)
                        ).scalar_one()
                    )
                )
            told = clustering.told_of(conn, ids)
            # CPU time: on SQLite the database works in this process too, and a busy machine
            # (others' jobs) would inflate wall time.
            started = time.process_time()
            clustering.assign(conn, told, now=NOW)
            spent = time.process_time() - started
            tx.rollback()
        if r:  # the first is a warm-up
            times.append(spent)
    engine.dispose()
    return statistics.median(times) * 1000


def lookup(rows: int, postgres: str | None) -> None:
    items, _ = _items(_crawled(5))
    batch = [
        # Inside the span of every database (10,000 rows cover 35 days).
        replace(it, published_at=datetime(2016, 1, 21, tzinfo=UTC))
        for it in items[:50]
    ]
    CACHE.mkdir(exist_ok=True)
    sizes = [n for n in (10_000, 100_000) if n < rows] + [rows]
    for n in sizes:
        # A database per size, built once: the clustering step queries the index as stored,
        # it never rebuilds it.
        targets = [("sqlite", f"sqlite:///{CACHE}/stories-{n}.sqlite3")]
        if postgres:
            targets.append(("postgresql", f"{postgres.rstrip('/')}_{n}"))
        for name, url in targets:
            t0 = time.perf_counter()
            _fill(url, n)
            built = time.perf_counter() - t0
            ms = _lookup(url, batch)
            print(
                f"lookup {name}, {n:,} articles (built in {built:.0f} s): "
                f"{ms:.1f} ms CPU per batch of {len(batch)} ({ms / len(batch):.2f} ms per article)",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--cost", action="store_true")
    parser.add_argument("--lookup", action="store_true")
    parser.add_argument("--crawl", action="store_true")
    parser.add_argument("--size", type=int, default=1000, help="mirror size for --crawl")
    parser.add_argument("--articles", type=int, default=100, help="articles per zoo site")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres", help="a PostgreSQL database URL to grow the lookup database in"
    )
    args = parser.parse_args()
    every = not (args.quality or args.cost or args.lookup or args.crawl)
    if every or args.quality:
        quality()
    if every or args.cost:
        cost(args.articles, args.rounds)
    if every or args.crawl:
        crawl_cost(args.size, args.rounds)
    if every or args.lookup:
        lookup(args.rows, args.postgres)


if __name__ == "__main__":
    main()
