"""Write transactions that outlive a PostgreSQL restart.

``pg_ctl restart -m fast`` ends every session; for a second or two new ones are refused
("the database system is starting up"). A crawl's write that fails that way is lost work
(its articles would wait for the source's next run, hours later), while the same
transaction a moment later succeeds. So crawl writes on PostgreSQL are retried on a fresh
connection, for a bounded time, when the error is the connection's (``OperationalError``:
sessions ended, refused, the server starting or shutting down), never for what the data
did (constraint violations, bad values). Every transaction retried is whole and idempotent
(upserts, the fence first). SQLite is never retried: its operational errors (a read-only
file, a full disk) do not pass by waiting, and its own lock wait is ``busy_timeout``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from kn_crawl.db.errors import db_error_line

logger = logging.getLogger(__name__)

T = TypeVar("T")

STORE_BUDGET_S = 30.0
"""How long the page worker's article writes keep trying (a restart takes seconds)."""
REACTOR_BUDGET_S = 8.0
"""How long writes on a crawl's reactor thread keep trying: it beats nothing meanwhile."""


def transient(engine: Engine, exc: BaseException) -> bool:
    """A connection failure on PostgreSQL, which the same transaction survives later."""
    if engine.dialect.name != "postgresql" or not isinstance(exc, DBAPIError):
        return False
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)


def retrying(engine: Engine, write: Callable[[], T], *, what: str, budget_s: float) -> T:
    """``write()`` (one whole transaction), again on a connection failure until ``budget_s``
    has passed; the last failure is raised."""
    deadline = time.monotonic() + budget_s
    pause = 0.25
    while True:
        try:
            return write()
        except DBAPIError as exc:
            if not transient(engine, exc) or time.monotonic() + pause > deadline:
                raise
            logger.warning(
                "%s: the database connection failed (%s); trying again in %.2g s",
                what,
                db_error_line(exc),
                pause,
            )
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
