"""Backfill state: has a source's archive been walked to the end, and which pages did the last
run leave unread (the cursor the next run continues from)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from kn_crawl.db.models import Source, table_of
from kn_crawl.db.state_models import BackfillState
from kn_crawl.db.upsert import upsert

backfill_t = table_of(BackfillState)

# At most this many pages in a cursor; a run that leaves more keeps none, and the next run
# walks the listings from the start (kn_crawl.crawling.backfill).
MAX_PENDING = 10_000
PAGE_KINDS = ("feed", "listing", "article")


@dataclass(frozen=True, slots=True)
class PendingPage:
    """A page queued but not read when a run ended."""

    url: str
    kind: str
    """``feed``, ``listing`` (archive, home, topic and section pages) or ``article``."""
    page: int = 1
    """Its place in its listing chain (1 = first page)."""
    backfill: bool = False
    """Queued by a backfill: its chain is read to the end, through known articles."""

    @property
    def is_listing(self) -> bool:
        return self.kind != "article"

    def to_json(self) -> dict[str, object]:
        return {"url": self.url, "kind": self.kind, "page": self.page, "backfill": self.backfill}

    @classmethod
    def from_json(cls, data: Any) -> PendingPage | None:
        """None for anything that is not a well-formed entry (the column is JSON)."""
        if not isinstance(data, dict):
            return None
        url, kind, page = data.get("url"), data.get("kind"), data.get("page", 1)
        if not isinstance(url, str) or kind not in PAGE_KINDS or not isinstance(page, int):
            return None
        return cls(url=url, kind=str(kind), page=page, backfill=data.get("backfill") is True)


@dataclass(frozen=True, slots=True)
class ArchiveState:
    complete: bool
    pending: tuple[PendingPage, ...] = ()
    completed_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def pending_listings(self) -> int:
        return sum(1 for p in self.pending if p.is_listing)

    @property
    def incomplete(self) -> bool:
        """The first walk has not reached the end of the archive, or a run left listing
        pages unread."""
        return not self.complete or self.pending_listings > 0

    def describe(self) -> str:
        """``archive incomplete (3 listing pages pending)``, or "" for a complete archive."""
        if not self.incomplete:
            return ""
        n = self.pending_listings
        return f"archive incomplete ({n} listing page{'' if n == 1 else 's'} pending)"


def ordered(pages: Iterable[PendingPage]) -> list[PendingPage]:
    """Listing pages first (by chain position), then articles; at most ``MAX_PENDING``."""
    return sorted(pages, key=lambda p: (not p.is_listing, p.page, p.url))[:MAX_PENDING]


def _state(row: Any) -> ArchiveState:
    pages = (PendingPage.from_json(p) for p in (row.pending or []))
    return ArchiveState(
        complete=bool(row.complete),
        pending=tuple(p for p in pages if p is not None),
        completed_at=row.completed_at,
        updated_at=row.updated_at,
    )


def load_state(conn: Connection, source_id: int) -> ArchiveState | None:
    row = conn.execute(select(backfill_t).where(backfill_t.c.source_id == source_id)).first()
    return _state(row) if row is not None else None


def archive_states(conn: Connection) -> dict[str, ArchiveState]:
    """Every source's state by source name (sources without a row are not listed)."""
    rows = conn.execute(
        select(backfill_t, Source.name.label("source")).join(
            Source, Source.id == backfill_t.c.source_id
        )
    ).all()
    return {r.source: _state(r) for r in rows}


def save_state(
    conn: Connection,
    source_id: int,
    *,
    complete: bool,
    pending: Sequence[PendingPage],
    run_id: int | None,
    now: datetime,
) -> None:
    previous = load_state(conn, source_id)
    if previous is not None and previous.completed_at is not None:
        completed_at: datetime | None = previous.completed_at
    else:
        completed_at = now if complete else None
    upsert(
        conn,
        backfill_t,
        [
            {
                "source_id": source_id,
                "complete": complete,
                "completed_at": completed_at,
                "pending": [p.to_json() for p in ordered(pending)],
                "updated_at": now,
                "run_id": run_id,
            }
        ],
        ("source_id",),
    )
