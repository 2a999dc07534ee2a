"""scheduler and health

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Reserved in the chain so features developed side by side get one linear history; the
feature that owns it fills in its tables.
"""

from __future__ import annotations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
