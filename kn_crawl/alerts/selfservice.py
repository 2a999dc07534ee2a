"""Self-service subscriptions from the web UI: pending until confirmed by e-mail (double
opt-in), then seen, paused, changed or ended by their owner through a signed link.

Each operation is one transaction on the writable engine: the subscription, its confirmation
e-mail in the outbox (sent by ``kn-crawl alerts send`` like every alert, with leases and
retries) and the record for the rate limit are written together or not at all. Messages are
German: they are shown in the web UI.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import Connection

from kn_crawl.alerts.models import AlertEmail, AlertOutbox, AlertSubscription
from kn_crawl.alerts.smtp import make_message_id
from kn_crawl.alerts.subscriptions import SubscriptionSpec, spec_values
from kn_crawl.alerts.tokens import (
    CONFIRM_TTL_SECONDS,
    confirm_token_parts,
    confirm_token_valid,
    make_confirm_token,
)
from kn_crawl.alerts.web_models import WebWrite
from kn_crawl.db.locks import SELF_SERVICE, xact_lock
from kn_crawl.db.models import table_of

subs_t = table_of(AlertSubscription)
emails_t = table_of(AlertEmail)
outbox_t = table_of(AlertOutbox)
writes_t = table_of(WebWrite)

WINDOW = timedelta(hours=1)
CLIENT_WRITES_PER_HOUR = 30
"""Writes one client address may make per hour (subscribing, confirming, changing)."""
PENDING_PER_ADDRESS_PER_HOUR = 3
"""Confirmation e-mails one address gets per hour, whoever asks: the form cannot be used to
flood someone's mailbox."""


class SelfServiceError(Exception):
    """Refused; the message (German) says why."""


class RateLimited(SelfServiceError):
    pass


