"""covering indexes for the read paths on PostgreSQL

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29

PostgreSQL only. A Stichwort's weekly trend (and a search filtered by date) reads each matching
article's publication time; through ``articles`` itself that is one heap page per article,
because the row carries the whole body: 41,281 articles of a common Stichwort took ~250 ms on
the 1,000,000-article bench database. ``ix_articles_id_published_at`` (``id`` with
``published_at`` included) answers it from the index, and ``ix_article_tags_tag_article`` gives
a Stichwort's articles without visiting ``article_tags`` rows: together ~100 ms. (SQLite reads
the same values from ``article_facets``, migration 0005.) Both need the visibility map that
autovacuum keeps; after a bulk load run ``VACUUM ANALYZE``.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_articles_id_published_at ON articles (id) "
        "INCLUDE (published_at)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_article_tags_tag_article "
        "ON article_tags (tag_id, article_id)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_article_tags_tag_article")
    op.execute("DROP INDEX IF EXISTS ix_articles_id_published_at")
