"""batched refreshes and the cluster: schedules in ``sources``, batches, robots.txt cache

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

``sources`` carries its schedule (from the catalogue), when it is next due, the web host it
lives on (sources of one host are crawled in one batch, under one per-host lock) and which
node's tick claimed it last. ``crawl_runs.batch`` names the batch a run belonged to (a
procrastinate job id, or a local batch id). ``robots_cache`` keeps each origin's robots.txt for
up to 24 hours (RFC 9309 §2.4), so an unchanged source costs one conditional request. Plain
``ADD COLUMN``: no table is copied.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kn_crawl.db.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("schedule", sa.String(200), nullable=True))
    op.add_column("sources", sa.Column("next_due_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("sources", sa.Column("host", sa.String(255), nullable=True))
    op.add_column("sources", sa.Column("claimed_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("sources", sa.Column("claimed_by", sa.String(255), nullable=True))
    op.create_index("ix_sources_next_due_at", "sources", ["next_due_at"])
    op.create_index("ix_sources_host", "sources", ["host"])
    op.add_column("crawl_runs", sa.Column("batch", sa.String(64), nullable=True))
    op.create_index("ix_crawl_runs_status", "crawl_runs", ["status"])
    op.create_table(
        "robots_cache",
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_robots_cache")),
    )


def downgrade() -> None:
    op.drop_table("robots_cache")
    op.drop_index("ix_crawl_runs_status", table_name="crawl_runs")
    op.drop_column("crawl_runs", "batch")
    op.drop_index("ix_sources_host", table_name="sources")
    op.drop_index("ix_sources_next_due_at", table_name="sources")
    for column in ("claimed_by", "claimed_at", "host", "next_due_at", "schedule"):
        op.drop_column("sources", column)
