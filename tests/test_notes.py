"""A note (nothing lost) is kept apart from a drop: marked in ``kn-crawl dropped``, left out of
the counts of drops and of the health evidence's sample of a failed page."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert

from kn_crawl.db.models import CrawlRun, Source
from kn_crawl.db.runs import Drop, record_drops
from kn_crawl.health import _failed_page
from kn_crawl.queries import dropped_rows, totals

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_notes_are_marked_and_not_counted_as_drops(engine: Engine) -> None:
    with engine.begin() as conn:
        source_id = conn.execute(
            insert(Source)
            .values(name="move", family="k21", title="move", base_url="http://x/")
            .returning(Source.id)
        ).scalar_one()
        run_id = conn.execute(
            insert(CrawlRun)
            .values(source_id=source_id, started_at=NOW, status="ok")
            .returning(CrawlRun.id)
        ).scalar_one()
        record_drops(
            conn,
            [
                Drop("http://x/a/", "parse", "offsite_canonical", "canonical elsewhere", True),
                Drop("http://x/b/", "fetch", "http_404", "HTTP 404"),
            ],
            run_id=run_id,
            source_id=source_id,
            now=NOW,
        )
    with engine.connect() as conn:
        rows = dropped_rows(conn, run_id=run_id)
        assert sorted((r[3], r[4]) for r in rows) == [
            ("http_404", "http://x/b/"),
            ("offsite_canonical (note)", "http://x/a/"),
        ]
        assert totals(conn, [run_id]).dropped_by_reason == {"http_404": 1}
        assert _failed_page(conn, run_id) == "http://x/b/"
