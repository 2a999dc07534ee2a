"""Database errors as one line for logs and ``dropped_items``, and the crawl's check that it
can write before it fetches anything.

SQLAlchemy's exception text carries the statement and its parameters (several KB of SQL
for a batch, and article text); PostgreSQL's message adds ``DETAIL`` lines that quote the
offending values. Only the exception class and the database's first message line are kept.
"""

from __future__ import annotations

from sqlalchemy import Engine, false, select, update
from sqlalchemy.exc import SQLAlchemyError, StatementError

from kn_crawl.db.models import (
    Article,
    ArticleRevision,
    ArticleTag,
    ArticleUrl,
    CrawlRun,
    DroppedItem,
    Source,
    Tag,
    table_of,
)
from kn_crawl.db.state_models import BackfillState

MAX_LINE = 300

NOT_WRITABLE = "database_not_writable"
"""The finish reason of a crawl that stopped before its first request because its run could
not be recorded."""

# The tables a crawl writes to: rows are inserted into all of them, and updated in these.
_INSERTED = [
    table_of(m)
    for m in (
        Source,
        CrawlRun,
        DroppedItem,
        Article,
        ArticleUrl,
        Tag,
        ArticleTag,
        ArticleRevision,
        BackfillState,
    )
]
_UPDATED = [table_of(m) for m in (Source, CrawlRun, Article, BackfillState)]


class DatabaseNotWritable(Exception):
    """The crawl cannot write its results; the message is one line, without the URL."""


def db_error_line(exc: BaseException) -> str:
    """``"IntegrityError: UNIQUE constraint failed: articles.url"``: the class and the first
    line of the database's own message, without SQL or parameters."""
    cause: BaseException | None = exc.orig if isinstance(exc, StatementError) else None
    if cause is not None:
        message = str(cause)
    else:
        # Other SQLAlchemy errors put the statement after the message, on lines of its own.
        message = str(exc).split("\n[SQL:", 1)[0].split("(Background on this error", 1)[0]
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    line = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return line[:MAX_LINE]


def check_writable(engine: Engine) -> None:
    """Raise ``DatabaseNotWritable`` unless this connection may write every table a crawl
    writes, checked in a transaction that is rolled back and changes nothing.

    Each check is an ``INSERT … SELECT`` / ``UPDATE`` that matches no row: the database still
    checks that it may write (a read-only SQLite file, directory or ``mode=ro`` URL; a
    read-only PostgreSQL transaction or role; a missing privilege) but no row, sequence
    number or page is used. A full disk cannot be predicted this way — SQLite fails only when
    it must grow the file — so the crawl's first real write (its run record) is the check
    for that, and it aborts the crawl before the first request as well.
    """
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            for table in _INSERTED:
                column = next(iter(table.primary_key.columns))
                conn.execute(
                    table.insert().from_select([column.name], select(column).where(false()))
                )
            for table in _UPDATED:
                column = next(iter(table.primary_key.columns))
                conn.execute(update(table).where(false()).values({column.name: column}))
            transaction.rollback()
    except SQLAlchemyError as exc:
        raise DatabaseNotWritable(db_error_line(exc)) from None
