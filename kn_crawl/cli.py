"""The ``kn-crawl`` command line. Each command's docstring is its ``--help``; bodies only call
library code. Bad arguments and configuration end in one line on stderr and a non-zero exit."""

from __future__ import annotations

import ipaddress
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from kn_crawl.dates import BERLIN, parse_date
from kn_crawl.settings import ConfigError, Settings

EXIT_USAGE = 2
EXIT_FAILURE = 1


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    # One line, always: driver messages may hold newlines and tabs.
    click.echo(f"kn-crawl: error: {' '.join(message.split())}", err=True)
    sys.exit(code)


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        fail(f"bad configuration: {exc}")


def open_engine(settings: Settings, *, migrate: bool = True) -> Engine:
    """The configured database, migrated to the current schema."""
    from kn_crawl.db.engine import get_engine
    from kn_crawl.db.migrate import upgrade

    try:
        engine = get_engine(settings.database_url)
        if migrate:
            upgrade(engine)
    except OSError as exc:
        fail(f"cannot open database {settings.safe_database_url}: {exc}", EXIT_FAILURE)
    except OperationalError as exc:
        fail(f"cannot open database {settings.safe_database_url}: {exc.orig}", EXIT_FAILURE)
    return engine


def parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = parse_date(value, now=datetime.now(BERLIN))
    if parsed is None:
        raise click.BadParameter(
            f"{value!r} is not a date (try 2025-01-31 or 31.01.2025)", param_hint="--since"
        )
    return parsed


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain fixed-width table."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    out += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(out)


