"""Delivery: claim due e-mails, render, send over SMTP, record the outcome of each.

One transaction per e-mail for its outcome, so a failure halfway through a batch leaves every
e-mail either sent and recorded, or pending and retried (see ``outbox`` on the one gap).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from kn_crawl.alerts import outbox
from kn_crawl.alerts.render import EmailView, build_message, load_email
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
    """Send every due e-mail (up to ``limit``). ``retry_now`` ignores retry backoff."""
    result = SendResult()
    secret = load_secret(settings)
    sender = SmtpSender(settings.smtp)
    token, ids = outbox.claim(engine, now=now, limit=limit, retry_now=retry_now)
    if not ids:
        return result
    pending = list(ids)
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
    return result


def _record(
    engine: Engine,
    view: EmailView,
    token: str,
    status: str,
    detail: str,
    result: SendResult,
    *,
    now: datetime,
) -> None:
    if status == "sent":
        outbox.mark_sent(engine, view.id, token, now=now)
        logger.info("alert e-mail %s sent to %s", view.message_id, view.recipient)
        result.sent += 1
    elif status == "permanent":
        outbox.mark_failed(engine, view.id, token, now=now, error=detail)
        logger.error("alert e-mail %s to %s refused: %s", view.message_id, view.recipient, detail)
        result.failed += 1
        result.errors.append(f"{view.recipient}: {detail}")
    else:
        new_status = outbox.mark_retry(engine, view.id, token, now=now, error=detail)
        logger.warning(
            "alert e-mail %s to %s deferred: %s", view.message_id, view.recipient, detail
        )
        result.failed += new_status == "failed"
        result.retry += new_status == "pending"
        result.errors.append(f"{view.recipient}: {detail}")


def write_dry_run(engine: Engine, settings: Settings, folder: Path, *, now: datetime) -> list[Path]:
    """Write the e-mails a send would send now as ``.eml`` files; the outbox is not changed."""
    secret = load_secret(settings)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with engine.connect() as conn:
        ids = outbox.due_ids(conn, now=now)
        views = [v for v in (load_email(conn, i) for i in ids) if v is not None and not v.is_empty]
    for view in views:
        message = build_message(
            view, smtp=settings.smtp, secret=secret, now=now, public_url=settings.public_url
        )
        path = folder / f"alert-{view.id:06d}.eml"
        tmp = path.with_suffix(".eml.tmp")
        tmp.write_bytes(message.as_bytes())
        os.replace(tmp, path)
        written.append(path)
    return written
