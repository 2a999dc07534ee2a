"""Operational state: HTTP validators for incremental refresh, source health, hook results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kn_crawl.db.models import Base, BigId, UTCDateTime, utcnow


class HttpValidator(Base):
    """What a feed or listing URL looked like last time: for conditional requests
    (ETag / Last-Modified) and a body hash, since some servers send the same validators for
    changed content or ignore conditional requests."""

    __tablename__ = "http_validators"

    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SourceHealth(Base):
    """The current health of a source, with the evidence of its failing checks."""

    __tablename__ = "source_health"

    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="healthy")
    """``healthy``, ``degraded`` or ``failing``."""
    evidence: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    """The failing checks: ``{"check", "message", "value", "baseline", "sample_url"}``."""
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the complaint was last raised (repeated at most once a day while unresolved)."""


class HealthEvent(Base):
    """A change of a source's health, or a daily reminder while it stays bad. Admin
    notification reads these."""

    __tablename__ = "health_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    """``degraded``, ``failing``, ``reminder`` or ``recovered``."""
    status: Mapped[str] = mapped_column(String(16))
    previous_status: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    notified: Mapped[bool] = mapped_column(Boolean, default=False)


class HookFailure(Base):
    """The outcome of an after-run hook that failed (successes are not recorded)."""

    __tablename__ = "hook_failures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hook: Mapped[str] = mapped_column(String(200))
    run_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=1)


class BackfillState(Base):
    """How far a source's archive has been walked. A first crawl is complete only when every
    listing chain it follows reached its end; until then, and after any run that ended early,
    ``pending`` holds the pages queued but not read, which the next run requests first."""

    __tablename__ = "backfill_state"

    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    """``{"url", "kind" (feed, listing, article), "page", "backfill"}`` for each page."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    """The run that wrote this state last."""


class RobotsCache(Base):
    """An origin's robots.txt as last fetched, kept up to 24 hours (RFC 9309 §2.4)."""

    __tablename__ = "robots_cache"

    origin: Mapped[str] = mapped_column(String(300), primary_key=True)
    """``scheme://host[:port]``, as robots.txt is per origin."""
    status: Mapped[int] = mapped_column(Integer)
    """The HTTP status of the fetch (2xx: rules in ``body``; 4xx: no rules)."""
    body: Mapped[bytes] = mapped_column(LargeBinary)
    """The part of the file that is parsed (at most 500 KiB, see kn_crawl.crawling.robots)."""
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
