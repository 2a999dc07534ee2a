"""Unsubscribe tokens: HMAC-signed subscription ids, checked offline against the database.

The key comes from ``KN_ALERTS_SECRET`` or, when unset, from a file generated once under the
data folder (mode 0600). There is no built-in key: a known key would let anyone unsubscribe
anyone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

from kn_crawl.settings import ConfigError, Settings

MIN_SECRET_BYTES = 16
_TOKEN_RE = re.compile(r"^(\d+(?:-\d+)*)\.([A-Za-z0-9_-]{22})$")


def load_secret(settings: Settings, env: Mapping[str, str] | None = None) -> bytes:
    env = os.environ if env is None else env
    raw = env.get("KN_ALERTS_SECRET", "").strip()
    if raw:
        secret = raw.encode()
    else:
        path = settings.alerts_secret_file or settings.data_dir / "alerts-secret"
        secret = _read_or_create(path)
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigError(f"the alerts secret must be at least {MIN_SECRET_BYTES} characters")
    return secret


def _read_or_create(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot read the alerts secret file {path}: {exc.strerror}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes creating it at once agree on the one that won.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"cannot create the alerts secret file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path.read_bytes().strip()


def make_token(secret: bytes, subscription_ids: Iterable[int], recipient: str) -> str:
    """``12-15.<signature>``: unsubscribes subscriptions 12 and 15 of ``recipient``."""
    payload = "-".join(str(i) for i in sorted(set(subscription_ids)))
    message = f"kn-unsubscribe\0{payload}\0{recipient.strip().lower()}".encode()
    mac = hmac.new(secret, message, hashlib.sha256).digest()[:16]
    return f"{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def token_ids(token: str) -> list[int] | None:
    """The subscription ids a well-formed token names (unverified), else None."""
    match = _TOKEN_RE.match(token.strip())
    return [int(i) for i in match.group(1).split("-")] if match else None


def token_valid(secret: bytes, token: str, recipient: str) -> bool:
    ids = token_ids(token)
    if ids is None:
        return False
    return hmac.compare_digest(make_token(secret, ids, recipient), token.strip())


# --- self-service links (web UI): signed, purpose-bound, the confirmation one with expiry ---

CONFIRM_TTL_SECONDS = 7 * 24 * 3600
"""A confirmation link works for a week; after that the pending subscription is ignored."""


def _sign(secret: bytes, purpose: str, payload: str) -> str:
    mac = hmac.new(secret, f"kn-{purpose}\0{payload}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _unb64(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


_CONFIRM_RE = re.compile(r"^(\d{1,18})\.(\d{1,12})\.([A-Za-z0-9_-]{22})$")
_MANAGE_RE = re.compile(r"^([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{22})$")


def make_confirm_token(secret: bytes, subscription_id: int, recipient: str, expires: int) -> str:
    """``<id>.<expires (Unix seconds)>.<signature over id, expiry and address>``."""
    payload = f"{subscription_id}\0{expires}\0{recipient.strip().lower()}"
    return f"{subscription_id}.{expires}.{_sign(secret, 'confirm', payload)}"


def confirm_token_parts(token: str) -> tuple[int, int] | None:
    """(subscription id, expiry) of a well-formed confirmation token (unverified)."""
    match = _CONFIRM_RE.match(token.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def confirm_token_valid(secret: bytes, token: str, recipient: str) -> bool:
    parts = confirm_token_parts(token)
    if parts is None:
        return False
    expected = make_confirm_token(secret, parts[0], recipient, parts[1])
    return hmac.compare_digest(expected, token.strip())


def make_manage_token(secret: bytes, recipient: str) -> str:
    """``<address, base64url>.<signature>``: lets its holder manage that address's
    subscriptions (it is in every alert e-mail, like the unsubscribe link)."""
    address = recipient.strip().lower()
    return f"{_b64(address)}.{_sign(secret, 'manage', address)}"


def manage_token_address(secret: bytes, token: str) -> str | None:
    """The address a genuine manage token is bound to, else None."""
    match = _MANAGE_RE.match(token.strip())
    if match is None:
        return None
    address = _unb64(match.group(1))
    if not address or address != address.strip().lower():
        return None
    genuine = hmac.compare_digest(make_manage_token(secret, address), token.strip())
    return address if genuine else None
