"""Alert channels beyond e-mail: Apprise URLs (Matrix, Teams, Slack, Mattermost, Rocket.Chat,
ntfy, Gotify, JSON/form/XML webhooks …) — validating, naming without the secret, masking, and
delivering one message.

A channel URL usually holds a token (``slack://T1/B2/C3``, ``ntfy://user:pass@host/topic``), so
it is stored only in ``alert_subscriptions.channel`` / ``alert_emails.channel``. Everywhere else
it is the recipient key (``channel:<scheme>:<digest>``) or the masked form (``mask``), and
Apprise's own log lines — which may quote the URL — never reach our logs.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from kn_crawl.alerts.smtp import Outcome

logger = logging.getLogger(__name__)

SCHEMES = frozenset(
    [
        "json",
        "jsons",
        "form",
        "forms",
        "xml",
        "xmls",
        "ntfy",
        "ntfys",
        "gotify",
        "gotifys",
        "matrix",
        "matrixs",
        "msteams",
        "workflow",
        "workflows",
        "slack",
        "mmost",
        "mmosts",
        "rocket",
        "rockets",
        "discord",
        "tgram",
        "apprise",
        "apprises",
    ]
)
"""Services that notify people over the network. Apprise knows more (desktop pop-ups, SMS
gateways, e-mail); those are refused: e-mail is our own channel, the rest are not for a server."""
WEBHOOK_SCHEMES = frozenset(["json", "jsons", "form", "forms", "xml", "xmls"])
"""Generic webhooks: they take extra headers (``+Name=value``), so they get the message's
idempotency key."""
DEFAULT_TIMEOUT = 10.0
_CODE = re.compile(r"error=(\d{3})\b")
"""The status code in Apprise's failure lines ("Failed to send JSON POST notification: Not Found,
error=404."): only a fallback to the answers urllib3 records (``_Capture``), for services that
answer 200 and still fail. tests/test_alert_channels.py checks it against the installed
Apprise; pyproject pins Apprise's minor version so a wording change comes with a test run."""
_URLLIB3_RESPONSE = '%s://%s:%s "%s %s %s" %s %s'
"""urllib3's debug line for each answer; its arguments carry the status as an int."""
# Answers that may well succeed later: timeouts, too early, too many requests.
_RETRYABLE_4XX = frozenset({408, 425, 429})


class ChannelError(ValueError):
    """A channel URL is not usable; the message shows it masked."""


def mask(url: str) -> str:
    """``scheme://host[:port]/…``: the host only if it looks like one (``slack://``, ``msteams://``
    and others put a token where the host goes), everything after it elided."""
    scheme, _, rest = url.partition("://")
    if not rest:
        return "…"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        host, port = "", None
    shown = host if ("." in host or host == "localhost") and host.isascii() else ""
    if shown and port:
        shown += f":{port}"
    elided = "" if rest == shown else "/…" if shown else "…"
    return f"{scheme.lower()}://{shown}{elided}"


def channel_key(url: str) -> str:
    """The recipient key of a channel: stable for one URL, and without the URL's secrets."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return f"channel:{url.partition('://')[0].lower()}:{digest}"


def is_channel_key(recipient: str) -> bool:
    return recipient.startswith("channel:")


def check_channel(raw: str) -> str:
    """The URL stripped, or ChannelError naming what is wrong (with the URL masked)."""
    import apprise

    url = raw.strip()
    if not url or any(c.isspace() for c in url) or not url.isprintable():
        raise ChannelError(f"channel URL {mask(url)} must be one URL without spaces")
    scheme = url.partition("://")[0].lower()
    if "://" not in url:
        raise ChannelError("channel URL is not a URL like json://host/path or ntfy://host/topic")
    if scheme not in SCHEMES:
        raise ChannelError(
            f"channel URL {mask(url)}: unsupported service {scheme!r} "
            f"(supported: {', '.join(sorted(SCHEMES))})"
        )
    with _quiet_apprise():
        plugin = apprise.Apprise.instantiate(url, asset=_asset(), suppress_exceptions=True)
    if plugin is None:
        raise ChannelError(f"channel URL {mask(url)} is not a valid {scheme}:// URL")
    return url


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    title: str
    body: str
    idempotency_key: str
    """The message's delivery key (``outbox.new_delivery_key``): the same on every retry."""


