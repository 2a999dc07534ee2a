"""SMTP delivery: one connection per send batch, TLS with certificate verification, a timeout
on every socket operation, and each answer classified as sent, temporary or permanent.

The password is read here, at connect time, from ``KN_SMTP_PASSWORD`` or the file named by
``KN_SMTP_PASSWORD_FILE``; it is never stored, logged or put into an error message.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from types import TracebackType
from typing import Self

from kn_crawl.settings import ConfigError, SmtpSettings

logger = logging.getLogger(__name__)


def message_id_for(delivery_key: str, domain: str) -> str:
    """The e-mail's Message-ID for an outbox message's delivery key. Rows queued before keys
    were channel-neutral hold a whole Message-ID (``<…@…>``): used as it is."""
    if delivery_key.startswith("<"):
        return delivery_key
    return f"<kn-alert.{delivery_key}@{domain}>"


def make_message_id(domain: str) -> str:
    """A whole Message-ID, for messages that only ever go by e-mail (confirmation e-mails)."""
    return message_id_for(uuid.uuid4().hex, domain)


def read_password(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    direct = env.get("KN_SMTP_PASSWORD")
    file_name = env.get("KN_SMTP_PASSWORD_FILE")
    if direct and file_name:
        raise ConfigError("set KN_SMTP_PASSWORD or KN_SMTP_PASSWORD_FILE, not both")
    if direct:
        return direct
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"KN_SMTP_PASSWORD_FILE {file_name}: {exc.strerror}") from None
    return None


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    """``sent``, ``temporary`` (try again later) or ``permanent`` (the server refused)."""
    detail: str = ""


class ConnectError(Exception):
    """The server could not be reached or would not let us in; every e-mail stays queued."""


def _answer(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"


def _by_code(code: int, message: bytes | str) -> Outcome:
    # 4xx: try again later (greylisting, mailbox busy); 5xx: the server's final word.
    return Outcome("permanent" if code >= 500 else "temporary", _answer(code, message))


class SmtpSender:
    """``with SmtpSender(settings) as smtp: smtp.send(message)``."""

    def __init__(self, settings: SmtpSettings, env: Mapping[str, str] | None = None) -> None:
        if not settings.host:
            raise ConfigError("no SMTP server configured (KN_SMTP_HOST); try --dry-run DIR")
        self.settings = settings
        self._env = env
        self._smtp: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        ca = self.settings.ca_file
        return ssl.create_default_context(cafile=str(ca) if ca else None)

    def connect(self) -> None:
        s = self.settings
        assert s.host is not None
        # The EHLO name: our sender domain, rather than a reverse DNS look-up that may hang.
        helo = parseaddr(s.from_address)[1].rpartition("@")[2] or "localhost"
        smtp: smtplib.SMTP | None = None
        try:
            if s.tls == "tls":
                smtp = smtplib.SMTP_SSL(
                    s.host, s.port, local_hostname=helo, timeout=s.timeout, context=self._context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, local_hostname=helo, timeout=s.timeout)
                if s.tls == "starttls":
                    smtp.ehlo()
                    if not smtp.has_extn("starttls"):
                        raise ConnectError(f"{s.host}:{s.port} does not offer STARTTLS")
                    smtp.starttls(context=self._context())
            smtp.ehlo()
            if s.user:
                password = read_password(self._env)
                if password is None:
                    raise ConfigError("KN_SMTP_USER is set but no KN_SMTP_PASSWORD(_FILE)")
                try:
                    smtp.login(s.user, password)
                except UnicodeEncodeError:
                    # smtplib sends AUTH as ASCII; its error would name the character and
                    # its position in the password.
                    raise ConfigError(
                        "KN_SMTP_USER or the SMTP password holds characters other than ASCII, "
                        "which SMTP login cannot send"
                    ) from None
        except smtplib.SMTPResponseException as exc:
            _close(smtp)
            raise ConnectError(
                f"{s.host}:{s.port}: {_answer(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            _close(smtp)
            raise ConnectError(f"{s.host}:{s.port}: {type(exc).__name__}: {exc}") from None
        except BaseException:
            _close(smtp)
            raise
        self._smtp = smtp

    def send(self, message: EmailMessage, recipient: str) -> Outcome:
        """Send one message to one recipient and say how it went. A connection lost on the
        way is re-opened on the next call; ConnectError when that fails."""
        if self._smtp is None:
            self.connect()
        assert self._smtp is not None
        try:
            self._smtp.send_message(message, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            # One recipient per message, so "refused" is about this e-mail only.
            code, answer = next(iter(exc.recipients.values()))
            return _by_code(code, answer)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            return _by_code(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPResponseException as exc:
            self._drop()
            return _by_code(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            return Outcome("temporary", f"{type(exc).__name__}: {exc}")
        return Outcome("sent")

    def _drop(self) -> None:
        _close(self._smtp)
        self._smtp = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._smtp is not None:
            # The messages are sent (or recorded as not); a failed goodbye changes nothing.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._drop()


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError as exc:
            logger.debug("closing the SMTP connection: %s", exc)
