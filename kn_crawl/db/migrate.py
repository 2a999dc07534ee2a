"""Apply Alembic migrations from code (``kn-crawl db upgrade``), for SQLite and PostgreSQL."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from kn_crawl.db import locks

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # env.py takes the live engine from here, so passwords never pass through ini strings.
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), revision)
        return
    # Several nodes start `kn-crawl worker` at once: one migrates, the others wait for it
    # and then find nothing to do (two at once collide on CREATE TABLE).
    with engine.connect() as conn:
        locks.session_lock(conn, locks.MIGRATIONS)
        conn.commit()
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            locks.session_unlock(conn, locks.MIGRATIONS)
            conn.commit()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return _head()


@lru_cache(maxsize=1)
def _head() -> str | None:
    # Reading the scripts costs ~30 ms; they do not change while a process runs.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


class SchemaBehind(RuntimeError):
    """The database's schema is older (or newer) than this code's; the message is one line
    naming the command that upgrades it."""


def require_current(engine: Engine) -> None:
    """A crawl process never migrates (two processes migrating at once, a migration in the
    middle of a batch): it refuses a database whose schema is not the code's."""
    current, head = current_revision(engine), _head()
    if current != head:
        raise SchemaBehind(
            f"the database schema is at revision {current or 'none'}, this kn-crawl needs "
            f"{head}: run `kn-crawl db upgrade` first"
        )


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)
