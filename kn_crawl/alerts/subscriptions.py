"""Subscriptions: validation with clear messages, and creating, listing and ending them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, select, update
from sqlalchemy.engine import Connection

from kn_crawl.alerts import keywords
from kn_crawl.alerts.channels import ChannelError, channel_key, check_channel, mask
from kn_crawl.alerts.models import MODES, AlertSubscription
from kn_crawl.alerts.schedule import parse_time
from kn_crawl.alerts.tokens import token_ids, token_valid
from kn_crawl.db.models import table_of
from kn_crawl.tags import clean_tag

subs_t = table_of(AlertSubscription)

MAX_EMAIL_LENGTH = 254
# Deliberately plain: one address, ASCII local part, a domain with a dot. Display names,
# comments and quoted local parts are refused; they only make header injection easier.
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}$"
)


class SubscriptionError(ValueError):
    """A subscription is invalid; the message says what to change."""


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    email: str
    tags: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    new_tags: bool = False
    mode: str = "immediate"
    digest_time: str = "07:00"
    digest_weekday: int = 0
    channel: str | None = None
    """An Apprise URL instead of an e-mail address (``email`` is then empty: it becomes the
    channel's recipient key)."""


def check_email(value: str) -> str:
    address = value.strip()
    if any(c in address for c in '\r\n\t <>,;"') or len(address) > MAX_EMAIL_LENGTH:
        raise SubscriptionError(f"{value!r} is not a single e-mail address like name@example.org")
    local, _, domain = address.rpartition("@")
    try:
        # Umlaut domains (müller.de) are sent in their ASCII (xn--) form.
        domain = domain.encode("idna").decode("ascii") if domain else domain
    except UnicodeError:
        raise SubscriptionError(f"{value!r}: the domain {domain!r} is not valid") from None
    address = f"{local}@{domain}"
    if (
        not _EMAIL_RE.match(address)
        or ".." in local
        or local.startswith(".")
        or local.endswith(".")
    ):
        raise SubscriptionError(f"{value!r} is not an e-mail address like name@example.org")
    return address


def validate(
    spec: SubscriptionSpec, known_sources: Sequence[str], *, now: datetime
) -> SubscriptionSpec:
    """The spec cleaned (tags in display form, duplicates dropped), or SubscriptionError."""
    channel = None
    if spec.channel is not None:
        if spec.email:
            raise SubscriptionError("give an e-mail address or --channel, not both")
        try:
            channel = check_channel(spec.channel)
        except ChannelError as exc:
            raise SubscriptionError(str(exc)) from None
        email = channel_key(channel)
    else:
        email = check_email(spec.email)
    tags: list[str] = []
    for raw in spec.tags:
        tag = clean_tag(raw)
        if tag is None:
            raise SubscriptionError(f"Stichwort {raw!r} is empty or too long")
        if tag not in tags:
            tags.append(tag)
    queries = []
    for raw in spec.queries:
        text = " ".join(raw.split())
        if not text:
            raise SubscriptionError("a keyword query is empty")
        try:
            keywords.compile_query(text, now=now)
        except keywords.QueryError as exc:
            raise SubscriptionError(f"keyword query {text!r}: {exc}") from None
        if text not in queries:
            queries.append(text)
    sources = []
    for name in spec.sources:
        if name not in known_sources:
            raise SubscriptionError(
                f"unknown source {name!r} (known: {', '.join(sorted(known_sources))})"
            )
        if name not in sources:
            sources.append(name)
    if not (tags or queries or sources or spec.new_tags):
        raise SubscriptionError(
            "nothing to follow: give Stichwörter, keyword queries, sources or new Stichwörter"
        )
    if spec.mode not in MODES:
        raise SubscriptionError(f"mode {spec.mode!r} must be one of {', '.join(MODES)}")
    at = parse_time(spec.digest_time)
    if at is None:
        raise SubscriptionError(f"digest time {spec.digest_time!r} is not HH:MM (e.g. 07:30)")
    if not 0 <= spec.digest_weekday <= 6:
        raise SubscriptionError(f"weekday {spec.digest_weekday} is not 0 (Monday) … 6 (Sunday)")
    return replace(
        spec,
        email=email,
        channel=channel,
        tags=tuple(tags),
        queries=tuple(queries),
        sources=tuple(sources),
        digest_time=at.strftime("%H:%M"),
    )


@dataclass(frozen=True, slots=True)
class Subscribed:
    id: int
    created: bool
    """False when an identical active subscription existed (subscribing is idempotent)."""


def spec_values(spec: SubscriptionSpec) -> dict[str, Any]:
    """The ``alert_subscriptions`` columns a validated spec sets: what is stored, and what two
    subscriptions must share to be identical."""
    return {
        "email": spec.email,
        "tags": list(spec.tags),
        "queries": list(spec.queries),
        "sources": list(spec.sources),
        "new_tags": spec.new_tags,
        "mode": spec.mode,
        "digest_time": spec.digest_time,
        "digest_weekday": spec.digest_weekday,
        "channel": spec.channel,
    }


def subscribe(engine: Engine, spec: SubscriptionSpec, *, now: datetime) -> Subscribed:
    """Store a validated spec (see ``validate``)."""
    values = spec_values(spec)
    with engine.begin() as conn:
        for row in conn.execute(
            select(subs_t).where(
                subs_t.c.active.is_(True),
                subs_t.c.email == spec.email,
                subs_t.c.confirmed_at.is_not(None),
            )
        ).mappings():
            if all(row[k] == v for k, v in values.items()):
                return Subscribed(int(row["id"]), created=False)
        new_id = conn.execute(
            subs_t.insert()
            .values(**values, active=True, created_at=now, confirmed_at=now, origin="cli")
            .returning(subs_t.c.id)
        ).scalar_one()
    return Subscribed(int(new_id), created=True)


def shown_recipient(row: Any) -> str:
    """The address, or the channel URL masked (its token never shown)."""
    return mask(row.channel) if row.channel else str(row.email)


def list_subscriptions(conn: Connection, *, include_inactive: bool = False) -> list[Row[Any]]:
    """Subscription rows (all columns of ``alert_subscriptions``, attribute access)."""
    query = select(subs_t).order_by(subs_t.c.id)
    if not include_inactive:
        query = query.where(subs_t.c.active.is_(True))
    return list(conn.execute(query).all())


def state(row: Any) -> str:
    """``active``, ``pending`` (waiting for its address to confirm), ``paused`` or ``ended``."""
    if not row.active:
        return "ended"
    if row.confirmed_at is None:
        return "pending"
    return "paused" if row.paused_at is not None else "active"


def unsubscribe(engine: Engine, ids: Sequence[int], *, now: datetime) -> int:
    """End subscriptions ``ids``; returns how many were active. Running it twice is fine."""
    with engine.begin() as conn:
        result = conn.execute(
            update(subs_t)
            .where(subs_t.c.id.in_(list(ids)), subs_t.c.active.is_(True))
            .values(active=False, unsubscribed_at=now)
        )
    return int(result.rowcount)


def unsubscribe_with_token(
    engine: Engine, secret: bytes, token: str, *, now: datetime
) -> list[int]:
    """Verify ``token`` offline (HMAC over the ids and the address) and end what it names.
    Returns the ids; SubscriptionError for a malformed, forged or unknown token."""
    ids = token_ids(token)
    if ids is None:
        raise SubscriptionError("this is not an unsubscribe token")
    with engine.connect() as conn:
        emails = set(conn.execute(select(subs_t.c.email).where(subs_t.c.id.in_(ids))).scalars())
    recipients = {e.lower() for e in emails}
    if len(recipients) != 1 or not token_valid(secret, token, recipients.pop()):
        raise SubscriptionError("the unsubscribe token is invalid or its subscription is gone")
    unsubscribe(engine, ids, now=now)
    return ids