def local(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return dt.astimezone(BERLIN).strftime(fmt) if dt else "-"


class KnGroup(click.Group):
    """Turns our expected errors into one-line messages instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            fail(str(exc))
        except OperationalError as exc:
            fail(f"database error: {exc.orig}", EXIT_FAILURE)
        except SQLAlchemyError as exc:
            fail(f"database error: {exc}", EXIT_FAILURE)


@click.group(cls=KnGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kn-crawl")
def main() -> None:
    """kn-crawl: monitor German municipal-digitalisation news.

    Crawls the configured news sites into a SQL database (SQLite by default, PostgreSQL via
    KN_DATABASE_URL) and lets you query what was collected. Configuration comes from KN_*
    environment variables; see the README.
    """


# --- crawling -----------------------------------------------------------------------------


def parse_base_urls(values: Sequence[str], sources: Sequence[str]) -> dict[str, str]:
    """``--base-url URL`` (one source) or ``--base-url SOURCE=URL`` (any number)."""
    result: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if sep and not name.startswith(("http://", "https://")):
            result[name.strip()] = url.strip()
        elif len(sources) == 1:
            result[sources[0]] = value.strip()
        else:
            raise click.BadParameter(
                "with several sources, write --base-url SOURCE=URL", param_hint="--base-url"
            )
    for name, url in result.items():
        if name not in sources:
            raise click.BadParameter(
                f"{name!r} is not among the sources crawled", param_hint="--base-url"
            )
        if not url.startswith(("http://", "https://")):
            raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--base-url")
    return result


def crawl_and_report(
    sources: Sequence[str],
    settings: Settings,
    base_urls: dict[str, str],
    extra: dict[str, Any] | None = None,
) -> list[int]:
    from kn_crawl.crawling.runner import run_crawl
    from kn_crawl.queries import runs_of

    engine = open_engine(settings)
    outcomes = run_crawl(sources, settings, base_urls=base_urls, extra_settings=extra)
    run_ids = [o.run_id for o in outcomes if o.run_id is not None]
    with engine.connect() as conn:
        runs_by_id = {r.id: r for r in runs_of(conn, run_ids)}
    rows = [(o, runs_by_id[o.run_id]) for o in outcomes if o.run_id in runs_by_id]
    click.echo("")
    click.echo(
        table(
            [
                (
                    o.source,
                    r.status,
                    r.pages,
                    r.articles_new,
                    r.articles_updated,
                    r.articles_unchanged,
                    r.dropped,
                    r.errors,
                )
                for o, r in rows
            ],
            ["source", "status", "pages", "new", "updated", "unchanged", "dropped", "errors"],
        )
    )
    if len(rows) < len(outcomes):
        missing = ", ".join(o.source for o in outcomes if o.run_id not in runs_by_id)
        fail(f"no crawl run was recorded for {missing} (see the log above)", EXIT_FAILURE)
    return run_ids


@main.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--base-url",
    "base_url",
    multiple=True,
    metavar="[SOURCE=]URL",
    help="Crawl this base URL instead of the real site (e.g. a mirror). Repeatable.",
)
def crawl(sources: tuple[str, ...], base_url: tuple[str, ...]) -> None:
    """Crawl SOURCES now (all sources when none are given) and print a summary."""
    from kn_crawl.sources import source_names, spider_for

    settings = load_settings()
    names = list(sources) or source_names()
    for name in names:
        spider_for(name)
    urls = parse_base_urls(base_url, names)
    run_ids = crawl_and_report(names, settings, urls, {"LOGSTATS_INTERVAL": 15.0})
    from kn_crawl.queries import runs_of

    with open_engine(settings, migrate=False).connect() as conn:
        if any(r.status != "ok" for r in runs_of(conn, run_ids)):
            sys.exit(EXIT_FAILURE)


@main.command()
@click.option("--size", type=click.IntRange(min=1), default=None, help="Articles in the mirror.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8021,
    show_default=True,
    help="First port of the mirror (one port per site; 0 picks free ports).",
)
def demo(size: int | None, port: int) -> None:
    """Serve the bundled mirror on 127.0.0.1, crawl all its sources into the database and
    print what was collected.

    Fixed default ports keep article URLs stable, so running the demo twice adds nothing.
    """
    from kn_crawl.mirror import Mirror
    from kn_crawl.sources import source_names

    settings = load_settings()
    names = source_names()
    try:
        mirror = Mirror(size, ports={n: (port + i if port else 0) for i, n in enumerate(names)})
        mirror.start()
    except OSError as exc:
        fail(f"cannot serve the mirror on port {port}: {exc} (try --port 0)", EXIT_FAILURE)
    try:
        click.echo(f"Mirror serving on {', '.join(mirror.base_urls.values())}")
        click.echo(f"Crawling {', '.join(names)} into {settings.safe_database_url} …")
        demo_settings = {"AUTOTHROTTLE_START_DELAY": 0.0, "LOG_LEVEL": "WARNING"}
        run_ids = crawl_and_report(names, settings, dict(mirror.base_urls), demo_settings)
    finally:
        mirror.stop()
    print_totals(settings, run_ids)


def print_totals(settings: Settings, run_ids: list[int]) -> None:
    from kn_crawl.queries import totals

    with open_engine(settings, migrate=False).connect() as conn:
        t = totals(conn, run_ids)
    click.echo("")
    click.echo(f"Database:  {settings.safe_database_url}")
    click.echo(f"Sources:   {t.sources}")
    click.echo(f"Articles:  {t.articles}")
    click.echo(f"Stichwörter: {t.tags}")
    click.echo(f"Revisions: {t.revisions}")
    dropped = ", ".join(f"{reason} {n}" for reason, n in t.dropped_by_reason.items()) or "none"
    click.echo(f"Not stored in this run (reason count): {dropped}")
    click.echo("See them with: kn-crawl dropped    Latest articles: kn-crawl articles")


# --- reading ------------------------------------------------------------------------------


@main.command()
def sources() -> None:
    """List the configured sources with their base URL and last run."""
    from kn_crawl.queries import source_rows
    from kn_crawl.sources import spider_classes

    settings = load_settings()
    with open_engine(settings).connect() as conn:
        known = source_rows(conn)
    rows = []
    for name, cls in spider_classes().items():
        row = known.get(name)
        base = settings.base_urls.get(name) or cls.default_base_url
        rows.append(
            (
                name,
                cls.source_title,
                base,
                row.articles if row else 0,
                local(row.last_run_at) if row else "never",
                (row.last_status or "-") if row else "-",
                row.last_new if row and row.last_new is not None else "-",
            )
        )
    click.echo(
        table(rows, ["source", "title", "base URL", "articles", "last run", "status", "new"])
    )


@main.command()
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
    from kn_crawl.sources import spider_for

    if source:
        spider_for(source)
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


@main.command()
@click.option("--run", "run_id", type=int, help="Only drops of this crawl run.")
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
    from kn_crawl.sources import spider_for

    if source:
        spider_for(source)
    with open_engine(load_settings()).connect() as conn:
        rows = dropped_rows(conn, run_id=run_id, source=source, limit=limit)
    click.echo(
        table(
            [(local(r[0]), r[1], r[2], r[3], r[4], (r[5] or "")[:80]) for r in rows],
            ["when", "source", "stage", "reason", "URL", "detail"],
        )
    )


@main.command()
@click.option("--source", "source_name", required=True, help="The source the page is from.")
@click.option("--url", help="The page's URL (decides the page kind; else it is sniffed).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def parse(source_name: str, url: str | None, file: Path) -> None:
    """Print what is extracted from a saved page FILE as JSON.

    An article page gives its article; a listing or feed gives its entries and next-page
    link. Run this when a site changed its pages.
    """
    from kn_crawl.sources import spider_for

    cls = spider_for(source_name)
    extract: Callable[..., Any] | None = getattr(cls, "extract", None)
    if extract is None:
        fail(f"source {source_name!r} has no page extraction")
    result = extract(url, file.read_bytes())
    click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))


# --- administration -----------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database administration."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations (safe to run any time)."""
    from kn_crawl.db.migrate import current_revision

    settings = load_settings()
    engine = open_engine(settings)
    click.echo(f"{settings.safe_database_url} is at revision {current_revision(engine)}")


@main.group()
def mirror() -> None:
    """The bundled offline mirror of the K21 sites (for demos and tests)."""


@mirror.command("serve")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8021,
    show_default=True,
    help="First port; site i listens on PORT+i (0 picks free ports).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--size", type=click.IntRange(min=1), default=None, help="Articles in the mirror.")
def mirror_serve(port: int, host: str, size: int | None) -> None:
    """Serve the mirror until interrupted, printing each site's base URL."""
    if not is_loopback(host):
        fail(f"--host {host!r}: the mirror only listens on loopback addresses")
    from kn_crawl.mirror import serve

    try:
        serve(size, host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc}", EXIT_FAILURE)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


if __name__ == "__main__":  # pragma: no cover
    main()
