"""Deployment configuration, read once from ``KN_*`` environment variables.

Everything a deployment may change lives here, with its default. Secrets (database passwords
inside ``KN_DATABASE_URL``, the SMTP password) are read from the environment by the
component that needs them and never copied into Scrapy settings, which Scrapy logs.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kn_crawl import __version__


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message says which and why."""


DEFAULT_CONTACT = "kn-crawl operator <ops@kn-crawl.invalid>"
# Upper bound of the settings in seconds: a larger value is a typo, not a wish.
DAY = 86_400

# ``crawl --full`` reads every listing again, but a listing that never ends (a trap, a broken
# pager) must still end: its caps are this many times the listing caps.
FULL_CRAWL_FACTOR = 10


# ASCII digits only: int() and float() also take "٣", "1_000", "inf" and "nan", none of which
# an operator means. A float that overflows (1e999) becomes inf and is refused as non-finite.
_INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _shown(value: float) -> str:
    # 1e6 reads as 1000000, 0.1 as 0.1 (not 1e+06 or 0.1000000000000000055).
    return str(int(value)) if float(value).is_integer() else repr(value)


def _bounds(name: str, value: float, minimum: float, maximum: float | None) -> None:
    if value < minimum or (maximum is not None and value > maximum):
        if maximum is None:
            raise ConfigError(f"{name}={_shown(value)} must be at least {_shown(minimum)}")
        raise ConfigError(
            f"{name}={_shown(value)} must be from {_shown(minimum)} to {_shown(maximum)}"
        )


