"""Administration commands: db upgrade."""

from __future__ import annotations

import click
from sqlalchemy import Engine

from kn_crawl.cli.common import load_settings, open_engine


@click.group()
def db() -> None:
    """Database administration."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations (safe to run any time)."""
    from kn_crawl.db.migrate import current_revision

    settings = load_settings()
    engine = open_engine(settings, create=True)
    click.echo(f"{settings.safe_database_url} is at revision {current_revision(engine)}")
    if engine.dialect.name == "postgresql":
        _queue_schema(engine)


def _queue_schema(engine: Engine) -> None:
    """The cluster's job queue (procrastinate's tables), applied once when absent."""
    try:
        from kn_crawl.cluster.app import ensure_queue_schema
    except ImportError:  # procrastinate not installed: no cluster, nothing to apply
        return
    try:
        applied = ensure_queue_schema(engine)
    except ImportError:
        return
    if applied:
        click.echo("job queue schema (procrastinate) applied")
