"""The procrastinate app of the cluster: its job queue in kn-crawl's own PostgreSQL.

Two queues: ``tick`` (the periodic look for due sources; short, its own worker, so long
crawls cannot starve it) and ``crawl`` (one job per batch). Job arguments are source names
and web hosts only — never the database URL, which may hold a password.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from kn_crawl.db.locks import JOB_QUEUE_SCHEMA, session_lock, session_unlock
from kn_crawl.settings import ConfigError, Settings

logger = logging.getLogger(__name__)

TICK_QUEUE = "tick"
CRAWL_QUEUE = "crawl"
TICK_TASK = "kn_crawl.tick"
CRAWL_TASK = "kn_crawl.crawl_batch"

# Steps that divide a minute (seconds) or an hour (minutes): what cron can say evenly.
_STEPS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)


def tick_cron(tick_s: float) -> str:
    """procrastinate's cron (a sixth column for seconds) for a tick of about ``tick_s``: the
    largest step not above it that divides a minute, or, from a minute on, an hour."""
    if tick_s < 60:
        step = max(s for s in _STEPS if s <= max(tick_s, 1))
        return "* * * * *" if step == 60 else f"* * * * * */{step}"
    minutes = int(tick_s // 60)
    if minutes >= 60:
        return "0 * * * *"
    step = max(s for s in _STEPS if s <= minutes)
    return f"*/{step} * * * *"


def conninfo(database_url: str) -> str:
    """libpq connection string of a SQLAlchemy PostgreSQL URL (for procrastinate's psycopg
    pool). It holds the password: never logged, never a job argument."""
    from psycopg.conninfo import make_conninfo

    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            "the cluster needs PostgreSQL (KN_DATABASE_URL=postgresql+psycopg://…); "
            "on one machine use `kn-crawl schedule`"
        )
    params: dict[str, Any] = {
        key: value for key, value in url.query.items() if isinstance(value, str)
    }
    for key, value in (
        ("host", url.host),
        ("port", url.port),
        ("user", url.username),
        ("password", url.password),
        ("dbname", url.database),
    ):
        if value is not None:
            params[key] = str(value)
    return make_conninfo("", **params)


def make_app(settings: Settings, *, tick: bool = True) -> Any:
    """The app with its tasks: ``crawl_batch`` and (``tick``) the periodic tick."""
    import procrastinate

    from kn_crawl.cluster import tasks

    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(settings.database_url),
        # (procrastinate checks each connection on checkout: one broken by a database
        # restart is replaced, not handed to a job.)
        kwargs={"application_name": "kn-crawl worker"},
        min_size=1,
        max_size=4,
    )
    app = procrastinate.App(connector=connector)
    # No ``lock`` on any task: with a ``queueing_lock`` it lets a dead worker block the
    # queue for good (procrastinate #1446, #1543); host locks keep batches apart instead.
    app.task(name=CRAWL_TASK, queue=CRAWL_QUEUE, pass_context=True)(tasks.crawl_batch)
    if tick:
        from kn_crawl.cluster.tick import tick_task

        # queueing_lock: at most one tick waits; ticks that pile up behind it are dropped.
        task = app.task(name=TICK_TASK, queue=TICK_QUEUE, queueing_lock="tick", pass_context=True)(
            tick_task
        )
        app.periodic(cron=tick_cron(settings.tick), periodic_id="tick")(task)
    return app


def queue_schema_present(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar()
        )


def ensure_queue_schema(engine: Engine) -> bool:
    """Apply procrastinate's schema to the database when it is absent (``kn-crawl db
    upgrade`` on PostgreSQL); True if it was applied. Upgrades of procrastinate's own schema
    are its business (its ``sql/migrations``), applied by the operator on a version change.

    Serialised by an advisory lock, so two workers starting at once apply it once."""
    from procrastinate.schema import SchemaManager

    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        session_lock(conn, JOB_QUEUE_SCHEMA)
        try:
            present = conn.execute(
                text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
            ).scalar()
            if present:
                conn.commit()
                return False
            # Several statements in one: psycopg's simple query protocol (no parameters).
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute(SchemaManager.get_schema())
            conn.commit()
            logger.info("procrastinate's job queue schema applied")
            return True
        finally:
            session_unlock(conn, JOB_QUEUE_SCHEMA)
            conn.commit()
