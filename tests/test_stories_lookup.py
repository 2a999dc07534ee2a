"""The clustering step's candidate lookup stays one primary-key probe per bucket key, also
where the database has statistics (``ANALYZE``) that make a scan of the time span look
cheaper: at 10,000 articles that plan cost 974 ms per batch of 50 instead of ~30 ms, and it
grows with the articles inside the window (``bench/bench_stories.py --lookup``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.items import ArticleItem

NOW = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)

# What ANALYZE wrote for the bench's database of 10,000 articles and 340,000 bucket rows.
STATS = [
    ("story_buckets", "ix_story_buckets_article_id", "340000 34"),
    ("story_buckets", "story_buckets", "340000 1 1"),
    ("articles", "ix_articles_published_at", "10000 1"),
    ("articles", "ix_articles_story_id", "10000 1"),
]


def items(count: int) -> list[ArticleItem]:
    # Distinct texts of 40 words each: enough shingles to be sketched and bucketed.
    return [
        ArticleItem(
            source="s",
            url=f"https://s.example/{n}",
            fetched_url=f"https://s.example/{n}",
            title=f"Meldung {n}",
            body=" ".join(f"w{n}x{k}" for k in range(40)),
            published_at=NOW - timedelta(hours=n),
            date_signal="visible",
        )
        for n in range(count)
    ]


def test_the_candidate_lookup_probes_the_bucket_key_first_with_statistics(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/kn.sqlite3"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        source_id = ensure_source(
            conn, name="s", family="generic", title="S", base_url="https://s.example/"
        )
        conn.execute(text("ANALYZE"))
        conn.execute(text("DELETE FROM sqlite_stat1"))
        for tbl, idx, stat in STATS:
            conn.execute(
                text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (:t, :i, :s)"),
                {"t": tbl, "i": idx, "s": stat},
            )
    engine.dispose()  # statistics are read when a connection opens
    engine = make_engine(url)
    seen: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "story_buckets" in statement:
            seen.append((statement, params))

    # One batch of 50, as the crawl stores them: 1,700 bucket keys.
    ArticleStore(engine).save(source_id, "s", items(50), now=NOW)
    assert len(seen) == 1
    statement, params = seen[0]
    with engine.connect() as conn:
        plan = [r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)]
    engine.dispose()
    assert plan[0] == "SEARCH b USING PRIMARY KEY (bucket=?)"
    assert plan[-1] == "SEARCH a USING INTEGER PRIMARY KEY (rowid=?)"
