"""Stories: one piece of news and every source that told it (``kn-crawl stories``)."""

from __future__ import annotations

import json
from typing import Any

import click

from kn_crawl.cli.common import (
    DB_ID,
    EXIT_FAILURE,
    fail,
    load_settings,
    local,
    open_engine,
    parse_since,
    table,
)
from kn_crawl.cli.search import read_engine


def _headline(title: str, width: int = 70) -> str:
    return title if len(title) <= width else title[: width - 1] + "…"


def _as_json(story: Any) -> dict[str, Any]:
    return {
        "id": story.id,
        "title": story.title,
        "first_seen_at": story.first_seen_at.isoformat(),
        "first_published_at": story.first_published_at.isoformat(),
        "last_published_at": story.last_published_at.isoformat(),
        "article_count": story.article_count,
        "source_count": story.source_count,
        "sources": sorted({a.source for a in story.articles}),
        "articles": [
            {
                "id": a.id,
                "source": a.source,
                "title": a.title,
                "url": a.url,
                "published_at": a.published_at.isoformat(),
            }
            for a in story.articles
        ],
    }


@click.group(invoke_without_command=True)
@click.option("--since", help="Only stories with an article published on or after this date.")
@click.option(
    "--min-sources",
    type=click.IntRange(1, 10_000),
    default=1,
    show_default=True,
    help="Only stories told by at least this many sources.",
)
@click.option(
    "--order",
    type=click.Choice(["recent", "sources"]),
    default="recent",
    show_default=True,
    help="Newest article first, or most sources first.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="At most this many stories.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@click.pass_context
def stories(
    ctx: click.Context,
    since: str | None,
    min_sources: int,
    order: str,
    limit: int,
    as_json: bool,
) -> None:
    """List stories: pieces of news with the number of sources that told them.

    Articles that say the same (a press release and its copies at other sources) belong to
    one story. 'kn-crawl stories show ID' lists one story's articles.
    """
    if ctx.invoked_subcommand is not None:
        return
    from kn_crawl.search.stories import list_stories

    since_dt = parse_since(since)
    with read_engine() as engine, engine.connect() as conn:
        rows = list_stories(
            conn,
            since=since_dt,
            min_sources=min_sources,
            limit=limit,
            order=order,  # type: ignore[arg-type]
        )
    if as_json:
        for s in rows:
            click.echo(json.dumps(_as_json(s), ensure_ascii=False))
        return
    click.echo(
        table(
            [
                (
                    s.id,
                    local(s.last_published_at, "%d.%m.%Y"),
                    s.source_count,
                    s.article_count,
                    _headline(s.title),
                    ", ".join(sorted({a.source for a in s.articles})),
                )
                for s in rows
            ],
            ["id", "latest", "sources", "articles", "title", "told by"],
        )
    )


@stories.command()
@click.argument("story_id", type=DB_ID)
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
def show(story_id: int, as_json: bool) -> None:
    """One story: its articles, the first one first, with source, date and URL."""
    from kn_crawl.search.stories import story_detail

    with read_engine() as engine, engine.connect() as conn:
        story = story_detail(conn, story_id)
    if story is None:
        fail(f"no story {story_id}", EXIT_FAILURE)
    if as_json:
        click.echo(json.dumps(_as_json(story), ensure_ascii=False, indent=2))
        return
    click.echo(
        f"story {story.id}: {story.source_count} sources, {story.article_count} articles, "
        f"first seen {local(story.first_seen_at)}"
    )
    click.echo(
        table(
            [
                (a.id, local(a.published_at), a.source, _headline(a.title, 60), a.url)
                for a in story.articles
            ],
            ["article", "published", "source", "title", "URL"],
        )
    )


@stories.command()
def rebuild() -> None:
    """Cluster every article into stories again, from scratch, in one transaction.

    For a database from before stories existed, or after the clustering changed; crawls
    keep stories up to date on their own. On failure the old stories stay as they were.
    """
    from datetime import UTC, datetime

    from kn_crawl.stories.maintenance import rebuild as rebuild_stories

    engine = open_engine(load_settings())
    try:
        done = rebuild_stories(engine, now=datetime.now(UTC))
    finally:
        engine.dispose()
    click.echo(
        f"rebuilt stories: {done.articles:,} articles in {done.stories:,} stories "
        f"({done.multi_source:,} told by more than one source)"
    )
