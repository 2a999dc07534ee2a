"""PostgreSQL planner settings for the read paths' date walks.

A walk reads articles newest first and stops after one page (``LIMIT 20``). PostgreSQL's
planner happily runs such a walk with parallel workers behind a Gather Merge: each worker then
walks its share of the index ahead of what the page needs, and starting them costs more than
the page. On the synthetic 1,000,000-article database a Stichwort page took 540 ms so, 15 ms
without workers. Parallel workers stay on for the counts and facets, which read everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection

_SETTING = "max_parallel_workers_per_gather"


@contextmanager
def serial(conn: Connection) -> Iterator[None]:
    """Within the block, PostgreSQL plans without parallel workers (for the current
    transaction only, and restored after); other backends are left as they are."""
    if conn.dialect.name != "postgresql":
        yield
        return
    before = conn.execute(
        text("SELECT current_setting(:name), set_config(:name, '0', true)"), {"name": _SETTING}
    ).scalar_one()
    yield
    # Not in a ``finally``: after a database error the transaction is aborted, and its
    # rollback undoes the setting anyway.
    conn.execute(
        text("SELECT set_config(:name, :value, true)"), {"name": _SETTING, "value": before}
    )
