"""filter values of articles in one covering index on PostgreSQL

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29

PostgreSQL only. A text search with a filter (``source:``, ``section:``, ``since:``/``until:``)
checks each match's source, section or date; read from ``articles`` that is one heap page per
match, because the row carries the whole body (31,451 matches of ``Smart City`` took ~270 ms
of look-ups in ``pk_articles`` on the 1,000,000-article bench database). The index
``ix_articles_id_filters`` — ``id`` with ``published_at``, ``source_id`` and ``section``
included — answers them from the index, like SQLite's narrow ``article_facets`` table
(migration 0005). ``0011``'s narrower ``ix_articles_id_published_at`` stays for what reads the
date alone (a Stichwort's trend, date filters): fewer pages to read there. Needs the visibility
map autovacuum keeps; after a bulk load run ``VACUUM ANALYZE``.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_articles_id_filters ON articles (id) "
        "INCLUDE (published_at, source_id, section)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_articles_id_filters")
