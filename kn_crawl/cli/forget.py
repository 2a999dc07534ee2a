"""``kn-crawl forget``: delete articles, keeping their stories right."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from sqlalchemy.exc import SQLAlchemyError

from kn_crawl.cli.common import EXIT_FAILURE, fail, load_settings, open_engine


@click.command()
@click.argument("article_ids", nargs=-1, required=True, type=click.IntRange(min=1))
def forget(article_ids: tuple[int, ...]) -> None:
    """Delete articles by id (see 'kn-crawl articles' or the web UI), in one transaction.

    Their URLs, Stichwörter, revisions and alert records go with them; each one's story is
    recounted, and removed with its last article. Unknown ids are named on stderr (exit 1);
    the known ones are still forgotten. A
    crawl that finds a forgotten article on its site again stores it again.
    """
    from kn_crawl.db.errors import db_error_line
    from kn_crawl.stories.maintenance import forget as forget_articles

    settings = load_settings()
    engine = open_engine(settings)
    try:
        gone = forget_articles(engine, article_ids, now=datetime.now(UTC))
    except SQLAlchemyError as exc:
        fail(f"nothing forgotten: {db_error_line(exc)}", EXIT_FAILURE)
    unknown = sorted(set(article_ids) - set(gone))
    click.echo(
        f"forgot {len(gone)} article{'s' if len(gone) != 1 else ''}"
        + (f": {', '.join(map(str, gone))}" if gone else "")
    )
    if unknown:
        # Like ``unsubscribe``: what was asked for and not done is an error (exit 1), named.
        click.echo(f"kn-crawl: no such article: {', '.join(map(str, unknown))}", err=True)
        sys.exit(EXIT_FAILURE)
