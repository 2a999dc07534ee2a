"""Source health events for the operators: queued as alert e-mails, sent like every other one.

Each un-notified ``health_events`` row becomes one e-mail per ``KN_ADMIN_EMAIL`` address: an
``alert_emails`` row of mode ``health`` with a single outbox entry of kind ``health`` keyed
``health:<event id>``. The event is marked notified in the same transaction, and the unique
(recipient, item_key) key means it can never be queued twice. Sending, retries, leases and
dry runs are the alert delivery's (``delivery.send_due``, ``write_dry_run``). Channel URLs
of ``KN_HEALTH_CHANNEL`` get the same message through their channel (recipient: the channel's
key, never its URL).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy.engine import Connection

from kn_crawl.alerts.channels import channel_key
from kn_crawl.alerts.models import AlertEmail, AlertOutbox
from kn_crawl.alerts.outbox import new_delivery_key
from kn_crawl.db.models import table_of
from kn_crawl.db.state_models import HealthEvent
from kn_crawl.db.upsert import insert_ignore

emails_t = table_of(AlertEmail)
outbox_t = table_of(AlertOutbox)
events_t = table_of(HealthEvent)

MODE = "health"
"""The ``alert_emails.mode`` of health e-mails. Not a subscription mode, so article matching
never joins an article into one (it only joins e-mails of the subscription's own mode)."""
KIND = "health"
MAX_EVENT_AGE = timedelta(days=2)


def item_key(event_id: int) -> str:
    return f"health:{event_id}"


def event_id_of(key: str) -> int | None:
    prefix, _, number = key.partition(":")
    return int(number) if prefix == KIND and number.isdigit() else None


def queue_health_events(
    engine: Engine,
    admins: Sequence[str],
    *,
    now: datetime,
    channels: Sequence[str] = (),
) -> int:
    """Queue a message per un-notified health event and admin address or channel URL; returns
    how many. Without either nothing happens and the events stay un-notified."""
    if not admins and not channels:
        return 0
    targets = [(a, None) for a in admins] + [(channel_key(c), c) for c in channels]
    with engine.begin() as conn:
        return _queue(conn, targets, now=now)


def _queue(conn: Connection, targets: Sequence[tuple[str, str | None]], *, now: datetime) -> int:
    # Claim the events first: an UPDATE … RETURNING takes exactly the rows still un-notified,
    # so two processes queueing at once (PostgreSQL re-checks the WHERE after the other one
    # commits; SQLite writers are serialised) never both create e-mails for one event.
    rows = conn.execute(
        update(events_t)
        .where(events_t.c.notified.is_(False))
        .values(notified=True)
        .returning(events_t.c.id, events_t.c.created_at)
    ).all()
    # Switching KN_ADMIN_EMAIL on in a deployment that has run for months must not mail its
    # whole history: events older than this are marked notified without an e-mail.
    claimed = sorted(int(i) for i, created in rows if now - created <= MAX_EVENT_AGE)
    queued = 0
    for event_id in claimed:
        for recipient, channel in targets:
            email_id = conn.execute(
                emails_t.insert()
                .values(
                    recipient=recipient,
                    channel=channel,
                    mode=MODE,
                    message_id=new_delivery_key(),
                    status="pending",
                    due_at=now,
                    next_attempt_at=now,
                    attempts=0,
                    created_at=now,
                )
                .returning(emails_t.c.id)
            ).scalar_one()
            row = {
                "recipient": recipient,
                "item_key": item_key(event_id),
                "kind": KIND,
                "reasons": [],
                "email_id": email_id,
                "created_at": now,
            }
            # The unique key is the last word; an e-mail left without its entry (it cannot
            # happen after the claim above) would be deleted unsent by the sender.
            insert_ignore(conn, outbox_t, [row], "recipient", "item_key")
            queued += 1
    return queued
