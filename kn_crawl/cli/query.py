"""Reading commands: articles, dropped."""

from __future__ import annotations

import json

import click

from kn_crawl.cli.common import DB_ID, load_settings, local, open_engine, parse_since, table


@click.command()
@click.option("--tag", help="Only articles with this Stichwort (any spelling of it).")
@click.option("--source", help="Only articles of this source.")
@click.option("--since", help="Only articles published on or after this date.")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="At most this many articles.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
def articles(
    tag: str | None, source: str | None, since: str | None, limit: int, as_json: bool
) -> None:
    """List articles, newest first."""
    from kn_crawl.queries import list_articles
    from kn_crawl.sources import resolve_source

    if source:
        source = resolve_source(source)
    since_dt = parse_since(since)
    with open_engine(load_settings()).connect() as conn:
        rows = list_articles(conn, tag=tag, source=source, since=since_dt, limit=limit)
    if as_json:
        for r in rows:
            click.echo(
                json.dumps(
                    {
                        "id": r.id,
                        "source": r.source,
                        "published_at": r.published_at.isoformat(),
                        "kicker": r.kicker,
                        "title": r.title,
                        "url": r.url,
                        "tags": r.tags,
                        "tag_origins": dict(zip(r.tags, r.tag_origins, strict=True)),
                    },
                    ensure_ascii=False,
                )
            )
        return
    click.echo(
        table(
            [
                (
                    local(r.published_at, "%d.%m.%Y"),
                    r.source,
                    _headline(r.kicker, r.title),
                    ", ".join(r.tags),
                )
                for r in rows
            ],
            ["date", "source", "headline", "Stichwörter"],
        )
    )


def _headline(kicker: str | None, title: str, width: int = 70) -> str:
    text = f"{kicker}: {title}" if kicker else title
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command()
@click.option("--run", "run_id", type=DB_ID, help="Only drops of this crawl run.")
@click.option("--source", help="Only drops of this source.")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=50,
    show_default=True,
    help="At most this many rows.",
)
def dropped(run_id: int | None, source: str | None, limit: int) -> None:
    """List pages and items that were not stored, with the reason, newest first."""
    from kn_crawl.queries import dropped_rows
    from kn_crawl.sources import resolve_source

    if source:
        source = resolve_source(source)
    with open_engine(load_settings()).connect() as conn:
        rows = dropped_rows(conn, run_id=run_id, source=source, limit=limit)
    click.echo(
        table(
            [(local(r[0]), r[1], r[2], r[3], r[4], (r[5] or "")[:80]) for r in rows],
            ["when", "source", "stage", "reason", "URL", "detail"],
        )
    )
