"""The outbox's delivery state: claiming due e-mails with a lease, and recording each attempt.

Every transition is one small transaction guarded by the claim, so a sender whose lease ran out
(it crashed, or hung past the lease) cannot overwrite what another sender recorded since.
Delivery is at-least-once: a crash between the server's "250 OK" and ``mark_sent`` sends the
e-mail again after the lease, with the same Message-ID, so mail clients can drop the copy.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update
from sqlalchemy.engine import Connection

from kn_crawl.alerts.channels import mask
from kn_crawl.alerts.models import AlertEmail, AlertOutbox
from kn_crawl.db.models import table_of

emails_t = table_of(AlertEmail)
outbox_t = table_of(AlertOutbox)

LEASE = timedelta(minutes=10)
"""Longer than a send can take (SMTP timeout × a few round trips × a batch)."""
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 15
"""Temporary failures are retried for about two days, then the e-mail is marked failed."""


def new_delivery_key() -> str:
    """The message's key for its whole life, whatever its channel (stored in the ``message_id``
    column): the e-mail channel derives its Message-ID from it, webhooks send it as their
    ``Idempotency-Key``. The same on every retry, so receivers can drop a second copy."""
    return uuid.uuid4().hex


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 1, 2, 4 … minutes, at most 6 hours."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def _claimable(
    now: datetime,
    *,
    retry_now: bool,
    channels: bool | None = None,
    modes: tuple[str, ...] | None = None,
) -> Any:
    e = emails_t
    conditions = [
        e.c.status == "pending",
        or_(e.c.claimed_by.is_(None), e.c.claimed_until < now),
    ]
    if modes is not None:
        conditions.append(e.c.mode.in_(modes))
    if channels is not None:
        conditions.append(e.c.channel.is_not(None) if channels else e.c.channel.is_(None))
    if retry_now:
        conditions.append(e.c.due_at <= now)
    else:
        conditions.append(e.c.next_attempt_at <= now)
    return and_(*conditions)


def claim(
    engine: Engine,
    *,
    now: datetime,
    lease: timedelta = LEASE,
    limit: int = 100,
    retry_now: bool = False,
    channels: bool | None = None,
    modes: tuple[str, ...] | None = None,
) -> tuple[str, list[int]]:
    """Lease up to ``limit`` due e-mails to a new claim; returns the claim and their ids.
    ``channels``: True only channel messages, False only e-mails, None both. ``modes``: only
    e-mails of these modes (the web process sends ``confirm`` ones only), None all.

    One UPDATE whose WHERE is checked again on each row it changes (PostgreSQL re-reads a row
    another transaction just claimed; SQLite writers are serialised), so two senders never
    hold the same e-mail.
    """
    token = uuid.uuid4().hex
    e = emails_t
    claimable = _claimable(now, retry_now=retry_now, channels=channels, modes=modes)
    due = select(e.c.id).where(claimable).order_by(e.c.next_attempt_at, e.c.id).limit(limit)
    with engine.begin() as conn:
        ids = (
            conn.execute(
                update(e)
                .where(e.c.id.in_(due.scalar_subquery()), claimable)
                .values(claimed_by=token, claimed_until=now + lease)
                .returning(e.c.id)
            )
            .scalars()
            .all()
        )
    return token, sorted(int(i) for i in ids)


def _finish(engine: Engine, email_id: int, token: str, **values: Any) -> bool:
    e = emails_t
    with engine.begin() as conn:
        result = conn.execute(
            update(e)
            .where(e.c.id == email_id, e.c.claimed_by == token)
            .values(claimed_by=None, claimed_until=None, **values)
        )
    return bool(result.rowcount)


def mark_sent(engine: Engine, email_id: int, token: str, *, now: datetime) -> bool:
    return _finish(
        engine, email_id, token, status="sent", sent_at=now, attempts=emails_t.c.attempts + 1
    )


def mark_failed(engine: Engine, email_id: int, token: str, *, now: datetime, error: str) -> bool:
    return _finish(
        engine, email_id, token, status="failed", last_error=error[:2000],
        attempts=emails_t.c.attempts + 1,
    )  # fmt: skip


def mark_retry(engine: Engine, email_id: int, token: str, *, now: datetime, error: str) -> str:
    """A temporary failure: pending again after the backoff, or failed after MAX_ATTEMPTS.
    Returns the new status."""
    with engine.connect() as conn:
        attempts = (
            conn.execute(select(emails_t.c.attempts).where(emails_t.c.id == email_id)).scalar_one()
            + 1
        )
    if attempts >= MAX_ATTEMPTS:
        mark_failed(
            engine, email_id, token, now=now, error=f"gave up after {attempts} attempts: {error}"
        )
        return "failed"
    _finish(
        engine, email_id, token, attempts=attempts, last_error=error[:2000],
        next_attempt_at=now + backoff(attempts),
    )  # fmt: skip
    return "pending"


def mark_written(engine: Engine, ids: list[int], *, now: datetime) -> None:
    """Done without sending: the demo wrote these to files for a reader to look at. Status
    ``written``, so no later sender mails the sample subscriber what the demo promised not to
    send. Only messages still pending and not held by a sender."""
    if not ids:
        return
    e = emails_t
    with engine.begin() as conn:
        conn.execute(
            update(e)
            .where(
                e.c.id.in_(ids),
                e.c.status == "pending",
                or_(e.c.claimed_by.is_(None), e.c.claimed_until < now),
            )
            .values(status="written", sent_at=now, claimed_by=None, claimed_until=None)
        )


def release(engine: Engine, ids: list[int], token: str) -> None:
    """Give claimed e-mails back untouched (the sender stops before trying them)."""
    if ids:
        with engine.begin() as conn:
            conn.execute(
                update(emails_t)
                .where(emails_t.c.id.in_(ids), emails_t.c.claimed_by == token)
                .values(claimed_by=None, claimed_until=None)
            )


def delete_empty(engine: Engine, email_id: int, token: str) -> None:
    """An e-mail whose entries are all gone (their articles were deleted): nothing to send.
    A confirmation entry whose subscription was confirmed or ended since (rendering left it
    out) counts as gone, or the e-mail would be claimed again after every lease."""
    e = emails_t
    with engine.begin() as conn:
        has_entries = conn.execute(
            select(func.count()).where(
                outbox_t.c.email_id == email_id, outbox_t.c.kind != "confirm"
            )
        ).scalar_one()
        if not has_entries:
            claimed = conn.execute(
                select(e.c.id).where(e.c.id == email_id, e.c.claimed_by == token)
            ).first()
            if claimed is not None:
                conn.execute(outbox_t.delete().where(outbox_t.c.email_id == email_id))
                conn.execute(e.delete().where(e.c.id == email_id))


def due_ids(
    conn: Connection,
    *,
    now: datetime,
    emails_only: bool = False,
    retry_now: bool = False,
    recipient: str | None = None,
) -> list[int]:
    """Messages a send would send now (for ``--dry-run``: nothing is claimed or changed);
    ``emails_only``: only e-mails, no channel messages; ``retry_now`` as in ``claim``;
    ``recipient``: only this (lower-cased) recipient's."""
    condition = _claimable(now, retry_now=retry_now)
    if emails_only:
        condition = and_(condition, emails_t.c.channel.is_(None))
    if recipient is not None:
        condition = and_(condition, emails_t.c.recipient == recipient.lower())
    return [
        int(i)
        for i in conn.execute(
            select(emails_t.c.id)
            .where(condition)
            .order_by(emails_t.c.next_attempt_at, emails_t.c.id)
        ).scalars()
    ]


