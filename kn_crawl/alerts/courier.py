"""The web process's courier: sends confirmation e-mails soon after the web UI queues them,
so the link arrives while the reader waits rather than after the next crawl.

It sends nothing else. Alert e-mails and channel messages are ``kn-crawl alerts send``'s (the
scheduler's, after each crawl): an anonymous visitor's form must not make the web process
deliver the outbox (e.g. the demo's sample digests, or webhooks that may hang).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from sqlalchemy import Engine

from kn_crawl.alerts import outbox
from kn_crawl.alerts.delivery import SendResult, _send_emails
from kn_crawl.alerts.tokens import load_secret
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)

CONFIRM_MODES = ("confirm",)
"""The only e-mails the web process sends."""


def send_confirmations(
    engine: Engine, settings: Settings, *, now: datetime, limit: int = 50
) -> SendResult:
    """Send due confirmation e-mails (with the outbox's leases and retries, like every
    e-mail); nothing when no SMTP server is set."""
    result = SendResult()
    if not settings.smtp.host:
        return result
    secret = load_secret(settings)
    token, ids = outbox.claim(engine, now=now, limit=limit, channels=False, modes=CONFIRM_MODES)
    if ids:
        _send_emails(engine, settings, ids, token, secret, result, now=now)
    return result


class Courier:
    """One thread per web process, woken by ``nudge``. Leases make a crash or a second
    process harmless. Only when ``KN_SMTP_HOST`` is set for the web process."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kn-courier", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                result = send_confirmations(self.engine, self.settings, now=datetime.now(UTC))
            except Exception as exc:  # noqa: BLE001 - the web process must go on; retried later
                logger.warning("confirmation e-mails not sent now: %s", exc)
            else:
                if result.errors:
                    logger.warning("confirmation e-mails: %s", "; ".join(result.errors[:3]))