def client_key(secret: bytes, address: str) -> str:
    """What the rate limit stores for a client: a keyed hash, not the IP address itself.
    An IPv6 client is its /64: one connection gets a whole /64, so each of its addresses is
    not another client."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped
        address = str(mapped) if mapped else str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return hmac.new(secret, f"kn-client\0{address}".encode(), hashlib.sha256).hexdigest()[:32]


def mailbox(address: str) -> str:
    """The mailbox an address delivers to, for the per-address limit: lower case, without the
    local part's ``+tag`` (``Bob+1@Example.org`` is bob@example.org's mailbox)."""
    local, _, domain = address.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _forget_expired(conn: Connection, now: datetime) -> None:
    """Web subscriptions never confirmed whose link has expired: someone else's address that
    never agreed to anything, deleted with its confirmation e-mail."""
    expired = select(subs_t.c.id).where(
        subs_t.c.origin == "web",
        subs_t.c.confirmed_at.is_(None),
        subs_t.c.created_at < now - timedelta(seconds=CONFIRM_TTL_SECONDS),
    )
    conn.execute(
        emails_t.delete().where(
            emails_t.c.id.in_(
                select(outbox_t.c.email_id).where(
                    outbox_t.c.kind == "confirm", outbox_t.c.subscription_id.in_(expired)
                )
            )
        )
    )
    conn.execute(subs_t.delete().where(subs_t.c.id.in_(expired)))


def _check_client(conn: Connection, client: str, action: str, *, now: datetime) -> None:
    recent = conn.execute(
        select(func.count()).where(
            writes_t.c.client == client, writes_t.c.created_at > now - WINDOW
        )
    ).scalar_one()
    if recent >= CLIENT_WRITES_PER_HOUR:
        raise RateLimited(
            "Zu viele Anfragen von Ihrer Adresse in der letzten Stunde; bitte später erneut."
        )
    # Old records are of no use to the limit: each write clears what has expired.
    conn.execute(writes_t.delete().where(writes_t.c.created_at <= now - WINDOW))
    _forget_expired(conn, now)
    conn.execute(writes_t.insert().values(client=client, action=action, created_at=now))


def _lock(conn: Connection) -> None:
    # Two web processes checking a limit at once must not both pass it: PostgreSQL takes a
    # transaction lock (SQLite's writers are serialised already).
    if conn.dialect.name == "postgresql":
        xact_lock(conn, SELF_SERVICE)


@dataclass(frozen=True, slots=True)
class Requested:
    subscription_id: int | None
    """None: the address already has this subscription, confirmed; nothing was sent."""


def request_subscription(
    engine: Engine,
    spec: SubscriptionSpec,
    *,
    secret: bytes,
    client: str,
    public_url: str,
    domain: str,
    now: datetime,
) -> Requested:
    """A pending subscription for a validated ``spec`` and its confirmation e-mail."""
    address = spec.email.lower()
    values = spec_values(spec)  # a web spec never has a channel (see web/selfservice.py)
    with engine.begin() as conn:
        _lock(conn)
        _check_client(conn, client, "subscribe", now=now)
        for row in conn.execute(
            select(subs_t).where(
                subs_t.c.active.is_(True),
                func.lower(subs_t.c.email) == address,
                subs_t.c.confirmed_at.is_not(None),
            )
        ).mappings():
            if all(row[k] == v for k, v in values.items()):
                return Requested(None)
        box = mailbox(address)
        recent = conn.execute(
            select(subs_t.c.email).where(
                func.lower(subs_t.c.email).endswith(box.rpartition("@")[2], autoescape=True),
                subs_t.c.origin == "web",
                subs_t.c.created_at > now - WINDOW,
            )
        ).scalars()
        pending = sum(1 for e in recent if mailbox(e) == box)
        if pending >= PENDING_PER_ADDRESS_PER_HOUR:
            raise RateLimited(
                "An diese Adresse wurden in der letzten Stunde schon genug "
                "Bestätigungs-E-Mails geschickt; bitte später erneut."
            )
        sub_id = conn.execute(
            subs_t.insert()
            .values(**values, active=True, created_at=now, confirmed_at=None, origin="web")
            .returning(subs_t.c.id)
        ).scalar_one()
        email_id = conn.execute(
            emails_t.insert()
            .values(
                recipient=address,
                mode="confirm",
                message_id=make_message_id(domain),
                status="pending",
                due_at=now,
                next_attempt_at=now,
                attempts=0,
                created_at=now,
            )
            .returning(emails_t.c.id)
        ).scalar_one()
        expires = int((now + timedelta(seconds=CONFIRM_TTL_SECONDS)).timestamp())
        conn.execute(
            outbox_t.insert().values(
                recipient=address,
                item_key=f"confirm:{sub_id}",
                kind="confirm",
                subscription_id=sub_id,
                # The link is made here, where the web UI's public URL is known; the sender
                # (scheduler, ``alerts send``) may run where it is not.
                reasons=[
                    {
                        "kind": "confirm",
                        "url": f"{public_url}bestaetigen?token="
                        + make_confirm_token(secret, sub_id, address, expires),
                        "subscription": sub_id,
                    }
                ],
                email_id=email_id,
                created_at=now,
            )
        )
    return Requested(int(sub_id))


def _row(conn: Connection, sub_id: int) -> Any:
    return conn.execute(select(subs_t).where(subs_t.c.id == sub_id)).first()


def check_confirm_token(engine: Engine, secret: bytes, token: str, *, now: datetime) -> Any:
    """The subscription a genuine, unexpired confirmation token names, else SelfServiceError."""
    parts = confirm_token_parts(token)
    if parts is None:
        raise SelfServiceError("Dieser Bestätigungslink ist unvollständig oder ungültig.")
    sub_id, expires = parts
    with engine.connect() as conn:
        row = _row(conn, sub_id)
    if row is None or not confirm_token_valid(secret, token, row.email):
        raise SelfServiceError("Dieser Bestätigungslink ist ungültig.")
    if not row.active:
        raise SelfServiceError("Dieses Abonnement wurde beendet.")
    if row.confirmed_at is None and now.timestamp() > expires:
        raise SelfServiceError(
            "Dieser Bestätigungslink ist abgelaufen; bitte abonnieren Sie die Suche erneut."
        )
    return row


def confirm(engine: Engine, secret: bytes, token: str, *, client: str, now: datetime) -> Any:
    """Confirm the subscription the token names (again: no change); returns its row."""
    row = check_confirm_token(engine, secret, token, now=now)
    with engine.begin() as conn:
        _lock(conn)
        _check_client(conn, client, "confirm", now=now)
        if row.confirmed_at is None:
            # Asked for twice (two forms, two links): one subscription, not two copies.
            same = _identical_active(conn, row)
            if same is not None:
                conn.execute(
                    update(subs_t)
                    .where(subs_t.c.id == row.id)
                    .values(active=False, unsubscribed_at=now)
                )
                return same
        conn.execute(
            update(subs_t)
            .where(subs_t.c.id == row.id, subs_t.c.confirmed_at.is_(None))
            .values(confirmed_at=now)
        )
        return _row(conn, row.id)


SAME = ("tags", "queries", "sources", "new_tags", "mode", "digest_time", "digest_weekday")


def _identical_active(conn: Connection, row: Any) -> Any:
    """The address's confirmed, active subscription to the very same thing, if any."""
    for other in conn.execute(
        select(subs_t).where(
            func.lower(subs_t.c.email) == row.email.lower(),
            subs_t.c.active.is_(True),
            subs_t.c.confirmed_at.is_not(None),
            subs_t.c.id != row.id,
        )
    ):
        if all(getattr(other, k) == getattr(row, k) for k in SAME) and other.channel is None:
            return other
    return None


