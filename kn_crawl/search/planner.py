"""PostgreSQL planner settings for single statements of the read paths.

PostgreSQL prices a row's full-text test and a walk's early stop poorly for these queries, and
has no hints; these blocks set the planner's options for the current transaction only and
restore them after. Where they are used:

- Date walks (a Stichwort page, filters alone): the planner happily runs a walk that stops
  after one page (``LIMIT 20``) with parallel workers behind a Gather Merge; each worker then
  walks its share of the index ahead of what the page needs, and starting them costs more than
  the page. On the 1,000,000-article bench database a Stichwort page took 540 ms so, 15 ms
  without workers. Workers stay on for counts and facets, which read everything.
- The newest matches of a text search by the index (``postgresql.walk_newest``): without
  sequential scans, so the matches come from the GIN index (41,582 matches: 1.0 s by a
  sequential scan testing every document, ~0.3 s by the index).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection


@contextmanager
def planner_settings(conn: Connection, **values: str) -> Iterator[None]:
    """Within the block, PostgreSQL plans with these settings (for the current transaction
    only, restored after); other backends are left as they are."""
    if conn.dialect.name != "postgresql" or not values:
        yield
        return
    before = {
        name: conn.execute(
            text("SELECT current_setting(:name), set_config(:name, :value, true)"),
            {"name": name, "value": value},
        ).scalar_one()
        for name, value in values.items()
    }
    yield
    # Not in a ``finally``: after a database error the transaction is aborted, and its
    # rollback undoes the settings anyway.
    for name, value in before.items():
        conn.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})


def serial(conn: Connection) -> AbstractContextManager[None]:
    """Plan without parallel workers (date walks)."""
    return planner_settings(conn, max_parallel_workers_per_gather="0")


def by_index(conn: Connection) -> AbstractContextManager[None]:
    """Plan without sequential scans (the matches come from the text index)."""
    return planner_settings(conn, enable_seqscan="off")