@dataclass(frozen=True, slots=True)
class EmailState:
    id: int
    recipient: str
    """The address, or a channel's masked URL."""
    mode: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    emails: dict[str, int]
    """Count by status, plus ``due`` (pending and due now) and ``waiting`` (digest time or
    retry ahead) split out of ``pending``."""
    entries: int
    next_due: datetime | None
    failed: list[EmailState]
    retrying: list[EmailState]


def status(conn: Connection, *, now: datetime, limit: int = 20) -> OutboxStatus:
    e = emails_t
    counts: Counter[str] = Counter()
    for st, n in conn.execute(select(e.c.status, func.count()).group_by(e.c.status)).all():
        counts[st] = int(n)
    counts["due"] = int(
        conn.execute(
            select(func.count()).where(e.c.status == "pending", e.c.next_attempt_at <= now)
        ).scalar_one()
    )
    counts["waiting"] = counts["pending"] - counts["due"]
    entries = int(conn.execute(select(func.count()).select_from(outbox_t)).scalar_one())
    next_due = conn.execute(
        select(func.min(e.c.next_attempt_at)).where(e.c.status == "pending")
    ).scalar_one()
    columns = (
        e.c.id, e.c.recipient, e.c.mode, e.c.attempts, e.c.next_attempt_at, e.c.last_error,
        e.c.channel,
    )  # fmt: skip
    failed = _states(
        conn.execute(
            select(*columns).where(e.c.status == "failed").order_by(e.c.id.desc()).limit(limit)
        ).all()
    )
    retrying = _states(
        conn.execute(
            select(*columns)
            .where(e.c.status == "pending", e.c.attempts > 0)
            .order_by(e.c.next_attempt_at)
            .limit(limit)
        ).all()
    )
    return OutboxStatus(dict(counts), entries, next_due, failed, retrying)


def _states(rows: Iterable[Any]) -> list[EmailState]:
    return [
        EmailState(
            r.id,
            mask(r.channel) if r.channel else r.recipient,
            r.mode,
            r.attempts,
            r.next_attempt_at,
            r.last_error,
        )
        for r in rows
    ]
