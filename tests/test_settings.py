"""Settings from the environment: every number is finite, in range and named in its error;
every form of database URL prints without its secrets; the database kind is checked first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kn_crawl.settings import ConfigError, Settings, public_url, redact_secrets, redact_url

REPO = Path(__file__).resolve().parent.parent


def numeric_settings() -> dict[str, str]:
    """Every variable of the README's Configuration table whose default is a number, with
    that default (so settings that other changes add are covered once they are documented).
    ``A`` / ``B`` rows pair their names and defaults; one name with several defaults (the
    SMTP port by TLS mode) takes the first."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    found: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`KN_"):
            continue
        defaults = re.findall(r"`([^`]*)`", cells[1])
        if defaults and all(re.fullmatch(r"[0-9.]+", d) for d in defaults):
            names = re.findall(r"`(KN_[A-Z0-9_]+)`", cells[0])
            pairs = (
                zip(names, defaults, strict=True)
                if len(names) == len(defaults)
                else ((n, defaults[0]) for n in names)
            )
            found.update(pairs)
    return found


NUMERIC = numeric_settings()


def test_the_readme_lists_the_numeric_settings() -> None:
    # The table parse above must find the known ones, or the tests below test nothing.
    known = {"KN_DOWNLOAD_DELAY", "KN_DOWNLOAD_TIMEOUT", "KN_AUTOTHROTTLE_MAX_DELAY",
             "KN_RECHECK_DAYS", "KN_SMTP_PORT", "KN_SMTP_TIMEOUT",
             "KN_MAX_LISTING_PAGES"}  # fmt: skip
    assert known <= set(NUMERIC)


HOSTILE = {
    "nan": "nan",
    "inf": "inf",
    "minus-inf": "-inf",
    "overflow": "1e999",
    "huge": "1" + "0" * 30,
    "negative": "-1",
    "arabic-digit": "٣",
    "superscript": "²",
    "underscore": "1_0",
    "words": "ten",
    "hex": "0x10",
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("name", NUMERIC)
def test_every_number_setting_refuses_hostile_values(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}="), message
    assert "\n" not in message


@pytest.mark.parametrize(("name", "default"), NUMERIC.items(), ids=NUMERIC.keys())
def test_every_number_setting_takes_its_readme_default(name: str, default: str) -> None:
    Settings.from_env({name: default})  # no error


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"KN_DOWNLOAD_DELAY": "inf"}, "KN_DOWNLOAD_DELAY='inf' is not a finite number"),
        ({"KN_DOWNLOAD_DELAY": "1e999"}, "KN_DOWNLOAD_DELAY='1e999' is not a finite number"),
        ({"KN_DOWNLOAD_DELAY": "nan"}, "KN_DOWNLOAD_DELAY='nan' is not a finite number"),
        ({"KN_DOWNLOAD_DELAY": "-0.5"}, "KN_DOWNLOAD_DELAY=-0.5 must be from 0 to 86400"),
        ({"KN_DOWNLOAD_DELAY": "2e5"}, "KN_DOWNLOAD_DELAY=200000 must be from 0 to 86400"),
        ({"KN_RECHECK_DAYS": "-1"}, "KN_RECHECK_DAYS=-1 must be from 0 to 100000"),
        ({"KN_RECHECK_DAYS": "1e6"}, "KN_RECHECK_DAYS=1000000 must be from 0 to 100000"),
        ({"KN_RETRY_TIMES": "٣"}, "KN_RETRY_TIMES='٣' is not an integer"),
        ({"KN_CONCURRENT_PER_SITE": "0"}, "KN_CONCURRENT_PER_SITE=0 must be from 1 to 100"),
        ({"KN_SMTP_TIMEOUT": "0"}, "KN_SMTP_TIMEOUT=0 must be from 0.1 to 3600"),
        ({"KN_SMTP_PORT": "70000"}, "KN_SMTP_PORT=70000 is not a port"),
    ],
)
def test_number_errors_name_the_setting(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(says)):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("env", "attribute", "value"),
    [
        ({"KN_DOWNLOAD_DELAY": " 0.25 "}, "download_delay", 0.25),
        ({"KN_DOWNLOAD_DELAY": "1e1"}, "download_delay", 10.0),
        ({"KN_DOWNLOAD_DELAY": ".5"}, "download_delay", 0.5),
        ({"KN_RECHECK_DAYS": "0"}, "recheck_days", 0.0),
        ({"KN_RECHECK_DAYS": "100000"}, "recheck_days", 100_000.0),  # "every article"
        ({"KN_RETRY_TIMES": "+3"}, "retry_times", 3),
        ({"KN_DOWNLOAD_TIMEOUT": ""}, "download_timeout", 30),
    ],
)
def test_good_numbers(env: dict[str, str], attribute: str, value: float) -> None:
    assert getattr(Settings.from_env(env), attribute) == value


