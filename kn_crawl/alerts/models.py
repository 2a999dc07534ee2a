"""Alert tables: subscriptions, what matching has looked at, and the outbox.

Public like the rest of the schema (documented in the README, changed only with a migration).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kn_crawl.db.models import Base, BigId, UTCDateTime, utcnow

MODES = ("immediate", "daily", "weekly")
EMAIL_STATUSES = ("pending", "sent", "failed")


class AlertSubscription(Base):
    """Who wants to hear about what, and how often."""

    __tablename__ = "alert_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    """Recipient address as given (validated); matched case-insensitively. For a channel
    subscription the channel's recipient key ``channel:<scheme>:<hash>`` (never the URL)."""
    channel: Mapped[str | None] = mapped_column(Text)
    """Apprise URL the alerts go to (Matrix, Teams, Slack, ntfy, ``json://`` …); NULL: e-mail.
    May hold a token: shown only masked (``kn_crawl.alerts.channels.mask``)."""
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Stichwörter to follow, as typed (any spelling or synonym of a Stichwort matches)."""
    queries: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Keyword queries over title, kicker and teaser (the shared query language)."""
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Source names to limit to; empty means all sources."""
    new_tags: Mapped[bool] = mapped_column(Boolean, default=False)
    """Also tell about every Stichwort never seen before (limited to ``sources`` if set)."""
    mode: Mapped[str] = mapped_column(String(16), default="immediate")
    """``immediate`` (after each crawl), ``daily`` or ``weekly`` digest."""
    digest_time: Mapped[str] = mapped_column(String(5), default="07:00")
    """Local time (Europe/Berlin) of a digest, ``HH:MM``."""
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0)
    """Weekday of a weekly digest, 0 = Monday."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When its address confirmed it (double opt-in); NULL: pending, nothing is sent. The CLI
    creates confirmed subscriptions."""
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Paused by its owner since then (nothing is matched for it); NULL: running."""
    origin: Mapped[str] = mapped_column(String(8), default="cli", server_default="cli")
    """``cli`` or ``web`` (made in the web UI, with double opt-in)."""


class AlertMatchedArticle(Base):
    """Articles matching has looked at: the bookkeeping written in the same transaction as
    their outbox entries. A set rather than an id watermark, because PostgreSQL ids are handed
    out before commit: a crawl committing id 100 after id 101 would fall behind a watermark."""

    __tablename__ = "alert_matched_articles"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    held_back: Mapped[bool] = mapped_column(Boolean, default=False)
    """From the first crawl of its source and not alerted (``--include-backfill`` still can)."""


class AlertMatchedTag(Base):
    """Stichwörter matching has looked at for new-Stichwort alerts (see AlertMatchedArticle)."""

    __tablename__ = "alert_matched_tags"

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    held_back: Mapped[bool] = mapped_column(Boolean, default=False)


class AlertEmail(Base):
    """One message to deliver: a recipient's entries of one mode and due time, through one
    channel (an e-mail unless ``channel`` is set; the table keeps its first name). Its
    Message-ID is fixed when it is queued, so a retry (or a resend after a crash) carries the
    same one; other channels send it as their idempotency key where they can."""

    __tablename__ = "alert_emails"
    __table_args__ = (Index("ix_alert_emails_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    channel: Mapped[str | None] = mapped_column(Text)
    """Apprise URL to deliver through (copied from the subscription at queueing); NULL: e-mail."""
    mode: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """``pending``, ``sent`` or ``failed`` (permanent SMTP refusal; see ``last_error``)."""
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """When it may go out: at queueing for ``immediate``, the digest time otherwise."""
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """``due_at``, later after a temporary failure (exponential backoff)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """A sender's lease: nobody else sends it before then."""
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    """The SMTP server's answer (or the connection error) of the last failed attempt."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertOutbox(Base):
    """One queued item for one recipient: an article, or a Stichwort seen for the first time.
    The unique (recipient, item) key is what makes queueing idempotent."""

    __tablename__ = "alert_outbox"
    __table_args__ = (UniqueConstraint("recipient", "item_key", name="uq_alert_outbox_item"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    """Lower-cased address, or a channel's recipient key (``channel:<scheme>:<hash>``)."""
    item_key: Mapped[str] = mapped_column(String(40))
    """``story:<id>`` (an article of a story: a recipient hears of a story once),
    ``article:<id>`` (an article not clustered), ``tag:<id>`` or ``health:<event id>``."""
    kind: Mapped[str] = mapped_column(String(16))
    """``article`` or ``new_tag``."""
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_subscriptions.id", ondelete="SET NULL")
    )
    reasons: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    """Why it matched: ``{"kind": "tag"|"query"|"source"|"new_tag", "label": …, "terms": […]}``."""
    email_id: Mapped[int] = mapped_column(
        ForeignKey("alert_emails.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
