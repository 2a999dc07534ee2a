"""Names of the search objects that migrations 0004 and 0005 create by hand-written DDL.

They are not SQLAlchemy tables (SQLite FTS5 virtual tables and their shadow tables cannot be
declared; PostgreSQL's ``article_search`` and SQLite's ``article_facets`` are maintained only by
triggers, and the latter exists on SQLite alone), so this module tells
Alembic's autogenerate comparison to leave them alone instead of proposing to drop them.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate.compare import comparators
from alembic.operations import ops
from alembic.util.langhelpers import DispatchPriority, PriorityDispatchResult

SQLITE_FTS_TABLES = ("articles_fts", "search_words_trigram")
SQLITE_TABLES = ("search_words", "article_facets")
# FTS5 keeps its index in shadow tables named after the virtual table.
_FTS5_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")
POSTGRESQL_TABLES = ("article_search",)
# Covering indexes for the read paths, on PostgreSQL only (migrations 0011 and 0012).
POSTGRESQL_INDEXES = frozenset(
    ("ix_articles_id_published_at", "ix_articles_id_filters", "ix_article_tags_tag_article")
)

SEARCH_TABLES = frozenset(
    (
        *SQLITE_FTS_TABLES,
        *SQLITE_TABLES,
        *(table + suffix for table in SQLITE_FTS_TABLES for suffix in _FTS5_SHADOWS),
        *POSTGRESQL_TABLES,
    )
)


def is_search_table(name: str | None) -> bool:
    return name in SEARCH_TABLES


def _is_postgresql_index(op: Any) -> bool:
    return isinstance(op, ops.DropIndexOp) and op.index_name in POSTGRESQL_INDEXES


@comparators.dispatch_for("schema", priority=DispatchPriority.LAST)
def _ignore_search_tables(
    autogen_context: Any, upgrade_ops: ops.UpgradeOps, schemas: Any
) -> PriorityDispatchResult:
    # Dropping a table is reported with its indexes as separate operations; all name it.
    upgrade_ops.ops[:] = [
        op for op in upgrade_ops.ops if not is_search_table(getattr(op, "table_name", None))
    ]
    # An index of an existing table is reported inside that table's operations.
    for op in upgrade_ops.ops:
        if isinstance(op, ops.ModifyTableOps):
            op.ops[:] = [o for o in op.ops if not _is_postgresql_index(o)]
    upgrade_ops.ops[:] = [
        op for op in upgrade_ops.ops if not (isinstance(op, ops.ModifyTableOps) and not op.ops)
    ]
    return PriorityDispatchResult.CONTINUE
