"""Every command against a bad environment and bad arguments: one line on stderr, the right
exit code (2: configuration or usage, 1: a failure outside), no traceback, no secret.

In-process through click's CliRunner (``catch_exceptions=False``: any exception other than
the exit itself fails the test, so a traceback cannot hide); ``tests/test_cli.py`` runs the
same kind of cases as real subprocesses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kn_crawl.cli import main
from tests import test_cli
from tests.test_cli import PAGES, Db, walk

# A private SQLite database, configured through the environment as in production.
db = test_cli.db

FILE = str(PAGES / "move-capture-semantic.html")
DEAD = "http://127.0.0.1:9/"

# One valid call of each command that reads the configuration (``parse`` and ``mirror serve``
# read none). A command added to the CLI must be added here: see the first test.
COMMANDS: dict[str, tuple[str, ...]] = {
    "crawl": ("crawl", "kommune21", "--base-url", DEAD),
    "demo": ("demo", "--port", "0"),
    "sources": ("sources",),
    "articles": ("articles",),
    "dropped": ("dropped",),
    "db upgrade": ("db", "upgrade"),
    "schedule": ("schedule", "--once"),
    "worker": ("worker", "--once"),
    "runs": ("runs",),
    "health": ("health",),
    "search": ("search", "OZG"),
    "tags": ("tags",),
    "export": ("export", "--format", "jsonl", "--output", "-"),
    "stats": ("stats",),
    "serve": ("serve", "--port", "0"),
    "subscribe": ("subscribe", "a@example.org", "--tag", "OZG"),
    "unsubscribe": ("unsubscribe", "1"),
    "subscriptions": ("subscriptions",),
    "alerts match": ("alerts", "match"),
    "alerts send": ("alerts", "send"),
    "alerts status": ("alerts", "status"),
    "vocabulary apply": ("vocabulary", "apply"),
    "forget": ("forget", "1"),
    "stories": ("stories",),
    "stories show": ("stories", "show", "1"),
    "stories rebuild": ("stories", "rebuild"),
}
NO_CONFIGURATION = {"parse", "mirror serve"}
# Reads the configuration but not the database.
NO_DATABASE: dict[str, tuple[str, ...]] = {
    "sources add": ("sources", "add", DEAD),
    "sources test": ("sources", "test", "kommune21", "--base-url", DEAD),
    "vocabulary match": ("vocabulary", "match", "OZG"),
    "datasette": ("datasette",),
}


@dataclass(frozen=True, slots=True)
class Fault:
    env: dict[str, str]
    says: str
    code: int = 2


SECRET = "s3cret"
ENV_FAULTS = {
    "mysql": Fault({"KN_DATABASE_URL": f"mysql://kn:{SECRET}@h/db"}, "'mysql' is not supported"),
    "oracle": Fault({"KN_DATABASE_URL": f"oracle://kn:{SECRET}@h/db"}, "'oracle' is not supported"),
    "no-slashes": Fault(
        {"KN_DATABASE_URL": f"postgresql:kn:{SECRET}@h/db"},
        "KN_DATABASE_URL='postgresql:***' is not a SQLAlchemy URL",
    ),
    "unknown-driver": Fault(
        {"KN_DATABASE_URL": f"postgresql+nosuch://kn:{SECRET}@h/db"},
        "'postgresql+nosuch' is not a known driver",
    ),
    "driver-not-installed": Fault(
        {"KN_DATABASE_URL": f"postgresql+psycopg2cffi://kn:{SECRET}@127.0.0.1:1/db"},
        "the driver for 'postgresql+psycopg2cffi' is not installed",
    ),
    "at-in-password": Fault(
        {"KN_DATABASE_URL": "postgresql+psycopg://kn:s3@cret@127.0.0.1:1/kn"},
        "the password holds an '@'; write it as %40",
    ),
    "delay-inf": Fault({"KN_DOWNLOAD_DELAY": "inf"}, "KN_DOWNLOAD_DELAY='inf' is not a finite"),
    "timeout-nan": Fault({"KN_DOWNLOAD_TIMEOUT": "nan"}, "KN_DOWNLOAD_TIMEOUT='nan' is not an"),
    "recheck-negative": Fault({"KN_RECHECK_DAYS": "-1"}, "KN_RECHECK_DAYS=-1 must be from 0"),
    "public-url": Fault({"KN_PUBLIC_URL": "ftp://x/"}, "KN_PUBLIC_URL='ftp://x/' is not an"),
    "base-url": Fault({"KN_BASE_URL_MOVE": "http://[::1"}, "KN_BASE_URL_MOVE='http://[::1'"),
}


def invoke(args: tuple[str, ...], env: dict[str, str]) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def assert_one_line(result: Result, code: int, says: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert result.stderr.startswith("kn-crawl: error: "), result.stderr
    assert len(result.stderr.rstrip("\n").splitlines()) == 1, result.stderr
    assert says in result.stderr, result.stderr
    assert SECRET not in result.output + result.stderr and "cret" not in result.stderr


def test_the_table_knows_every_command() -> None:
    leaves = {
        " ".join(path)
        for path in walk(main)
        if path and path[-1] not in ("db", "alerts", "mirror", "vocabulary")
    }
    assert leaves == set(COMMANDS) | set(NO_DATABASE) | NO_CONFIGURATION


@pytest.mark.parametrize("fault", ENV_FAULTS.values(), ids=ENV_FAULTS.keys())
@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_bad_environment(db: Db, tmp_path: Path, command: tuple[str, ...], fault: Fault) -> None:
    result = invoke(command, db.env | fault.env)
    assert_one_line(result, fault.code, fault.says)
    assert not (tmp_path / "data").exists()


# The driver is loaded with the engine: a command without a database never sees it.
SETTINGS_FAULTS = {k: f for k, f in ENV_FAULTS.items() if k != "driver-not-installed"}


@pytest.mark.parametrize("fault", SETTINGS_FAULTS.values(), ids=SETTINGS_FAULTS.keys())
@pytest.mark.parametrize("command", NO_DATABASE.values(), ids=NO_DATABASE.keys())
def test_bad_environment_of_commands_without_database(
    db: Db, tmp_path: Path, command: tuple[str, ...], fault: Fault
) -> None:
    result = invoke(command, db.env | fault.env)
    assert_one_line(result, fault.code, fault.says)
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_unreachable_database_hides_a_query_password(db: Db, command: tuple[str, ...]) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://kn@127.0.0.1:1/kn?password={SECRET}&sslmode=disable"
    result = invoke(command, db.env | {"KN_DATABASE_URL": url})
    assert_one_line(
        result, 1, "cannot open database postgresql+psycopg://kn@127.0.0.1:1/kn?password=***"
    )


@dataclass(frozen=True, slots=True)
class BadArgs:
    args: tuple[str, ...]
    says: str
    code: int = 2
    usage: bool = True
    """A click usage error (``Usage: …`` then ``Error: …``) rather than ``kn-crawl: error:``."""


BIG = str(2**64)
BAD_ARGS = {
    "dropped-run-beyond-64-bits": BadArgs(("dropped", "--run", BIG), "--run"),
    "dropped-run-negative": BadArgs(("dropped", "--run", "-1"), "--run"),
    "search-offset-beyond-64-bits": BadArgs(("search", "x", "--offset", BIG), "--offset"),
    "search-query-year-zero": BadArgs(("search", "since:0000"), "not a year", usage=False),
    "search-query-unicode-year": BadArgs(("search", "since:٢٠٢٥"), "not a date", usage=False),
    "articles-limit-superscript": BadArgs(("articles", "--limit", "²"), "--limit"),
    "unsubscribe-beyond-64-bits": BadArgs(("unsubscribe", BIG), "IDS"),
    "unsubscribe-zero": BadArgs(("unsubscribe", "0"), "IDS"),
    "mirror-size-5": BadArgs(("mirror", "serve", "--size", "5"), "5 is not in the range 160<=x"),
    "mirror-size-huge": BadArgs(("mirror", "serve", "--size", BIG), "--size"),
    "mirror-port-last": BadArgs(("mirror", "serve", "--port", "65535"), "0<=x<=65522"),
    "mirror-port-negative": BadArgs(("mirror", "serve", "--port", "-1"), "--port"),
    "demo-size-5": BadArgs(("demo", "--size", "5"), "5 is not in the range 160<=x"),
    "demo-port-last": BadArgs(("demo", "--port", "65534"), "0<=x<=65522"),
    "crawl-base-url-open-bracket": BadArgs(
        ("crawl", "kommune21", "--base-url", "http://[::1/"), "is not an http(s) URL"
    ),
    "crawl-base-url-no-host": BadArgs(("crawl", "kommune21", "--base-url", "http://"), "http(s)"),
    "crawl-base-url-bad-port": BadArgs(
        ("crawl", "kommune21", "--base-url", "http://127.0.0.1:99999/"), "http(s)"
    ),
    "parse-url-open-bracket": BadArgs(
        ("parse", "--source", "move", "--url", "http://[::1", FILE), "--url"
    ),
    "serve-port": BadArgs(("serve", "--port", "99999"), "--port"),
    "serve-host": BadArgs(
        ("serve", "--host", "256.0.0.1", "--port", "0"), "cannot listen", 1, False
    ),
    "export-no-folder": BadArgs(
        ("export", "--format", "csv", "--output", "/nonexistent/x.csv"),
        "no such folder",
        usage=False,
    ),
    "export-parquet-stdout": BadArgs(("export", "--format", "parquet", "--output", "-"), "parquet"),
    "tags-impossible-date": BadArgs(("tags", "--since", "31.02.2025"), "31.02.2025"),
    "alerts-send-limit-zero": BadArgs(("alerts", "send", "--limit", "0"), "--limit"),
    "schedule-missing-config": BadArgs(
        ("schedule", "--once", "--config", "/nonexistent.toml"), "does not exist", usage=False
    ),
    "subscribe-not-an-address": BadArgs(("subscribe", "notanemail"), "not an e-mail", usage=False),
}


@pytest.mark.parametrize("bad", BAD_ARGS.values(), ids=BAD_ARGS.keys())
def test_bad_arguments(db: Db, tmp_path: Path, bad: BadArgs) -> None:
    # A database to read: without one, a reading command ends before its arguments matter.
    assert invoke(("db", "upgrade"), db.env).exit_code == 0
    result = invoke(bad.args, db.env)
    if bad.usage:
        assert result.exit_code == 2, result.stderr
        assert result.stderr.startswith("Usage: "), result.stderr
        assert result.stderr.rstrip("\n").splitlines()[-1].startswith("Error: ")
        assert bad.says in result.stderr
    else:
        assert_one_line(result, bad.code, bad.says)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"KN_SCHEDULE_INTERVAL": "inf"}, "KN_SCHEDULE_INTERVAL: 'inf' is not a duration"),
        ({"KN_SCHEDULE_TIMEOUT": "1e999s"}, "KN_SCHEDULE_TIMEOUT: '1e999s' is not a duration"),
        ({"KN_SCHEDULE_JITTER": "nan"}, "KN_SCHEDULE_JITTER: 'nan' is not a duration"),
        ({"KN_SCHEDULE_GRACE": "400d"}, "KN_SCHEDULE_GRACE: '400d' is longer than a year"),
    ],
)
def test_bad_schedule_durations(db: Db, env: dict[str, str], says: str) -> None:
    assert_one_line(invoke(("schedule", "--once"), db.env | env), 2, says)
