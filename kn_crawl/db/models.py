"""The schema. Analysts query these tables directly, so names and meanings are a public
interface documented in the README; change them only with a migration and a README update."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no such type, so values are normalised to
    UTC on the way in and re-labelled as UTC on the way out. Naive values are refused: a naive
    datetime in this project is a bug (whose local time would it be?).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a timezone-aware column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Stable constraint names, so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Source(Base):
    """A site we crawl. Rows are upserted from the spider registry at each crawl."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    family: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    """Why the catalogue disables the source (a paywall, a cookie wall, …)."""
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    schedule: Mapped[str | None] = mapped_column(String(200))
    """The catalogue's schedule: an interval (``30m``) or ``cron:<expression>``; None: the
    default interval."""
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    """When the source is next due for a refresh; None: due now (never crawled)."""
    host: Mapped[str | None] = mapped_column(String(255), index=True)
    """The web host of ``base_url`` (lower case, no port): the unit of politeness. Sources of
    one host are crawled in one batch, under one per-host lock."""
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a tick last claimed the source for a batch."""
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    """The node whose tick claimed it."""


class CrawlRun(Base):
    """One crawl of one source: when, how it ended, and what it found."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    """``running``, ``ok``, ``failed``, ``timeout``, ``interrupted`` or ``skipped`` (its host
    was being crawled by another run: nothing fetched)."""
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    base_url: Mapped[str | None] = mapped_column(String(500))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, object] | None] = mapped_column(JSON)
    """Scrapy's full stats for the run (counters only), for diagnosis."""
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    """The host name of the crawling process: a pid means something only on its own host."""
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Renewed every ~30 s while the run is alive (``kn_crawl.db.runs.HEARTBEAT_EVERY``)."""
    batch: Mapped[str | None] = mapped_column(String(64))
    """The batch the run belonged to: a procrastinate job id, or a local batch id."""
    lease: Mapped[float | None] = mapped_column(Float)
    """Seconds without a heartbeat after which the run is stale: the lease of the process
    that beats for it, written at its start (None: an older run, judged by the old rules)."""


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("source_id", "site_article_id", name="uq_articles_source_site_article_id"),
        Index("ix_articles_source_fingerprint", "source_id", "fingerprint"),
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_source_published", "source_id", "published_at"),
        Index("ix_articles_story_id", "story_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(String(1000), unique=True)
    """Canonical URL, normalised (tracking parameters stripped)."""
    site_article_id: Mapped[str | None] = mapped_column(String(64))
    """The site's own id where it shows one (K21: the number of ``meldung_NNNN``)."""
    fingerprint: Mapped[str] = mapped_column(String(64))
    """Hash of source + normalised title + publication day: the same story under two URLs."""
    title: Mapped[str] = mapped_column(Text)
    kicker: Mapped[str | None] = mapped_column(Text)
    teaser: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    date_signal: Mapped[str | None] = mapped_column(String(32))
    section: Mapped[str | None] = mapped_column(String(200))
    type_label: Mapped[str | None] = mapped_column(String(64))
    image_url: Mapped[str | None] = mapped_column(String(1000))
    image_caption: Mapped[str | None] = mapped_column(Text)
    image_credit: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the content last changed (None until the first revision)."""
    first_seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    author: Mapped[str | None] = mapped_column(Text)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(16))
    feed_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Stored from its feed entry alone: the page could not or must not be fetched."""
    story_id: Mapped[int | None] = mapped_column(BigId)
    """The article's story (``stories.id``); None until clustered. No foreign key: SQLite
    cannot add one to an existing table without rebuilding ``articles`` (and its search
    triggers); the store keeps it right in the transaction that writes the article."""


class ArticleUrl(Base):
    """Every URL known to lead to an article: canonical, redirect sources, old forms."""

    __tablename__ = "article_urls"

    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )


class Tag(Base):
    """A Stichwort, once per normalised key."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL")
    )


class ArticleTag(Base):
    __tablename__ = "article_tags"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    """Order of the Stichwort on the page."""
    origin: Mapped[str] = mapped_column(String(16), default="site", server_default="site")
    """Who gave the Stichwort: ``site`` (the page), ``feed`` (its feed entry) or
    ``vocabulary`` (kn-crawl matched a term of its vocabulary in the text)."""


class ArticleRevision(Base):
    """The previous version of an article, kept whenever its content changed."""

    __tablename__ = "article_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    revised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """When the change was noticed (the old version was valid until then)."""
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    title: Mapped[str] = mapped_column(Text)
    kicker: Mapped[str | None] = mapped_column(Text)
    teaser: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(String(64))


class DroppedItem(Base):
    """A page or item that did not become an article, with the reason. Nothing is lost
    silently: analysts and maintainers see these with ``kn-crawl dropped``."""

    __tablename__ = "dropped_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(String(1000))
    stage: Mapped[str] = mapped_column(String(16))
    """``fetch`` (HTTP or network error), ``parse`` (extraction crashed) or ``validate``."""
    reason: Mapped[str] = mapped_column(String(64))
    """A short machine-readable code: ``http_404``, ``no_date``, ``no_title``, ``timeout``…"""
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Nothing was lost (the article was stored, or a cap left the rest for a later run or a
    trap): a note, not a drop. ``kn-crawl dropped`` marks it; counts of drops leave it out."""


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, typed as such (``__table__`` is typed as a FromClause)."""
    return cast(Table, model.__table__)
