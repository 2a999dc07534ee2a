"""`kn-crawl sources` in a cluster: when each source is due next and which node has it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update

from kn_crawl.cli.sources import due_in
from kn_crawl.db.models import Source, table_of
from kn_crawl.db.runs import start_run
from kn_crawl.db.store import ensure_source
from kn_crawl.queries import source_rows

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # 13:00 in Berlin


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        (None, "now"),
        (NOW - timedelta(minutes=5), "now"),
        (NOW + timedelta(seconds=20), "in <1 min (13:00)"),
        (NOW + timedelta(minutes=12), "in 12 min (13:12)"),
        (NOW + timedelta(hours=2, minutes=5), "in 2 h 5 min (15:05)"),
        (NOW + timedelta(days=3), "in 3 d (02.12. 13:00)"),
    ],
)
def test_next_due_is_relative_and_in_berlin_time(when: datetime | None, shown: str) -> None:
    assert due_in(when, NOW) == shown


def test_node_column_names_the_running_node_or_the_claiming_one(engine: Engine) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ids = {
            name: ensure_source(conn, name=name, family="k21", title=name, base_url="http://x/")
            for name in ("running", "queued", "idle")
        }
        start_run(conn, source_id=ids["running"], base_url="http://x/", now=now, pid=1,
                  host="node-a")  # fmt: skip
        conn.execute(
            update(table_of(Source))
            .where(table_of(Source).c.id == ids["queued"])
            .values(claimed_at=now, claimed_by="node-b", next_due_at=now + timedelta(minutes=2))
        )
        rows = source_rows(conn)
    assert {name: rows[name].node for name in ids} == {
        "running": "running on node-a",
        "queued": "queued on node-b",
        "idle": "",
    }
