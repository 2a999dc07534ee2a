"""search

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

Reserved in the chain so features developed side by side get one linear history; the
feature that owns it fills in its tables.
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