def subscriptions_of(conn: Connection, address: str) -> list[Any]:
    """The address's subscriptions that are not ended (pending ones too), oldest first."""
    return list(
        conn.execute(
            select(subs_t)
            .where(func.lower(subs_t.c.email) == address.lower(), subs_t.c.active.is_(True))
            .order_by(subs_t.c.id)
        ).all()
    )


ACTIONS = ("pause", "resume", "end", "change")


def manage(
    engine: Engine,
    address: str,
    sub_id: int,
    action: str,
    *,
    client: str,
    now: datetime,
    spec: SubscriptionSpec | None = None,
) -> None:
    """Pause, resume, end or change (``spec``: its Stichwörter, queries and mode) one of the
    address's subscriptions."""
    if action not in ACTIONS:
        raise SelfServiceError("Unbekannte Aktion.")
    with engine.begin() as conn:
        _lock(conn)
        _check_client(conn, client, action, now=now)
        row = _row(conn, sub_id)
        if row is None or row.email.lower() != address.lower() or not row.active:
            raise SelfServiceError("Dieses Abonnement gibt es nicht (mehr).")
        where = update(subs_t).where(subs_t.c.id == sub_id)
        if action == "pause":
            conn.execute(where.where(subs_t.c.paused_at.is_(None)).values(paused_at=now))
        elif action == "resume":
            conn.execute(where.values(paused_at=None))
        elif action == "end":
            conn.execute(where.values(active=False, unsubscribed_at=now))
        else:
            assert spec is not None
            conn.execute(
                where.values(
                    tags=list(spec.tags),
                    queries=list(spec.queries),
                    mode=spec.mode,
                    digest_time=spec.digest_time,
                    digest_weekday=spec.digest_weekday,
                )
            )


def spec_of(row: Any, **changes: Any) -> SubscriptionSpec:
    """A stored subscription as a spec (to validate a change of it)."""
    spec = SubscriptionSpec(
        email=row.email,
        tags=tuple(row.tags or ()),
        queries=tuple(row.queries or ()),
        sources=tuple(row.sources or ()),
        new_tags=bool(row.new_tags),
        mode=row.mode,
        digest_time=row.digest_time,
        digest_weekday=row.digest_weekday,
    )
    return replace(spec, **changes)
