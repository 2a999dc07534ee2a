"""story index

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29

The LSH index of story clustering, in the database: ``story_signatures`` (each article's
MinHash sketch) and ``story_buckets`` (one row per band and article). It lives with the
articles so that it is never rebuilt per crawl, is shared by every node, and is written in
the store's transaction. Existing articles are sketched by ``kn-crawl stories rebuild``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kn_crawl.db.models import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "story_signatures",
        sa.Column("article_id", BigId, nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("sketched_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_story_signatures_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_story_signatures")),
    )
    op.create_table(
        "story_buckets",
        sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_story_buckets_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bucket", "article_id", name=op.f("pk_story_buckets")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_story_buckets_article_id", "story_buckets", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_story_buckets_article_id", table_name="story_buckets")
    op.drop_table("story_buckets")
    op.drop_table("story_signatures")
