"""Delivery: claim due messages, render, send each through its channel (SMTP for e-mails,
Apprise for chat and webhook channels), record the outcome of each.

The channels share the outbox's leases, retries with backoff and recorded final failures; what
differs is how a message is rendered and sent (``_send_channel`` vs the SMTP loop). The
delivery key fixed at queueing is neutral: the e-mail channel derives its Message-ID from it,
webhooks send it as their idempotency key.

One transaction per e-mail for its outcome, so a failure halfway through a batch leaves every
e-mail either sent and recorded, or pending and retried (see ``outbox`` on the one gap).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from kn_crawl.alerts import channels, outbox
from kn_crawl.alerts.render import EmailView, build_message, channel_text, load_email
from kn_crawl.alerts.smtp import ConnectError, SmtpSender
from kn_crawl.alerts.tokens import load_secret
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class SendResult:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    """Server answers and connection errors, one line each."""


def send_due(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime,
    retry_now: bool = False,
    limit: int = 100,
) -> SendResult:
    """Send every due message (up to ``limit``). ``retry_now`` ignores retry backoff. Without
    an SMTP server (``KN_SMTP_HOST``) only channel messages go; e-mails stay queued."""
    result = SendResult()
    _send_channels(engine, settings, result, now=now, retry_now=retry_now, limit=limit)
    if not settings.smtp.host:
        return result
    # Only e-mails carry unsubscribe tokens: a bad or unreadable alerts secret must not stop
    # channel messages (nor, without SMTP, the after-run hook).
    secret = load_secret(settings)
    token, ids = outbox.claim(engine, now=now, limit=limit, retry_now=retry_now, channels=False)
    if ids:
        _send_emails(engine, settings, ids, token, secret, result, now=now)
    return result


def _send_channels(
    engine: Engine,
    settings: Settings,
    result: SendResult,
    *,
    now: datetime,
    retry_now: bool,
    limit: int,
) -> None:
    """Channel messages, in claims small enough that a receiver hanging on every one of them
    (connect and read timeouts in full) cannot outlast the lease: a message is never held
    by two senders. Each is tried at most once per call."""
    per_claim = max(1, int(outbox.LEASE.total_seconds() // (3 * settings.channel_timeout)))
    tried: set[int] = set()
    while len(tried) < limit:
        token, ids = outbox.claim(
            engine, now=now, limit=min(per_claim, limit - len(tried)), retry_now=retry_now,
            channels=True,
        )  # fmt: skip
        fresh = [i for i in ids if i not in tried]
        outbox.release(engine, [i for i in ids if i in tried], token)
        if not fresh:
            return
        with engine.connect() as conn:
            urls = dict(
                conn.execute(
                    select(outbox.emails_t.c.id, outbox.emails_t.c.channel).where(
                        outbox.emails_t.c.id.in_(fresh)
                    )
                ).all()
            )
        try:
            for message_id in fresh:
                tried.add(message_id)
                _send_channel(
                    engine, settings, message_id, urls[message_id], token, result, now=now
                )
        except BaseException:
            # A crash of ours: give back what this claim still holds, untouched.
            outbox.release(engine, fresh, token)
            raise


def _send_channel(
    engine: Engine,
    settings: Settings,
    message_id: int,
    url: str,
    token: str,
    result: SendResult,
    *,
    now: datetime,
) -> None:
    with engine.connect() as conn:
        view = load_email(conn, message_id)
    if view is None or view.is_empty:
        outbox.delete_empty(engine, message_id, token)
        return
    title, body = channel_text(view)
    outcome = channels.deliver(
        url,
        channels.ChannelMessage(title, body, view.delivery_key.strip("<>")),
        timeout=settings.channel_timeout,
    )
    _record(engine, view, token, outcome.status, outcome.detail, result, now=now,
            shown=channels.mask(url))  # fmt: skip


def _send_emails(
    engine: Engine,
    settings: Settings,
    pending: list[int],
    token: str,
    secret: bytes,
    result: SendResult,
    *,
    now: datetime,
) -> None:
    sender = SmtpSender(settings.smtp)
    try:
        with sender:
            while pending:
                email_id = pending[0]
                with engine.connect() as conn:
                    view = load_email(conn, email_id)
                if view is None or view.is_empty:
                    outbox.delete_empty(engine, email_id, token)
                    pending.pop(0)
                    continue
                message = build_message(
                    view, smtp=settings.smtp, secret=secret, now=now, public_url=settings.public_url
                )
                outcome = sender.send(message, view.recipient)
                _record(engine, view, token, outcome.status, outcome.detail, result, now=now)
                pending.pop(0)
    except ConnectError as exc:
        # Nothing more goes through this server now: all that is left waits for a retry.
        logger.warning("alert e-mails not sent: %s", exc)
        for email_id in pending:
            outbox.mark_retry(engine, email_id, token, now=now, error=str(exc))
            result.retry += 1
        result.errors.append(str(exc))
    except BaseException:
        # A configuration error or a crash of ours: give the rest back at once, untouched.
        outbox.release(engine, pending, token)
        raise


def _record(
    engine: Engine,
    view: EmailView,
    token: str,
    status: str,
    detail: str,
    result: SendResult,
    *,
    now: datetime,
    shown: str | None = None,
) -> None:
    """``shown``: how the recipient appears in logs and errors (a channel's masked URL)."""
    what = "alert e-mail" if shown is None else "alert message"
    to = shown or view.recipient
    if status == "sent":
        outbox.mark_sent(engine, view.id, token, now=now)
        logger.info("%s %s sent to %s", what, view.delivery_key, to)
        result.sent += 1
    elif status == "permanent":
        outbox.mark_failed(engine, view.id, token, now=now, error=detail)
        logger.error("%s %s to %s refused: %s", what, view.delivery_key, to, detail)
        result.failed += 1
        result.errors.append(f"{to}: {detail}")
    else:
        new_status = outbox.mark_retry(engine, view.id, token, now=now, error=detail)
        logger.warning("%s %s to %s deferred: %s", what, view.delivery_key, to, detail)
        result.failed += new_status == "failed"
        result.retry += new_status == "pending"
        result.errors.append(f"{to}: {detail}")


def write_dry_run(
    engine: Engine,
    settings: Settings,
    folder: Path,
    *,
    now: datetime,
    retry_now: bool = False,
    mark_written: bool = False,
    recipient: str | None = None,
) -> list[Path]:
    """Write the e-mails a send would send now as ``.eml`` files, channel messages as ``.txt``
    files (the channel masked, then title and body); the outbox is not changed. ``retry_now``:
    as ``send_due``'s, messages in retry backoff count as due. ``mark_written`` (the demo):
    what was written is done (status ``written``), never sent later. ``recipient`` (the demo:
    its sample subscriber): only that recipient's messages — never real subscribers'."""
    secret = load_secret(settings)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with engine.connect() as conn:
        ids = outbox.due_ids(conn, now=now, retry_now=retry_now, recipient=recipient)
        views = [v for v in (load_email(conn, i) for i in ids) if v is not None and not v.is_empty]
        targets = dict(
            conn.execute(
                select(outbox.emails_t.c.id, outbox.emails_t.c.channel).where(
                    outbox.emails_t.c.id.in_(ids)
                )
            ).all()
        )
    for view in views:
        channel = targets.get(view.id)
        if channel:
            title, body = channel_text(view)
            data = f"Kanal: {channels.mask(channel)}\n{title}\n\n{body}".encode()
            path = folder / f"alert-{view.id:06d}.txt"
        else:
            message = build_message(
                view, smtp=settings.smtp, secret=secret, now=now, public_url=settings.public_url
            )
            data = message.as_bytes()
            path = folder / f"alert-{view.id:06d}.eml"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        written.append(path)
    if mark_written:
        outbox.mark_written(engine, [v.id for v in views], now=now)
    return written