# --- secrets in database URLs ---------------------------------------------------------------

REDACTED = {
    "user-password": (
        "postgresql+psycopg://kn:s3cret@db.example:5432/kn",
        "postgresql+psycopg://kn:***@db.example:5432/kn",
    ),
    "empty-user": ("postgresql://:s3cret@host/db", "postgresql://:***@host/db"),
    "query-password": (
        "postgresql://kn@host/db?password=s3cret&sslmode=require",
        "postgresql://kn@host/db?password=***&sslmode=require",
    ),
    "query-sslpassword": (
        "postgresql://kn@host/db?sslpassword=s3cret",
        "postgresql://kn@host/db?sslpassword=***",
    ),
    "both": (
        "postgresql://kn:s3cret@host/db?password=s3cret",
        "postgresql://kn:***@host/db?password=***",
    ),
    "unencoded-at": ("postgresql+psycopg://kn:s3@cret@host/db", "postgresql+psycopg://***@host/db"),
    "unencoded-at-and-slash": ("postgresql://kn:s3@c/ret@host/db", "postgresql://***@host/db"),
    "unencoded-at-with-query": (
        "postgresql://kn:s3@cret@host/db?a=b",
        "postgresql://***@host/db?***",
    ),
    "encoded-at": ("postgresql://kn:s3%40cret@host/db", "postgresql://kn:***@host/db"),
    "ipv6": ("postgresql://kn:s3cret@[::1]:5432/db", "postgresql://kn:***@[::1]:5432/db"),
    "socket-in-query": (
        "postgresql://kn:s3cret@/db?host=/run/postgresql",
        "postgresql://kn:***@/db?host=%2Frun%2Fpostgresql",
    ),
    "missing-slashes": ("postgresql:kn:s3cret@host/db", "postgresql:***"),
    "one-slash": ("postgresql:/kn:s3cret@host/db", "postgresql:***"),
    "no-scheme": ("kn:s3cret@host/db", "kn:***"),
    "garbage": ("s3cret", "***"),
    "port-not-a-number": ("postgresql://kn:s3cret@host:abc/db", "postgresql:***"),
    "unclosed-ipv6": ("postgresql://kn:s3cret@[::1/db", "postgresql:***"),
    "no-secret-kept-as-is": ("postgresql://kn@host/db", "postgresql://kn@host/db"),
    "sqlite-kept-as-is": ("sqlite:////tmp/a b/kn@1.sqlite3", "sqlite:////tmp/a b/kn@1.sqlite3"),
}


