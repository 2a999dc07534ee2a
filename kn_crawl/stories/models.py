"""The ``stories`` table. Public like the rest of the schema (documented in the README,
changed only with a migration).

Every clustered article belongs to exactly one story (most stories have one article);
``articles.story_id`` says which. The counts and times here are kept up to date in the same
transaction that stores, changes or deletes a member article.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from kn_crawl.db.models import Base, BigId, UTCDateTime, utcnow


class Story(Base):
    """One piece of news and the articles of every source that told it."""

    __tablename__ = "stories"
    __table_args__ = (
        Index("ix_stories_last_published_at", "last_published_at"),
        Index("ix_stories_first_seen_at", "first_seen_at"),
        # Never reuse an id on SQLite (whose plain INTEGER key hands a deleted highest id out
        # again): alerts remember stories by id (``story:<id>``), links name them.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    first_article_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("articles.id", ondelete="SET NULL")
    )
    """The story's earliest article (by publication, then by when it was first seen)."""
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """When kn-crawl first saw any article of the story."""
    first_published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """The newest member's publication: what "trending" and "active" stories sort by."""
    article_count: Mapped[int] = mapped_column(Integer, default=1)
    source_count: Mapped[int] = mapped_column(Integer, default=1)
    """How many different sources told the story."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """When an article last joined, changed within or left the story."""


class StorySignature(Base):
    """An article's MinHash sketch (``kn_crawl.stories.sketch``), kept so that a candidate
    found in the LSH index is verified without re-reading and re-hashing its text."""

    __tablename__ = "story_signatures"

    article_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    """``NUM_PERM`` little-endian unsigned 32-bit hash values."""
    sketched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoryBucket(Base):
    """The LSH index, in the database: one row per (band, article). ``bucket`` hashes the band's
    number together with its rows of the signature, so one indexed column answers "which
    articles share a band with this one" (no separate band column is needed)."""

    __tablename__ = "story_buckets"
    __table_args__ = (
        Index("ix_story_buckets_article_id", "article_id"),
        # On SQLite the rows live in the primary key's B-tree itself: a third less space
        # (0.6 KB per article) and one B-tree less to insert into.
        {"sqlite_with_rowid": False},
    )

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
