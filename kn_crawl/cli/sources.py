"""The source commands: the catalogue with each source's state, and onboarding a new one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import click

from kn_crawl.cli.common import (
    check_sqlite_path,
    fail,
    load_settings,
    local,
    open_engine,
    sqlite_file,
    table,
)
from kn_crawl.cli.source_test import sources_test
from kn_crawl.settings import is_http_url


@click.group(invoke_without_command=True)
@click.pass_context
def sources(ctx: click.Context) -> None:
    """List the sources of the catalogue with their base URL, last run, family, health, when
    each is due next and which node has it (`running on NODE`, next due "after this run";
    `queued on NODE` while its batch waits); then the disabled ones with the reason, also
    those the cluster's schedule turned off (KN_SCHEDULE_<SOURCE>=off: "schedule: off").

    The catalogue is the bundled one plus KN_SOURCES_FILE (default ./kn-sources.toml);
    `kn-crawl sources add URL` adds a source to it.
    """
    if ctx.invoked_subcommand is None:
        _list_sources()


def _list_sources() -> None:
    from kn_crawl.catalog.load import load_catalog
    from kn_crawl.catalog.sync import NOT_IN_CATALOGUE
    from kn_crawl.queries import source_rows

    settings = load_settings()
    catalog = load_catalog(settings)
    if (path := sqlite_file(settings)) is not None and not path.exists():
        # Nothing crawled yet: the catalogue is worth listing, an empty database is not
        # worth creating for it.
        check_sqlite_path(settings, create=True)
        known = {}
    else:
        with open_engine(settings).connect() as conn:
            known = source_rows(conn)
    now = datetime.now(UTC)
    rows = []
    # What the cluster does is in the table (its schedule-owning processes write it): a
    # source turned off there (KN_SCHEDULE_<SOURCE>=off on the nodes) is disabled, whatever
    # this shell's environment says.
    off = {
        name: row.disabled_reason or "disabled"
        for name, row in known.items()
        if not row.enabled and name in catalog and catalog[name].enabled
    }
    for entry in catalog.enabled():
        if entry.name in off:
            continue
        # A row alone is no run (the schedule-owning processes write every row).
        row = known.get(entry.name)
        crawled = row if row is not None and row.last_run_at is not None else None
        rows.append(
            (
                entry.name,
                entry.title,
                entry.base_url,
                row.articles if row else 0,
                local(crawled.last_run_at) if crawled else "never",
                (crawled.last_status or "-") if crawled else "-",
                crawled.last_new if crawled and crawled.last_new is not None else "-",
                _archive_cell(crawled.archive, crawled.pending_listings) if crawled else "-",
                entry.family,
                (row.health or "-") if row else "-",
                # Its next due time is written when the run ends.
                "after this run"
                if row and row.running
                else due_in(row.next_due_at if row else None, now),
                (row.node or "-") if row else "-",
            )
        )
    headers = ["source", "title", "base URL", "articles", "last run", "status", "new", "archive"]
    click.echo(table(rows, [*headers, "family", "health", "next due", "node"]))
    for name, row in known.items():
        if row.archive and name in catalog and catalog[name].enabled:
            click.echo(f"{name}: {row.archive}; the next crawl continues it")
    disabled = [
        (e.name, e.title, e.family, known[e.name].articles if e.name in known else 0,
         e.disabled_reason)
        for e in catalog.disabled()
    ]  # fmt: skip
    disabled += [
        (name, catalog[name].title, catalog[name].family, known[name].articles, reason)
        for name, reason in off.items()
    ]
    # Rows of sources taken out of the catalogue: their articles stay.
    disabled += [
        (name, row.title, row.family, row.articles, NOT_IN_CATALOGUE)
        for name, row in known.items()
        if name not in catalog
    ]
    if disabled:
        click.echo("")
        click.echo("Disabled sources:")
        click.echo(table(disabled, ["source", "title", "family", "articles", "reason"]))


def due_in(when: datetime | None, now: datetime) -> str:
    """When a source is due next, relative and in Europe/Berlin: ``now``, ``in 12 min
    (14:05)``, ``in 2 h 5 min (16:10)``, ``in 3 d (02.12. 14:05)``."""
    if when is None or when <= now:
        return "now"
    minutes = int((when - now).total_seconds() // 60)
    if minutes < 1:
        return f"in <1 min ({local(when, '%H:%M')})"
    if minutes < 60:
        return f"in {minutes} min ({local(when, '%H:%M')})"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"in {hours} h {rest} min ({local(when, '%H:%M')})"
    return f"in {minutes // (24 * 60)} d ({local(when, '%d.%m. %H:%M')})"


def _archive_cell(archive: str, pending: int) -> str:
    if not archive:
        return "complete"
    return f"incomplete, {pending} pending" if pending else "incomplete"


@sources.command("add")
@click.argument("url")
@click.option(
    "--name",
    help="The source's name (default: from the site's host name; for an IP address, its title).",
)
@click.option("--title", help="The source's title (default: the site's name on the page).")
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The catalogue file to add it to (default: KN_SOURCES_FILE or ./kn-sources.toml).",
)
def add(url: str, name: str | None, title: str | None, file: Path | None) -> None:
    """Look at URL (a site's news page) and add the site to your catalogue.

    Fetches robots.txt and the page (obeying robots.txt), finds the feeds the page announces
    (else tries the common feed paths), the sitemaps, an article-URL pattern from the
    page's links and the CMS family, prints what it found and appends the entry to the
    catalogue file. The entry is a proposal: try it with `kn-crawl sources test NAME`
    before the first crawl.
    """
    from kn_crawl.catalog.checks import MAX_NAME
    from kn_crawl.catalog.discover import host_is_address, source_name_for
    from kn_crawl.catalog.load import NAME_RE, catalog_files, load_files, user_file
    from kn_crawl.catalog.onboard import (
        OnboardError,
        append_entry,
        describe_sitemap,
        discover_source,
        entry_text,
        today,
    )

    if not is_http_url(url):
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="URL")
    settings = load_settings()
    target = file or user_file(settings)
    # An IP address names no site: the name then comes from the site's title (--title, else
    # the page's), known only after the page is read.
    from_page = name is None and host_is_address(url) and title is None
    name = name or source_name_for(url, title)
    if not NAME_RE.fullmatch(name) or len(name) > MAX_NAME:
        raise click.BadParameter(
            f"{name!r} is not a source name (lower-case letters, digits and _, starting with a "
            f"letter, at most {MAX_NAME} characters)",
            param_hint="--name",
        )
    # The catalogue as configured, except a user's file that does not exist yet (this
    # creates it), and the file written to.
    files = [f for f in catalog_files(settings) if f.exists()]
    files += [target] if target.exists() and target not in files else []
    taken = set(load_files(tuple(files)))
    if name in taken and not from_page:
        fail(f"a source named {name!r} is already in the catalogue; choose another with --name")
    try:
        found = discover_source(url, settings)
    except OnboardError as exc:
        fail(str(exc), exc.code)
    if from_page:
        # The page's title, unless it had none (then the Discovery falls back to the host).
        page_title = None if found.title == urlsplit(found.page_url).netloc else found.title
        name = source_name_for(url, page_title)
        port = urlsplit(url).port
        if name in taken and port is not None:
            # Two sites of one mirror may share a title: their ports tell them apart.
            name = f"{name[: MAX_NAME - 6]}_{port}"
        if name in taken:
            fail(f"a source named {name!r} is already in the catalogue; choose another with --name")
    click.echo(f"Page:     {found.page_url} (family {found.family})")
    for feed in found.feeds:
        click.echo(f"Feed:     {feed.url} ({feed.kind}, {feed.how})")
    if not found.feeds:
        click.echo("Feed:     none found")
    for sitemap in found.sitemaps:
        click.echo(f"Sitemap:  {describe_sitemap(sitemap)}")
    if found.pattern is not None:
        click.echo(f"Articles: {found.pattern} ({found.matched} links on the page)")
    else:
        click.echo("Articles: no pattern (too few article-like links on the page)")
    for note in found.notes:
        click.echo(f"Skipped:  {note}")
    text = entry_text(name, found, title=title or found.title, source_url=url, today=today())
    append_entry(target, text)
    click.echo("")
    click.echo(f"Added to {target}:")
    click.echo("")
    click.echo(text, nl=False)
    click.echo("")
    click.echo(f"Next: kn-crawl sources test {name}")


# ``sources test`` lives in its own module (a trial crawl, no database).
sources.add_command(sources_test, "test")
