"""stories

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29

The ``stories`` table and ``articles.story_id``: articles of different sources that tell the
same news (a press release and its republications) share one story. ``articles.story_id`` has
no foreign key (SQLite would have to rebuild ``articles`` and its search triggers to add one);
the store keeps it right. Existing articles get their stories from ``kn-crawl stories
rebuild``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kn_crawl.db.models import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("first_article_id", BigId, nullable=True),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("first_published_at", UTCDateTime(), nullable=False),
        sa.Column("last_published_at", UTCDateTime(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("source_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_article_id"],
            ["articles.id"],
            name=op.f("fk_stories_first_article_id_articles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
        # SQLite would hand a deleted highest id out again; alerts remember stories by id.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_stories_last_published_at", "stories", ["last_published_at"])
    op.create_index("ix_stories_first_seen_at", "stories", ["first_seen_at"])
    op.add_column("articles", sa.Column("story_id", BigId, nullable=True))
    op.create_index("ix_articles_story_id", "articles", ["story_id"])


def downgrade() -> None:
    op.drop_index("ix_articles_story_id", table_name="articles")
    op.drop_column("articles", "story_id")
    op.drop_index("ix_stories_first_seen_at", table_name="stories")
    op.drop_index("ix_stories_last_published_at", table_name="stories")
    op.drop_table("stories")
