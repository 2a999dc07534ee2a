"""``kn-crawl sources test NAME``: what an analyst checks before enabling a source.

A plain command (``sources_test``); the ``sources`` group attaches it as ``test``.
"""

from __future__ import annotations

import click

from kn_crawl.cli.common import EXIT_FAILURE, check_vocabulary, fail, load_settings, local
from kn_crawl.items import VOCABULARY
from kn_crawl.settings import ConfigError, is_http_url

BODY_PREVIEW = 200
SHOWN = 10
"""Articles printed in full; the counts cover all of them."""
MAX_LIMIT = 100
"""A trial reads a few articles; a whole site is a crawl."""


@click.command("test")
@click.argument("name")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    default=5,
    show_default=True,
    help="Stop after this many articles.",
)
@click.option("--base-url", metavar="URL", help="Read the source here instead (e.g. a mirror).")
def sources_test(name: str, limit: int, base_url: str | None) -> None:
    """Crawl a few articles of source NAME without storing anything, and show how many came
    out with each field filled, the first articles and what was dropped.

    Reads the site as a crawl does (robots.txt, the source's origins, the same extraction
    and validation); writes nothing to the database. Exits 1 when no article came out.
    """
    from kn_crawl.crawling.trial import max_pages, run_trial
    from kn_crawl.sources import normalize_base_url, spider_for

    settings = load_settings()
    check_vocabulary(settings)
    try:
        spider_for(name)
        if base_url is not None:
            if not is_http_url(base_url):
                raise click.BadParameter(
                    f"{base_url!r} is not an http(s) URL", param_hint="--base-url"
                )
            base_url = normalize_base_url(base_url)
    except ConfigError as exc:
        fail(str(exc))
    result = run_trial(name, settings, limit=limit, base_url=base_url)
    if result.error is not None:
        fail(f"sources test {name}: {result.error}", EXIT_FAILURE)
    drops = ", ".join(f"{reason} {n}" for reason, n in result.drops.items())
    if not result.articles:
        why = drops or f"the crawl ended ({result.finish_reason or 'unknown'})"
        if result.finish_reason == "closespider_pagecount":
            why = f"{max_pages(limit)} pages read; {why}"
        if result.detail:
            why += f" ({result.detail})"
        fail(f"no article came out of {name} at {result.base_url}: {why}", EXIT_FAILURE)

    count = len(result.articles)
    click.echo(f"{name}: {count} articles read from {result.base_url} (nothing stored)")
    if result.finish_reason == "closespider_pagecount" and count < limit:
        click.echo(f"stopped after {max_pages(limit)} pages, before {limit} articles came out")
    click.echo(", ".join(f"{label} {n}/{count}" for label, n in result.filled()))
    click.echo(f"dropped: {drops or 'none'}")
    for number, item in enumerate(result.articles[:SHOWN], 1):
        click.echo("")
        click.echo(f"{number}. {item.title or '(no title)'}")
        date = local(item.published_at, "%Y-%m-%d") if item.published_at else "(no date)"
        click.echo(f"   {date}  {item.url}")
        shown = [
            f"{t} (vocabulary)" if item.tag_origins.get(t) == VOCABULARY else t for t in item.tags
        ]
        click.echo(f"   tags: {', '.join(shown) if shown else '(none)'}")
        body = (item.body or "(no body)").replace("\n\n", " ")
        click.echo(f"   {body[:BODY_PREVIEW]}{'…' if len(body) > BODY_PREVIEW else ''}")
    if count > SHOWN:
        click.echo(f"\n… and {count - SHOWN} more")
