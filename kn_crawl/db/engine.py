"""Engines and sessions, with the SQLite settings that make concurrent writers safe."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url

from kn_crawl.settings import ConfigError

# How long a SQLite writer waits for another writer's lock before failing (ms).
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _prepare_sqlite_path(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _install_sqlite_hooks(engine: Engine) -> None:
    # pysqlite's own transaction handling issues a deferred BEGIN lazily; two writers can then
    # both read, and the second fails to upgrade its lock ("database is locked") or, worse,
    # writes on stale reads. We take over: autocommit at the driver level, and an explicit
    # BEGIN IMMEDIATE so every write transaction holds the write lock from its first read.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def load_driver(url: str) -> None:
    """Import the URL's database driver now, so that a missing one is a one-line
    configuration error naming the package to install, not an ImportError traceback from
    deep inside SQLAlchemy. The URL itself was checked by ``Settings.from_env``."""
    parsed = make_url(url)
    try:
        parsed.get_dialect().import_dbapi()
    except ImportError as exc:
        hint = (
            " (kn-crawl's PostgreSQL driver: postgresql+psycopg://, pip install -e '.[postgres]')"
            if parsed.get_backend_name() == "postgresql"
            else ""
        )
        raise ConfigError(
            f"KN_DATABASE_URL: the driver for {parsed.drivername!r} is not installed: {exc}{hint}"
        ) from None


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A new engine for ``url``; SQLite files get their folder, WAL and immediate writes."""
    load_driver(url)
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    if is_sqlite:
        _prepare_sqlite_path(url)
    # A failing statement's error text would otherwise carry its parameters (addresses,
    # confirmation links, channel URLs with their tokens) into logs and error lines.
    kwargs.setdefault("hide_parameters", True)
    engine = create_engine(url, **kwargs)
    if is_sqlite:
        _install_sqlite_hooks(engine)
    return engine


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One shared engine per URL and process (engines pool connections; make few)."""
    return make_engine(url)