def _int(
    env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    if not _INT_RE.fullmatch(raw.strip()):
        raise ConfigError(f"{name}={raw!r} is not an integer")
    value = int(raw.strip())
    _bounds(name, value, minimum, maximum)
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not a yes/no value (1 or 0)")


def _float(
    env: Mapping[str, str],
    name: str,
    default: float,
    minimum: float = 0.0,
    maximum: float | None = None,
) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        value = None
    if value is not None and not math.isfinite(value):
        # KN_DOWNLOAD_DELAY=inf made a crawl wait forever (and ignore SIGTERM).
        raise ConfigError(f"{name}={raw!r} is not a finite number")
    if value is None or not _FLOAT_RE.fullmatch(raw.strip()):
        raise ConfigError(f"{name}={raw!r} is not a number")
    _bounds(name, value, minimum, maximum)
    return value


_BASE_URL_VAR = re.compile(r"^KN_BASE_URL_([A-Z0-9_]+)$")

SMTP_TLS_MODES = {"starttls": 587, "tls": 465, "plain": 25}
DEFAULT_SMTP_FROM = "kn-crawl <alerts@kn-crawl.invalid>"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where alert e-mails go. No password field on purpose: the sender reads
    ``KN_SMTP_PASSWORD`` / ``KN_SMTP_PASSWORD_FILE`` when it connects, so the secret is never
    part of a repr, a log line or Scrapy's settings."""

    host: str | None = None
    """None: nothing is sent (e-mails stay queued; ``alerts send --dry-run`` still works)."""
    port: int = 587
    tls: str = "starttls"
    """``starttls`` or ``tls`` (implicit), both verifying the certificate; ``plain`` only for
    a local relay, and only when set explicitly."""
    user: str | None = None
    from_address: str = DEFAULT_SMTP_FROM
    timeout: float = 30.0
    ca_file: Path | None = None
    """Extra CA bundle to verify the server with (e.g. an internal CA)."""
    unsubscribe_url: str | None = None
    """One-click unsubscribe endpoint; the token is appended as ``?token=``."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        tls = (env.get("KN_SMTP_TLS") or "starttls").strip().lower()
        if tls not in SMTP_TLS_MODES:
            raise ConfigError(f"KN_SMTP_TLS={tls!r} must be one of {', '.join(SMTP_TLS_MODES)}")
        for name in ("KN_SMTP_HOST", "KN_SMTP_USER", "KN_SMTP_FROM", "KN_UNSUBSCRIBE_URL"):
            if any(c in env.get(name, "") for c in "\r\n"):
                raise ConfigError(f"{name} must be a single line")
        unsubscribe_url = (env.get("KN_UNSUBSCRIBE_URL") or "").strip() or None
        if unsubscribe_url and not is_http_url(unsubscribe_url):
            raise ConfigError(f"KN_UNSUBSCRIBE_URL={unsubscribe_url!r} is not an http(s) URL")
        from_address = (env.get("KN_SMTP_FROM") or DEFAULT_SMTP_FROM).strip()
        if "@" not in from_address:
            raise ConfigError(f"KN_SMTP_FROM={from_address!r} is not an e-mail address")
        port = _int(env, "KN_SMTP_PORT", SMTP_TLS_MODES[tls], minimum=1)
        if port > 65535:
            raise ConfigError(f"KN_SMTP_PORT={port} is not a port")
        return cls(
            host=(env.get("KN_SMTP_HOST") or "").strip() or None,
            port=port,
            tls=tls,
            user=(env.get("KN_SMTP_USER") or "").strip() or None,
            from_address=from_address,
            timeout=_float(env, "KN_SMTP_TIMEOUT", 30.0, minimum=0.1, maximum=3600),
            ca_file=Path(env["KN_SMTP_CA_FILE"]) if env.get("KN_SMTP_CA_FILE") else None,
            unsubscribe_url=unsubscribe_url,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    # Not in the repr: the URL may hold the database password.
    database_url: str = field(repr=False)
    contact: str
    download_timeout: int = 30
    max_response_bytes: int = 8 * 1024 * 1024
    concurrent_per_site: int = 2
    crawl_processes: int = 1
    """Sources crawled side by side, each in a process of its own (at most this many); 1: all
    sources in one process."""
    batch_size: int = 25
    """Sources one crawl process refreshes together (a batch); all sources of one web host
    always go into the same batch."""
    batch_processes: int = 1
    """Batch processes one node (``schedule`` or ``worker``) runs at once."""
    node: str = ""
    """This machine's name in ``crawl_runs.host`` and ``sources.claimed_by`` (``KN_NODE``;
    default: the host name)."""
    lease: float = 120.0
    """Seconds a crawl run owns its web hosts without renewing its heartbeat; a run silent
    for longer is failed by any node (``stale``) and its sources are due again."""
    tick: float = 30.0
    """Seconds between two looks for due sources (the scheduler's and the cluster's tick)."""
    robots_cache: float = 86_400.0
    """Seconds a fetched robots.txt is reused (RFC 9309 §2.4 allows up to 24 hours)."""
    listen_notify: bool = False
    """``kn-crawl worker`` also hears of new jobs by PostgreSQL LISTEN/NOTIFY (quicker than
    its polling, which alone suffices and survives a database restart)."""
    crawl_worker: bool = True
    """Each crawl process parses pages and writes the database in a helper process of its
    own (its second core); off: all in the crawl process."""
    autothrottle_start_delay: float = 1.0
    autothrottle_max_delay: float = 30.0
    store_batch_size: int = 50
    download_delay: float = 0.0
    """Minimum seconds between requests to one site (AutoThrottle never goes below it)."""
    retry_times: int = 2
    """Retries of a failed request (5xx, timeouts) within a run."""
    recheck_days: float = 2.0
    """Known articles younger than this are fetched again on refresh, to catch edits."""
    max_listing_pages: int = 500
    """How deep one listing (archive, topic page) is paged in one run; ``crawl --full`` pages
    up to ``FULL_CRAWL_FACTOR`` times as deep (an endless listing must end)."""
    max_section_pages: int = 200
    """Distinct topic pages (each the start of a listing) read in one run."""
    max_links_per_page: int = 1000
    """Links taken from one page; the rest are ignored (and recorded once)."""
    log_level: str = "INFO"
    log_format: str = "text"
    """``text`` or ``json`` (one JSON object per line; ``kn_crawl.logs``)."""
    log_file: str = ""
    """``KN_LOG_FILE``: where log lines go; "" (unset): a crawl's to ``DATA_DIR/kn-crawl.log``,
    every other command's to the terminal; ``-``: the terminal (``--verbose``)."""
    base_urls: dict[str, str] = field(default_factory=dict)
    """Per-source base URL overrides from ``KN_BASE_URL_<SOURCE>`` (e.g. to point at a mirror)."""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    """Alert delivery. The SMTP password is deliberately not here (see SmtpSettings)."""
    alerts_secret_file: Path | None = None
    """Key for unsubscribe tokens when ``KN_ALERTS_SECRET`` is unset (default: in data_dir)."""
    tag_aliases_file: Path | None = None
    """Stichwort synonyms replacing the bundled ``kn_crawl/alerts/aliases.toml``."""
    vocabulary_file: Path | None = None
    """Terms extending the bundled vocabulary ``kn_crawl/vocabulary/terms.toml``."""
    sources_file: Path | None = None
    """The user's source catalogue (``KN_SOURCES_FILE``), which adds to, overrides or
    disables entries of the bundled one; None: ``./kn-sources.toml`` if present."""
    admin_emails: tuple[str, ...] = ()
    """Who hears about source health events (``KN_ADMIN_EMAIL``); empty: recorded only."""
    # Not in the repr: channel URLs hold tokens.
    health_channels: tuple[str, ...] = field(default=(), repr=False)
    """Apprise URLs that hear about source health events too (``KN_HEALTH_CHANNEL``)."""
    channel_timeout: float = 10.0
    """Seconds to connect to, and to wait for the answer of, a channel (``KN_CHANNEL_TIMEOUT``)."""
    public_url: str | None = None
    """Where readers reach the web UI (``KN_PUBLIC_URL``), for the absolute links it writes
    (Atom feeds); None: the address ``kn-crawl serve`` listens on."""
    trusted_proxy: str | None = None
    """``KN_TRUSTED_PROXY``: the reverse proxy's IP address; ``kn-crawl serve`` then takes a
    request's client from its ``X-Forwarded-For`` (for the self-service rate limits)."""
    metrics_port: int = 0
    """``KN_METRICS_PORT``: the scheduler serves Prometheus metrics on 127.0.0.1 at this port;
    0: it does not (``kn-crawl serve`` always has ``/metrics``)."""

    @property
    def user_agent(self) -> str:
        return f"kn-crawl/{__version__} (+{self.contact})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("KN_DATA_DIR") or "data")
        database_url = env.get("KN_DATABASE_URL") or f"sqlite:///{data_dir / 'kn-crawl.sqlite3'}"
        check_database_url(database_url)
        database_url = with_psycopg(database_url)
        contact = (env.get("KN_CONTACT") or DEFAULT_CONTACT).strip()
        if "\n" in contact or "\r" in contact:
            raise ConfigError("KN_CONTACT must be a single line")
        log_level = (env.get("KN_LOG_LEVEL") or "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(f"KN_LOG_LEVEL={log_level!r} is not a log level")
        log_format = (env.get("KN_LOG_FORMAT") or "text").strip().lower()
        if log_format not in ("text", "json"):
            raise ConfigError(f"KN_LOG_FORMAT={log_format!r} is not text or json")
        base_urls = {}
        for key, value in env.items():
            match = _BASE_URL_VAR.match(key)
            if match and value.strip():
                if not is_http_url(value.strip()):
                    raise ConfigError(f"{key}={value!r} is not an http(s) URL")
                base_urls[match.group(1).lower()] = value.strip()
        return cls(
            public_url=public_url(env.get("KN_PUBLIC_URL") or ""),
            metrics_port=_int(env, "KN_METRICS_PORT", 0, minimum=0, maximum=65535),
            trusted_proxy=trusted_proxy(env.get("KN_TRUSTED_PROXY") or ""),
            data_dir=data_dir,
            database_url=database_url,
            contact=contact,
            download_timeout=_int(env, "KN_DOWNLOAD_TIMEOUT", 30, minimum=1, maximum=DAY),
            max_response_bytes=_int(
                env, "KN_MAX_RESPONSE_BYTES", 8 * 1024 * 1024, minimum=1024, maximum=2**40
            ),
            concurrent_per_site=_int(env, "KN_CONCURRENT_PER_SITE", 2, minimum=1, maximum=100),
            crawl_processes=_int(env, "KN_CRAWL_PROCESSES", 1, minimum=1, maximum=64),
            batch_size=_int(env, "KN_BATCH_SIZE", 25, minimum=1, maximum=10_000),
            batch_processes=_int(env, "KN_BATCH_PROCESSES", 1, minimum=1, maximum=64),
            node=_node(env.get("KN_NODE") or ""),
            lease=_float(env, "KN_LEASE", 120.0, minimum=10.0, maximum=DAY),
            tick=_float(env, "KN_TICK", 30.0, minimum=1.0, maximum=DAY),
            robots_cache=_float(env, "KN_ROBOTS_CACHE", 86_400.0, maximum=DAY),
            listen_notify=_bool(env, "KN_LISTEN_NOTIFY", False),
            crawl_worker=_bool(env, "KN_CRAWL_WORKER", True),
            autothrottle_start_delay=_float(env, "KN_AUTOTHROTTLE_START_DELAY", 1.0, maximum=DAY),
            autothrottle_max_delay=_float(env, "KN_AUTOTHROTTLE_MAX_DELAY", 30.0, maximum=DAY),
            store_batch_size=_int(env, "KN_STORE_BATCH_SIZE", 50, minimum=1, maximum=10_000),
            download_delay=_float(env, "KN_DOWNLOAD_DELAY", 0.0, maximum=DAY),
            retry_times=_int(env, "KN_RETRY_TIMES", 2, maximum=100),
            # 100,000 days (273 years) already means "every article"; far beyond, "now minus
            # N days" falls before the year 1 and the crawl would fail on an OverflowError.
            recheck_days=_float(env, "KN_RECHECK_DAYS", 2.0, maximum=100_000),
            max_listing_pages=_int(env, "KN_MAX_LISTING_PAGES", 500, minimum=1, maximum=1_000_000),
            max_section_pages=_int(env, "KN_MAX_SECTION_PAGES", 200, minimum=1, maximum=1_000_000),
            max_links_per_page=_int(
                env, "KN_MAX_LINKS_PER_PAGE", 1000, minimum=1, maximum=1_000_000
            ),
            log_level=log_level,
            log_format=log_format,
            log_file=(env.get("KN_LOG_FILE") or "").strip(),
            base_urls=base_urls,
            smtp=SmtpSettings.from_env(env),
            alerts_secret_file=Path(env.get("KN_ALERTS_SECRET_FILE") or data_dir / "alerts-secret"),
            tag_aliases_file=Path(env["KN_TAG_ALIASES_FILE"])
            if env.get("KN_TAG_ALIASES_FILE")
            else None,
            vocabulary_file=Path(env["KN_VOCABULARY_FILE"])
            if env.get("KN_VOCABULARY_FILE")
            else None,
            admin_emails=_admin_emails(env.get("KN_ADMIN_EMAIL") or ""),
            health_channels=_health_channels(env.get("KN_HEALTH_CHANNEL") or ""),
            channel_timeout=_float(env, "KN_CHANNEL_TIMEOUT", 10.0, minimum=0.1, maximum=600),
            sources_file=Path(env["KN_SOURCES_FILE"]) if env.get("KN_SOURCES_FILE") else None,
        )

    @property
    def safe_database_url(self) -> str:
        return redact_url(self.database_url)


def _node(raw: str) -> str:
    """``KN_NODE``, or the host name: one printable line of at most 255 characters."""
    import socket

    value = raw.strip() or socket.gethostname()
    if not value.isprintable() or len(value) > 255:
        raise ConfigError(f"KN_NODE={raw!r} must be one printable line of at most 255 characters")
    return value


def _admin_emails(raw: str) -> tuple[str, ...]:
    """``KN_ADMIN_EMAIL``: comma-separated, each checked like a subscription address and
    lower-cased like outbox recipients; duplicates dropped, order kept."""
    # Imported here: the alerts package imports this module, and only this variable needs it.
    from kn_crawl.alerts.subscriptions import SubscriptionError, check_email

    addresses: dict[str, None] = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        try:
            addresses[check_email(part).lower()] = None
        except SubscriptionError as exc:
            raise ConfigError(f"KN_ADMIN_EMAIL: {exc}") from None
    return tuple(addresses)


def _health_channels(raw: str) -> tuple[str, ...]:
    """``KN_HEALTH_CHANNEL``: Apprise URLs separated by whitespace (commas belong to some
    URLs), each checked like ``subscribe --channel``; the error shows the URL masked."""
    from kn_crawl.alerts.channels import ChannelError, check_channel

    urls: dict[str, None] = {}
    for part in raw.split():
        try:
            urls[check_channel(part)] = None
        except ChannelError as exc:
            raise ConfigError(f"KN_HEALTH_CHANNEL: {exc}") from None
    return tuple(urls)


SUPPORTED_DATABASES = ("sqlite", "postgresql")

# libpq's and Heroku's spelling (``postgres://``, ``postgresql://``) names no driver:
# SQLAlchemy would refuse the first and load psycopg2, which we do not ship, for the second.
_LIBPQ_SCHEME = re.compile(r"^(?:postgres|postgresql)://", re.IGNORECASE)


def with_psycopg(url: str) -> str:
    """A libpq-style PostgreSQL URL as the psycopg 3 URL we ship the driver for; any other
    URL as it is. Only the scheme changes: user, password, host and query stay verbatim."""
    return _LIBPQ_SCHEME.sub("postgresql+psycopg://", url, count=1)


def check_database_url(url: str) -> None:
    """Refuse what is not a SQLAlchemy URL of a database kn-crawl supports, naming the
    variable and never the password. The driver itself is loaded with the engine
    (``kn_crawl.db.engine.load_driver``)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    example = "sqlite:///data/kn.sqlite3 or postgresql+psycopg://user@host/db"
    try:
        # Messages quote the URL as given; the check is of the URL kn-crawl will use.
        parsed = make_url(with_psycopg(url))
    except (ArgumentError, ValueError):  # ValueError: a port that is no number
        raise ConfigError(
            f"KN_DATABASE_URL={redact_url(url)!r} is not a SQLAlchemy URL (e.g. {example})"
        ) from None
    if parsed.password is not None and "@" in f"{parsed.host or ''}{parsed.database or ''}":
        # SQLAlchemy splits at the first "@": the driver would get the password's tail as
        # its host name, and put it into its error message.
        raise ConfigError(
            f"KN_DATABASE_URL={redact_url(url)!r}: the password holds an '@'; "
            "write it as %40 (URL-encoded)"
        )
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_DATABASES:
        raise ConfigError(
            f"KN_DATABASE_URL: database {backend!r} is not supported "
            f"(kn-crawl works with {' or '.join(SUPPORTED_DATABASES)}: {example})"
        )
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        raise ConfigError(
            f"KN_DATABASE_URL: {parsed.drivername!r} is not a known driver for {backend} "
            f"(e.g. {example})"
        ) from None


# Query parameters that carry secrets (libpq's password, sslpassword, tokens, keys).
_SECRET_PARAM = re.compile(r"pass|pwd|secret|token|key|auth|cred", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_HIDDEN = "***"


def redact_url(url: str) -> str:
    """The URL with every secret in it replaced by ``***``, for messages and logs.

    SQLAlchemy's own parsing and rendering decide what the password is. What it cannot parse
    is shown as its scheme only; a password holding an unencoded ``@`` (which SQLAlchemy
    splits at the first ``@``, so part of it would look like the host) hides everything up
    to the last ``@``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is no number
        scheme = _SCHEME.match(url)
        return f"{scheme.group(0)}{_HIDDEN}" if scheme else _HIDDEN
    secret_params = [k for k in parsed.query if _SECRET_PARAM.search(k)]
    if parsed.password is None and not secret_params:
        return url
    if parsed.password is not None and "@" in f"{parsed.host or ''}{parsed.database or ''}":
        rest = url.partition("://")[2]
        tail, query_sep, _ = rest.rpartition("@")[2].partition("?")
        return f"{parsed.drivername}://{_HIDDEN}@{tail}{query_sep and '?' + _HIDDEN}"
    if secret_params:
        parsed = parsed.update_query_dict(dict.fromkeys(secret_params, _HIDDEN))
    # render_as_string quotes the query values; the placeholder reads better unquoted.
    return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", _HIDDEN)


SECRET_VARIABLES = ("KN_SMTP_PASSWORD", "KN_ALERTS_SECRET")
_MIN_SECRET_SHOWN = 4
"""Shorter strings are not searched for: hiding every "pw" in a message would garble it."""


def redact_secrets(text: str, env: Mapping[str, str]) -> str:
    """``text`` without any secret of the configuration: the database password and secret
    query parameters of ``KN_DATABASE_URL``, the SMTP password, the alerts key. The last line
    of defence for error messages, which quote drivers and servers we do not control."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    secrets = [env.get(name, "") for name in SECRET_VARIABLES]
    secrets += (env.get("KN_HEALTH_CHANNEL") or "").split()  # channel URLs hold tokens
    try:
        parsed = make_url(env.get("KN_DATABASE_URL") or "sqlite://")
        secrets.append(parsed.password or "")
        for key, value in parsed.query.items():
            if _SECRET_PARAM.search(key):
                secrets += [value] if isinstance(value, str) else list(value)
    except (ArgumentError, ValueError):  # ValueError: a port that is no number
        pass
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= _MIN_SECRET_SHOWN:
            text = text.replace(secret, _HIDDEN)
    return text


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL that a request can be made to: a host, a port (if any) that is
    a port, brackets that close, no whitespace or control characters. (``urlsplit`` and
    Scrapy raise on ``http://[::1`` or ``:99999`` only when the URL is first used.)"""
    from urllib.parse import urlsplit

    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return False
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and (port is None or 1 <= port <= 65535)
    )


def trusted_proxy(raw: str) -> str | None:
    """``KN_TRUSTED_PROXY``: one IP address (no names: a name can change hands)."""
    import ipaddress

    value = raw.strip()
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ConfigError(
            f"KN_TRUSTED_PROXY={value!r} is not an IP address (e.g. 127.0.0.1)"
        ) from None


def public_url(raw: str) -> str | None:
    """``KN_PUBLIC_URL``: an absolute http(s) URL without query, fragment or login;
    returned with one trailing slash (links are joined to it)."""
    from urllib.parse import urlsplit

    value = raw.strip()
    if not value:
        return None
    parts = urlsplit(value) if is_http_url(value) else None
    if parts is None or parts.query or parts.fragment or parts.username is not None:
        raise ConfigError(
            f"KN_PUBLIC_URL={value!r} is not an absolute http(s) URL "
            "(e.g. https://kn.example.org/ or https://example.org/kn/)"
        )
    return value.rstrip("/") + "/"
