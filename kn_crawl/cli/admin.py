"""Administration commands: db upgrade."""

from __future__ import annotations

import click

from kn_crawl.cli.common import load_settings, open_engine


@click.group()
def db() -> None:
    """Database administration."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations (safe to run any time)."""
    from kn_crawl.db.migrate import current_revision

    settings = load_settings()
    engine = open_engine(settings)
    click.echo(f"{settings.safe_database_url} is at revision {current_revision(engine)}")
