"""subscription states

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29

Self-service alerts from the web UI: a subscription made there is pending until its address
confirms it (double opt-in), and its owner can pause it. ``origin`` says where it was made.
Existing subscriptions (all made with the CLI) count as confirmed when they were created.
``web_writes`` records the web UI's writes for the rate limit, shared by every web process.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kn_crawl.db.models import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("alert_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("paused_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("origin", sa.String(length=8), nullable=False, server_default="cli")
        )
    op.execute("UPDATE alert_subscriptions SET confirmed_at = created_at")
    op.create_table(
        "web_writes",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_writes")),
    )
    op.create_index("ix_web_writes_client_created_at", "web_writes", ["client", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_web_writes_client_created_at", table_name="web_writes")
    op.drop_table("web_writes")
    with op.batch_alter_table("alert_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("origin")
        batch_op.drop_column("paused_at")
        batch_op.drop_column("confirmed_at")
