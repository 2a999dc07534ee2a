"""each run's own lease

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29

``crawl_runs.lease``: the seconds of silence after which the run is stale, written when the
run starts by the process that keeps its heartbeat (its ``KN_LEASE`` on PostgreSQL, ten
minutes on SQLite). Every node and every command judges a run by its own lease, not by the
reader's ``KN_LEASE``: a read-only command with a shorter lease failed live runs of workers
with a longer one. Null for older runs (judged by the old rules).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("crawl_runs", sa.Column("lease", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("crawl_runs", "lease")
