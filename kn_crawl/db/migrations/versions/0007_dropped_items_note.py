"""dropped_items.note

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

A row of ``dropped_items`` is a note when nothing was lost (the article was stored, or a cap
left the rest of a site for a later run): ``kn-crawl dropped`` marks it, counts of drops leave
it out. Rows written before are drops (``false``). A plain ``ADD COLUMN``: no table is copied.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "dropped_items",
        sa.Column("note", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    # SQLite 3.35+ drops a plain column in place (no index or key on it).
    op.drop_column("dropped_items", "note")
