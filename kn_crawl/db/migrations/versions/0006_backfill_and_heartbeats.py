"""backfill state and run heartbeats

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

``backfill_state``: per source, whether its archive has been walked to the end and the pages a
run left unread. ``crawl_runs`` gets ``host`` and ``heartbeat_at`` so that a run left
``running`` by a dead process can be recognised from any host. Plain ``ADD COLUMN`` (no batch
copy): ``crawl_runs`` is referenced by other tables, and ``articles`` is not touched at all
(its SQLite triggers would have to be recreated).

Sources crawled before this revision get no row: they count as complete (their archive state
is unknown; ``kn-crawl crawl --full`` walks it again).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kn_crawl.db.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = kn_crawl.db.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("crawl_runs", sa.Column("host", sa.String(length=255), nullable=True))
    op.add_column("crawl_runs", sa.Column("heartbeat_at", Time, nullable=True))
    op.create_table(
        "backfill_state",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("completed_at", Time, nullable=True),
        sa.Column("pending", sa.JSON(), nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.Column("run_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_backfill_state_run_id_crawl_runs")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_backfill_state_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_backfill_state")),
    )


def downgrade() -> None:
    op.drop_table("backfill_state")
    # SQLite 3.35+ drops plain columns in place (no index or key on them).
    op.drop_column("crawl_runs", "heartbeat_at")
    op.drop_column("crawl_runs", "host")
