"""scheduler and health: HTTP validators, source health, health events, hook failures

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kn_crawl.db.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = kn_crawl.db.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "http_validators",
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(length=300), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("checked_at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_http_validators_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_http_validators")),
    )
    with op.batch_alter_table("http_validators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_http_validators_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "source_health",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("since", Time, nullable=False),
        sa.Column("checked_at", Time, nullable=False),
        sa.Column("last_run_id", BigId, nullable=True),
        sa.Column("notified_at", Time, nullable=True),
        sa.ForeignKeyConstraint(
            ["last_run_id"], ["crawl_runs.id"], name=op.f("fk_source_health_last_run_id_crawl_runs")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_source_health_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_source_health")),
    )

    op.create_table(
        "health_events",
        sa.Column("id", BigId, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("previous_status", sa.String(length=16), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("run_id", BigId, nullable=True),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_health_events_run_id_crawl_runs")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_health_events_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_events")),
    )
    with op.batch_alter_table("health_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_events_source_id"), ["source_id"], unique=False)

    op.create_table(
        "hook_failures",
        sa.Column("id", BigId, nullable=False),
        sa.Column("hook", sa.String(length=200), nullable=False),
        sa.Column("run_ids", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hook_failures")),
    )


def downgrade() -> None:
    op.drop_table("hook_failures")
    with op.batch_alter_table("health_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_events_source_id"))
    op.drop_table("health_events")
    op.drop_table("source_health")
    with op.batch_alter_table("http_validators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_http_validators_source_id"))
    op.drop_table("http_validators")