@pytest.mark.parametrize(("url", "shown"), REDACTED.values(), ids=REDACTED.keys())
def test_database_url_secrets_are_masked(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert "s3cret" not in redact_url(url) and "cret" not in redact_url(url)


def test_settings_never_show_the_database_password() -> None:
    s = Settings.from_env({"KN_DATABASE_URL": "postgresql+psycopg://kn:s3cret@host/db"})
    assert s.safe_database_url == "postgresql+psycopg://kn:***@host/db"
    assert "s3cret" not in repr(s)


LIBPQ_URLS = {
    "heroku": ("postgres://kn:s3cret@host:5432/db", "postgresql+psycopg://kn:***@host:5432/db"),
    "libpq": ("postgresql://kn:s3cret@host/db", "postgresql+psycopg://kn:***@host/db"),
    "upper-case": ("POSTGRES://kn@host/db", "postgresql+psycopg://kn@host/db"),
    "query-kept": (
        "postgres://kn@host/db?sslmode=require&password=s3cret",
        "postgresql+psycopg://kn@host/db?password=***&sslmode=require",
    ),
    "driver-kept": (
        "postgresql+psycopg://kn:s3cret@host/db",
        "postgresql+psycopg://kn:***@host/db",
    ),
}


@pytest.mark.parametrize(("url", "shown"), LIBPQ_URLS.values(), ids=LIBPQ_URLS.keys())
def test_libpq_style_database_urls_use_psycopg(url: str, shown: str) -> None:
    s = Settings.from_env({"KN_DATABASE_URL": url})
    assert s.safe_database_url == shown
    assert s.database_url.startswith("postgresql+psycopg://")
    assert "s3cret" not in s.safe_database_url and "s3cret" not in repr(s)


BAD_DATABASE = {
    "mysql": ("mysql://kn:s3cret@host/db", "database 'mysql' is not supported"),
    "mysql-driver": ("mysql+pymysql://kn:s3cret@host/db", "database 'mysql' is not supported"),
    "oracle": ("oracle://kn:s3cret@host/db", "database 'oracle' is not supported"),
    "unknown-scheme": ("garbage://kn:s3cret@x/db", "database 'garbage' is not supported"),
    "unknown-driver": (
        "postgresql+nosuch://kn:s3cret@host/db",
        "'postgresql+nosuch' is not a known driver for postgresql",
    ),
    "missing-slashes": ("postgresql:kn:s3cret@host/db", "'postgresql:***' is not a SQLAlchemy URL"),
    "empty-scheme": ("://kn:s3cret@host/db", "'***' is not a SQLAlchemy URL"),
    "port-not-a-number": (
        "postgresql://kn:s3cret@host:abc/db",
        "'postgresql:***' is not a SQLAlchemy URL",
    ),
    "unencoded-at": (
        "postgresql://kn:s3@cret@host/db",
        "the password holds an '@'; write it as %40",
    ),
}


@pytest.mark.parametrize(("url", "says"), BAD_DATABASE.values(), ids=BAD_DATABASE.keys())
def test_unsupported_or_garbage_database_urls(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"KN_DATABASE_URL": url})
    assert says in str(caught.value)
    assert str(caught.value).startswith("KN_DATABASE_URL")
    assert "s3cret" not in str(caught.value)


SECRET_ENV = {
    "KN_DATABASE_URL": "postgresql://kn:db-s3cret@host/db?sslpassword=key-s3cret&sslmode=require",
    "KN_SMTP_PASSWORD": "smtp-s3cret",
    "KN_ALERTS_SECRET": "alerts-s3cret-0123456789",
}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("auth failed with db-s3cret for kn", "auth failed with *** for kn"),
        ("bad key key-s3cret", "bad key ***"),
        ("535 smtp-s3cret rejected", "535 *** rejected"),
        ("token alerts-s3cret-0123456789!", "token ***!"),
        ("sslmode=require kn host", "sslmode=require kn host"),
    ],
)
def test_error_messages_lose_every_configured_secret(text: str, shown: str) -> None:
    assert redact_secrets(text, SECRET_ENV) == shown


def test_short_or_absent_secrets_leave_messages_alone() -> None:
    env = {"KN_DATABASE_URL": "postgresql://kn:pw@host/db", "KN_SMTP_PASSWORD": ""}
    assert redact_secrets("pw is a pwd", env) == "pw is a pwd"
    assert redact_secrets("x", {"KN_DATABASE_URL": "not a url"}) == "x"


# --- KN_PUBLIC_URL --------------------------------------------------------------------------

PUBLIC_URLS = {
    "host": ("https://kn.example.org", "https://kn.example.org/"),
    "path": ("https://example.org/kn/", "https://example.org/kn/"),
    "port": ("http://127.0.0.1:8000", "http://127.0.0.1:8000/"),
    "unset": ("", None),
}


@pytest.mark.parametrize(("raw", "value"), PUBLIC_URLS.values(), ids=PUBLIC_URLS.keys())
def test_public_url(raw: str, value: str | None) -> None:
    assert public_url(raw) == value
    assert Settings.from_env({"KN_PUBLIC_URL": raw}).public_url == value


@pytest.mark.parametrize(
    "raw",
    ["kn.example.org", "/kn/", "ftp://example.org/", "https://", "https://x/?a=1", "https://x/#f",
     "https://user:pw@x/", "https://x:port/", "https://x/\nEvil: 1", "javascript:alert(1)"],
)  # fmt: skip
def test_bad_public_url(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"KN_PUBLIC_URL=.* is not an absolute http"):
        Settings.from_env({"KN_PUBLIC_URL": raw})
