"""Deployment configuration, read once from ``KN_*`` environment variables.

Everything a deployment may change lives here, with its default. Secrets (database passwords
inside ``KN_DATABASE_URL``, the SMTP password) are read from the environment by the
component that needs them and never copied into Scrapy settings, which Scrapy logs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kn_crawl import __version__


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message says which and why."""


DEFAULT_CONTACT = "kn-crawl operator <ops@kn-crawl.invalid>"

# ``crawl --full`` reads every listing again, but a listing that never ends (a trap, a broken
# pager) must still end: its caps are this many times the listing caps.
FULL_CRAWL_FACTOR = 10


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
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


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
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
        if unsubscribe_url and not unsubscribe_url.startswith(("https://", "http://")):
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
            timeout=_float(env, "KN_SMTP_TIMEOUT", 30.0, minimum=0.1),
            ca_file=Path(env["KN_SMTP_CA_FILE"]) if env.get("KN_SMTP_CA_FILE") else None,
            unsubscribe_url=unsubscribe_url,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    contact: str
    download_timeout: int = 30
    max_response_bytes: int = 8 * 1024 * 1024
    concurrent_per_site: int = 2
    crawl_processes: int = 1
    """Sources crawled side by side, each in a process of its own (at most this many); 1: all
    sources in one process."""
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
    base_urls: dict[str, str] = field(default_factory=dict)
    """Per-source base URL overrides from ``KN_BASE_URL_<SOURCE>`` (e.g. to point at a mirror)."""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    """Alert delivery. The SMTP password is deliberately not here (see SmtpSettings)."""
    alerts_secret_file: Path | None = None
    """Key for unsubscribe tokens when ``KN_ALERTS_SECRET`` is unset (default: in data_dir)."""
    tag_aliases_file: Path | None = None
    """Stichwort synonyms replacing the bundled ``kn_crawl/alerts/aliases.toml``."""
    admin_emails: tuple[str, ...] = ()
    """Who hears about source health events (``KN_ADMIN_EMAIL``); empty: recorded only."""

    @property
    def user_agent(self) -> str:
        return f"kn-crawl/{__version__} (+{self.contact})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("KN_DATA_DIR") or "data")
        database_url = env.get("KN_DATABASE_URL") or f"sqlite:///{data_dir / 'kn-crawl.sqlite3'}"
        if "://" not in database_url:
            raise ConfigError(
                f"KN_DATABASE_URL must be a SQLAlchemy URL such as sqlite:///data/kn.sqlite3 "
                f"or postgresql+psycopg://user@host/db, got {_redact(database_url)!r}"
            )
        contact = (env.get("KN_CONTACT") or DEFAULT_CONTACT).strip()
        if "\n" in contact or "\r" in contact:
            raise ConfigError("KN_CONTACT must be a single line")
        log_level = (env.get("KN_LOG_LEVEL") or "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(f"KN_LOG_LEVEL={log_level!r} is not a log level")
        base_urls = {}
        for key, value in env.items():
            match = _BASE_URL_VAR.match(key)
            if match and value.strip():
                if not value.startswith(("http://", "https://")):
                    raise ConfigError(f"{key}={value!r} is not an http(s) URL")
                base_urls[match.group(1).lower()] = value.strip()
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            contact=contact,
            download_timeout=_int(env, "KN_DOWNLOAD_TIMEOUT", 30, minimum=1),
            max_response_bytes=_int(env, "KN_MAX_RESPONSE_BYTES", 8 * 1024 * 1024, minimum=1024),
            concurrent_per_site=_int(env, "KN_CONCURRENT_PER_SITE", 2, minimum=1),
            crawl_processes=_int(env, "KN_CRAWL_PROCESSES", 1, minimum=1),
            crawl_worker=_bool(env, "KN_CRAWL_WORKER", True),
            autothrottle_start_delay=_float(env, "KN_AUTOTHROTTLE_START_DELAY", 1.0),
            autothrottle_max_delay=_float(env, "KN_AUTOTHROTTLE_MAX_DELAY", 30.0),
            store_batch_size=_int(env, "KN_STORE_BATCH_SIZE", 50, minimum=1),
            download_delay=_float(env, "KN_DOWNLOAD_DELAY", 0.0),
            retry_times=_int(env, "KN_RETRY_TIMES", 2),
            recheck_days=_float(env, "KN_RECHECK_DAYS", 2.0),
            max_listing_pages=_int(env, "KN_MAX_LISTING_PAGES", 500, minimum=1),
            max_section_pages=_int(env, "KN_MAX_SECTION_PAGES", 200, minimum=1),
            max_links_per_page=_int(env, "KN_MAX_LINKS_PER_PAGE", 1000, minimum=1),
            log_level=log_level,
            base_urls=base_urls,
            smtp=SmtpSettings.from_env(env),
            alerts_secret_file=Path(env.get("KN_ALERTS_SECRET_FILE") or data_dir / "alerts-secret"),
            tag_aliases_file=Path(env["KN_TAG_ALIASES_FILE"])
            if env.get("KN_TAG_ALIASES_FILE")
            else None,
            admin_emails=_admin_emails(env.get("KN_ADMIN_EMAIL") or ""),
        )

    @property
    def safe_database_url(self) -> str:
        return _redact(self.database_url)


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


def _redact(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
