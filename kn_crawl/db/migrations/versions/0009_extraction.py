"""generic extraction: modification date, language, Stichwort origin

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

``articles`` keeps what the generic extractor reads beyond the publication date: when the page
says the article was last modified, and its declared language. ``article_tags.origin`` says who
gave a Stichwort: the site (``site``), its feed entry (``feed``) or kn-crawl's vocabulary
(``vocabulary``); rows from before default to ``site``, which is what they all were. Plain
``ADD COLUMN``: no table is copied, so the triggers on ``articles`` stay as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kn_crawl.db.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("modified_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("articles", sa.Column("language", sa.String(16), nullable=True))
    op.add_column(
        "article_tags",
        sa.Column("origin", sa.String(16), server_default="site", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("article_tags", "origin")
    op.drop_column("articles", "language")
    op.drop_column("articles", "modified_at")
