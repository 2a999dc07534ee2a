"""alert channels

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29

``alert_subscriptions.channel`` and ``alert_emails.channel``: an Apprise URL (Matrix, Teams,
Slack, ntfy, JSON webhooks …) the alerts go to instead of an e-mail; NULL means e-mail, so
every existing row keeps its meaning. The URL may hold a token: it lives only in these two
columns, recipients are keyed by a digest of it (``channel:<scheme>:<hash>``), and every
listing shows it masked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alert_subscriptions", sa.Column("channel", sa.Text(), nullable=True))
    op.add_column("alert_emails", sa.Column("channel", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("alert_emails", "channel")
    op.drop_column("alert_subscriptions", "channel")
