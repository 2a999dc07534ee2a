"""source catalogue and feed articles

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

``sources`` keeps what the catalogue says of each source beyond its name and base URL: why it is
disabled, and its language. ``articles`` gets ``author`` (feeds and bylines give one) and
``feed_only``: the article was stored from its feed entry alone, because its page could not or
must not be fetched (robots.txt, a wall, a setting). Plain ``ADD COLUMN``: no table is copied,
so the triggers on ``articles`` stay as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("disabled_reason", sa.Text(), nullable=True))
    op.add_column("sources", sa.Column("language", sa.String(16), nullable=True))
    op.add_column("articles", sa.Column("author", sa.Text(), nullable=True))
    op.add_column(
        "articles",
        sa.Column("feed_only", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("articles", "feed_only")
    op.drop_column("articles", "author")
    op.drop_column("sources", "language")
    op.drop_column("sources", "disabled_reason")