def deliver(url: str, message: ChannelMessage, *, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """Send one message; ``sent``, ``temporary`` (connection error, timeout, 5xx, 408/429)
    or ``permanent`` (any other 4xx: the URL or its token is wrong). Never raises for what the
    receiver does. Sent as plain text: Apprise escapes it for Markdown and HTML services, so
    a scraped title cannot slip links or markup into a chat."""
    import apprise

    target = _with_idempotency_key(url, message.idempotency_key)
    with _quiet_apprise() as records:
        plugin = apprise.Apprise.instantiate(target, asset=_asset(), suppress_exceptions=True)
        if plugin is None:
            return Outcome("permanent", f"{mask(url)} is not a valid channel URL")
        # Apprise waits 4 s per connect and per read by default; a receiver that hangs must
        # not hold the sender (and its lease) longer than KN_CHANNEL_TIMEOUT.
        plugin.socket_connect_timeout = timeout
        plugin.socket_read_timeout = timeout
        try:
            ok = plugin.notify(
                body=message.body, title=message.title, body_format=apprise.NotifyFormat.TEXT
            )
        # A plugin's own bug: retried, and named without its text (which may quote the URL).
        except Exception as exc:  # noqa: BLE001 - any of 100+ plugins may raise anything
            return Outcome("temporary", f"channel error {type(exc).__name__}")
    if ok:
        return Outcome("sent")
    return classify(records.statuses, records.lines)


def classify(statuses: list[int], lines: list[str]) -> Outcome:
    """A failed send's outcome from the HTTP answers urllib3 saw (the last error status), else
    from the code in Apprise's log lines, else: no answer."""
    codes = [s for s in statuses if s >= 400] or [int(c) for r in lines for c in _CODE.findall(r)]
    if codes:
        code = codes[-1]
        permanent = 400 <= code < 500 and code not in _RETRYABLE_4XX
        return Outcome("permanent" if permanent else "temporary", f"HTTP {code}")
    return Outcome("temporary", "no answer (connection failed or timed out)")


def _asset() -> Any:
    import apprise

    # In memory only: Apprise's persistent store would write login tokens (Matrix) to disk.
    return apprise.AppriseAsset(storage_mode=apprise.PersistentStoreMode.MEMORY)


def _with_idempotency_key(url: str, key: str) -> str:
    scheme = url.partition("://")[0].lower()
    if scheme not in WEBHOOK_SCHEMES:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}+Idempotency-Key={quote(key, safe='')}"


class _Capture(logging.Handler):
    """Apprise's lines as text; of urllib3's, only the status of each answer (their text
    quotes the request path, which holds many services' token)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.statuses: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("urllib3"):
            self.lines.append(record.getMessage())
        elif record.msg == _URLLIB3_RESPONSE and isinstance(record.args, tuple):
            status = record.args[6] if len(record.args) == 8 else None
            if isinstance(status, int):
                self.statuses.append(status)


@contextmanager
def _quiet_apprise() -> Iterator[_Capture]:
    """Apprise's and urllib3's log records during a call: kept from our handlers (they may
    quote the URL and its token) and returned for the answer's status code."""
    capture = _Capture()
    apprise_logger = logging.getLogger("apprise")
    http_logger = logging.getLogger("urllib3")
    saved = [(lg, lg.propagate, lg.level) for lg in (apprise_logger, http_logger)]
    for lg, _, _ in saved:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(capture)
        lg.propagate = False
    try:
        yield capture
    finally:
        for lg, propagate, level in saved:
            lg.removeHandler(capture)
            lg.propagate = propagate
            lg.setLevel(level)
