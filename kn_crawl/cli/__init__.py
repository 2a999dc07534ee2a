"""The ``kn-crawl`` command line. Each command's docstring is its ``--help``; bodies only call
library code. Bad arguments and configuration end in one line on stderr and a non-zero exit.

One module per group of commands; a new feature adds its module and one line below.
"""

from __future__ import annotations

import logging

import click

from kn_crawl.cli import (
    admin,
    alerts,
    crawl,
    datasette,
    forget,
    query,
    schedule,
    search,
    sources,
    stories,
    vocabulary,
    worker,
)
from kn_crawl.cli.common import KnGroup


@click.group(cls=KnGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kn-crawl")
def main() -> None:
    """kn-crawl: monitor German municipal-digitalisation news.

    Crawls the configured news sites into a SQL database (SQLite by default, PostgreSQL via
    KN_DATABASE_URL) and lets you query what was collected. Configuration comes from KN_*
    environment variables; see the README.
    """
    # psycopg warns "error ignored terminating <Pipeline …>" when a batched statement failed
    # and its pipeline is closed: the failure itself is our one error line already (a read-only
    # role), and the warning would be a second line on stderr.
    logging.getLogger("psycopg").setLevel(logging.ERROR)
    _asked_for_logs()


def _asked_for_logs() -> None:
    """KN_LOG_FORMAT or KN_LOG_FILE given: every command logs in that form and place (the
    crawls, services and alert commands set up their own on top). Without them the reading
    commands keep a quiet stderr. A bad value is the command's own one-line error."""
    import contextlib
    import os

    from kn_crawl.logs import setup_command_logging
    from kn_crawl.settings import ConfigError, Settings

    if not (os.environ.get("KN_LOG_FORMAT") or os.environ.get("KN_LOG_FILE")):
        return
    try:
        settings = Settings.from_env()
    except ConfigError:
        return
    with contextlib.suppress(OSError):
        setup_command_logging(settings)


for command in (
    crawl.crawl,
    crawl.demo,
    sources.sources,
    crawl.parse,
    crawl.mirror,
    query.articles,
    query.dropped,
    admin.db,
    schedule.schedule,
    worker.worker,
    schedule.runs,
    schedule.health,
    search.search,
    stories.stories,
    search.tags,
    search.export,
    search.stats,
    search.serve,
    datasette.datasette,
    alerts.subscribe,
    alerts.unsubscribe,
    alerts.subscriptions,
    alerts.alerts,
    vocabulary.vocabulary,
    forget.forget,
):
    main.add_command(command)
