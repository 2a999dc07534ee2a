"""The web UI's writes (self-service alerts), recorded for the rate limit: a table rather than
process memory, so every web process behind a load balancer counts the same writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kn_crawl.db.models import Base, BigId, UTCDateTime, utcnow


class WebWrite(Base):
    """One write request of the web UI (subscribe, confirm, change, unsubscribe)."""

    __tablename__ = "web_writes"
    __table_args__ = (Index("ix_web_writes_client_created_at", "client", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    """A keyed hash of the client's address (the address itself is not stored)."""
    action: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
