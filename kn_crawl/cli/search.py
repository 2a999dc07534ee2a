"""Analysts' commands: search, tags, export, stats, serve. They only read: after the usual
migration on start they open the database read-only."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
from sqlalchemy import Engine

from kn_crawl.cli.common import (
    DB_COUNT,
    EXIT_FAILURE,
    QueryCommand,
    fail,
    load_settings,
    local,
    open_engine,
    parse_since,
    table,
)
from kn_crawl.dates import BERLIN
from kn_crawl.query import Query, QueryError, parse_query

if TYPE_CHECKING:
    from kn_crawl.search.stories import StoryOf

QUERY_HELP = (
    'Words, "exact phrases", -exclusions, OR, and filters tag: source: section: since: until: '
    "(see the README, section Search)."
)
# Exports at least this large get a progress bar (on a terminal).
PROGRESS_MIN_ROWS = 10_000


def _query(text: str) -> Query:
    """The parsed query, its ``source:`` values as the catalogue names them: an unknown
    source is the same one-line error as ``articles --source`` gives, not "0 of 0"."""
    from dataclasses import replace

    from kn_crawl.sources import resolve_source

    try:
        parsed = parse_query(text, now=datetime.now(BERLIN))
    except QueryError as exc:
        fail(f"bad query: {exc}")
    return replace(
        parsed,
        sources=tuple(resolve_source(s) for s in parsed.sources),
        excluded_sources=tuple(resolve_source(s) for s in parsed.excluded_sources),
    )


@contextmanager
def read_engine() -> Iterator[Engine]:
    """The configured database, migrated, then reopened read-only."""
    from kn_crawl.search.readonly import readonly_engine

    settings = load_settings()
    open_engine(settings)
    try:
        engine = readonly_engine(settings.database_url)
    except (OSError, ValueError) as exc:
        fail(f"cannot open database {settings.safe_database_url}: {exc}", EXIT_FAILURE)
    try:
        yield engine
    finally:
        engine.dispose()


def _plain(segments: list[tuple[str, bool]]) -> str:
    return "".join(text for text, _ in segments)


@click.command(cls=QueryCommand)
@click.argument("query", nargs=-1, required=True)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="At most this many results.",
)
@click.option("--offset", type=DB_COUNT, default=0, help="Skip this many results.")
@click.option(
    "--order",
    type=click.Choice(["relevance", "date"]),
    default="relevance",
    show_default=True,
    help="Best match first, or newest first.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "jsonl"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--collapse",
    is_flag=True,
    help="Fold the results of one story into its first (best) one, with the number of "
    "other sources that told it (other_sources, folded in csv/json).",
)
def search(
    query: tuple[str, ...], limit: int, offset: int, order: str, fmt: str, collapse: bool
) -> None:
    """Full-text search in the collected articles.

    QUERY uses the query language: words, "exact phrases", -exclusions, OR, and filters
    tag:, source:, section:, since:, until: — e.g. 'OZG OR Onlinezugangsgesetz tag:Hessen
    since:01.03.2025'. Umlauts may be written out (Buergerbuero finds Bürgerbüro). The
    words may be separate arguments; one starting with '-' is an exclusion (search -OZG
    Hessen), not an option ('--' ends the options).
    """
    from kn_crawl.search import search as run_search
    from kn_crawl.search.export import csv_cells
    from kn_crawl.search.stories import Collapsed, collapse_hits, stories_of

    parsed = _query(" ".join(query))
    with read_engine() as engine, engine.connect() as conn:
        page = run_search(conn, parsed, limit=limit, offset=offset, order=order)  # type: ignore[arg-type]
        stories = stories_of(conn, [h.id for h in page.hits]) if collapse else {}
    shown = (
        collapse_hits(page.hits, lambda h: h.id, stories)
        if collapse
        else [Collapsed(h, None, 0) for h in page.hits]
    )
    rows: list[dict[str, Any]] = [
        {
            "id": h.id,
            "source": h.source,
            "published_at": h.published_at.isoformat(),
            "url": h.url,
            "kicker": h.kicker,
            "title": h.title,
            "section": h.section,
            "tags": h.tags,
            "tag_origins": [h.tag_origins.get(t, "site") for t in h.tags],
            "score": round(h.score, 4),
            "snippet": _plain(h.snippet),
            "matched": sorted({text for text, hit in h.title_marks + h.snippet if hit}),
            "story_id": h.story_id,
            **(
                {
                    "other_sources": c.story.source_count - 1 if c.story else 0,
                    "folded": c.hidden,
                }
                if collapse
                else {}
            ),
        }
        for c in shown
        for h in (c.hit,)
    ]
    out = sys.stdout
    if fmt == "json":
        click.echo(json.dumps({"total": page.total, "results": rows}, ensure_ascii=False, indent=2))
    elif fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    elif fmt == "csv":
        columns = list(rows[0]) if rows else ["id"]
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(csv_cells(row, columns))
    else:
        click.echo(
            table(
                [
                    (
                        local(h.published_at, "%d.%m.%Y"),
                        h.source,
                        _short(h.kicker, h.title) + _more(c.story),
                    )
                    for c in shown
                    for h in (c.hit,)
                ],
                ["date", "source", "headline"],
            )
        )
        span = f"{offset + 1}–{offset + len(page.hits)}" if page.hits else "0"
        click.echo(f"{span} of {page.total} articles", err=True)


def _more(story: StoryOf | None) -> str:
    """The " (+4 sources)" after a folded result whose story other sources told too."""
    if story is None or story.source_count < 2:
        return ""
    others = story.source_count - 1
    return f" (+{others} source{'s' if others > 1 else ''})"


def _short(kicker: str | None, title: str, width: int = 90) -> str:
    text = f"{kicker}: {title}" if kicker else title
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command()
@click.option("--new-since", help="Stichwörter whose first article appeared on or after DATE.")
@click.option(
    "--new",
    "new",
    is_flag=True,
    help="Stichwörter whose first article appeared in the last --days of the data.",
)
@click.option(
    "--trend",
    is_flag=True,
    help="Rising Stichwörter: the last --days of the data compared with the --days before.",
)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=30,
    show_default=True,
    help="Length of the period for --trend and --new.",
)
@click.option(
    "--until",
    help="Last day of the period for --trend and --new (default: the newest article's).",
)
@click.option("--since", help="Count only articles published on or after DATE.")
@click.option(
    "--top",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="At most this many Stichwörter.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
def tags(
    new_since: str | None,
    new: bool,
    trend: bool,
    days: int,
    until: str | None,
    since: str | None,
    top: int,
    as_json: bool,
) -> None:
    """Most used, newly appeared (--new, --new-since) or rising (--trend) Stichwörter.

    --trend and --new count back from the newest article (or --until), not from today, and
    say which period they counted."""
    from kn_crawl.search.insights import new_in, new_tags, rising_in, top_tags

    if sum((bool(new_since), new, trend)) > 1:
        raise click.UsageError("use only one of --new-since, --new and --trend")
    if until and not (new or trend):
        raise click.UsageError("--until needs --trend or --new")
    new_since_dt = _date(new_since, "--new-since")
    until_dt = _date(until, "--until")
    since_dt = parse_since(since)
    cells: list[tuple[object, ...]]
    period = ""
    with read_engine() as engine, engine.connect() as conn:
        if new_since_dt is not None:
            rows = new_tags(conn, since=new_since_dt, top=top)
            headers = ["Stichwort", "articles", "first article"]
            cells = [(r.name, r.count, local(r.first_published_at, "%d.%m.%Y")) for r in rows]
        elif trend or new:
            found = (
                rising_in(conn, days=days, until=until_dt, top=top)
                if trend
                else new_in(conn, days=days, until=until_dt, top=top)
            )
            if found.window is None:
                click.echo("No articles yet: no period to count.", err=True)
                return
            rows = found.rows
            window = found.window
            if trend:
                period = (
                    f"Rising Stichwörter {window.label()} compared with {window.previous.label()}"
                )
                headers = ["Stichwort", window.label(), window.previous.label(), "growth"]
                cells = [(r.name, r.count, r.previous, f"+{r.growth}") for r in rows]
            else:
                period = f"New Stichwörter {window.label()}"
                headers = ["Stichwort", "articles", "first article"]
                cells = [(r.name, r.count, local(r.first_published_at, "%d.%m.%Y")) for r in rows]
        else:
            rows = top_tags(conn, since=since_dt, top=top)
            headers = ["Stichwort", "articles"]
            cells = [(r.name, r.count) for r in rows]
    if period:
        # The period goes to stderr, like search's counts: stdout stays the table or JSON.
        click.echo(f"{period}: {len(rows)} found", err=True)
    if as_json:
        for r in rows:
            record: dict[str, Any] = {"key": r.key, "name": r.name, "articles": r.count}
            if trend:
                record["previous"] = r.previous
            if r.first_published_at:
                record["first_published_at"] = r.first_published_at.isoformat()
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    if rows or not period:
        click.echo(table(cells, headers))


def _date(value: str | None, hint: str) -> datetime | None:
    try:
        return parse_since(value)
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint=hint) from None


@click.command(cls=QueryCommand)
@click.argument("query", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet", "xlsx", "csv-excel"]),
    required=True,
    help="File format (xlsx: Excel workbook; csv-excel: CSV for German Excel).",
)
@click.option(
    "--output",
    "-o",
    required=True,
    help="File to write ('-' for standard output, not for parquet).",
)
@click.option("--no-body", is_flag=True, help="Leave out the article bodies.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help=f"Progress bar on stderr (default: on a terminal, from {PROGRESS_MIN_ROWS} rows).",
)
def export(
    query: tuple[str, ...], fmt: str, output: str, no_body: bool, progress: bool | None
) -> None:
    """Export the articles matching QUERY (all articles without one), newest first.

    Streams from the database to the file in batches, so memory stays flat for any size.
    The file appears only when the export succeeded (written beside it, then renamed): a
    failing export leaves an existing file as it was.
    """
    from kn_crawl.search import EXPORT_COLUMNS, count, export_rows
    from kn_crawl.search.export import ExportError, counting, write_csv, write_jsonl, write_parquet
    from kn_crawl.search.export_sheets import SHEET_WRITERS, write_sheet

    parsed = _query(" ".join(query))
    if fmt in ("parquet", "xlsx") and output == "-":
        raise click.BadParameter(f"{fmt} needs a file", param_hint="--output")
    columns = tuple(c for c in EXPORT_COLUMNS if not (no_body and c == "body"))
    if output != "-" and not Path(output).resolve().parent.is_dir():
        fail(f"cannot write {output}: no such folder")
    with read_engine() as engine, engine.connect() as conn:
        total = count(conn, parsed)
        show = (
            progress
            if progress is not None
            else (sys.stderr.isatty() and total >= PROGRESS_MIN_ROWS)
        )
        rows = export_rows(conn, parsed, with_body=not no_body)
        with click.progressbar(
            length=total, label="export", file=sys.stderr, hidden=not show
        ) as bar:
            counted = counting(rows, bar.update)
            try:
                if fmt in SHEET_WRITERS:
                    # written beside the target and moved into place by write_sheet itself
                    written = write_sheet(fmt, counted, output, columns)
                else:
                    with _target(output) as path:
                        if fmt == "parquet":
                            written = write_parquet(counted, path, columns)
                        else:
                            with _open_text(path) as out:
                                writer = write_csv if fmt == "csv" else write_jsonl
                                written = writer(counted, out, columns)
            except ExportError as exc:
                fail(str(exc), EXIT_FAILURE)
            except OSError as exc:
                fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_FAILURE)
    click.echo(f"{written} articles written to {output}", err=True)


@contextmanager
def _target(output: str) -> Iterator[str]:
    """Where to write ``output``: a hidden file beside it, renamed over it once everything
    is written, removed when anything failed (standard output: itself)."""
    import os
    import tempfile

    if output == "-":
        yield output
        return
    final = Path(output)
    handle, temp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temp, 0o666 & ~umask)  # as open() would have made it, not mkstemp's 0600
    try:
        yield temp
        os.replace(temp, final)
    finally:
        Path(temp).unlink(missing_ok=True)


@contextmanager
def _open_text(output: str) -> Iterator[IO[str]]:
    if output == "-":
        yield sys.stdout
        return
    with open(output, "w", encoding="utf-8", newline="") as handle:
        yield handle


@click.command()
@click.option(
    "--months",
    type=click.IntRange(1, 600),
    default=12,
    show_default=True,
    help="Articles per source for this many recent months.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of tables.")
def stats(months: int, as_json: bool) -> None:
    """Articles per source and month, Stichwörter, and crawl runs."""
    from kn_crawl.search.insights import stats as collect

    with read_engine() as engine, engine.connect() as conn:
        s = collect(conn, months=months)
    if as_json:
        click.echo(json.dumps({
            "articles": s.articles,
            "tags": s.tags,
            "tagged_articles": s.tagged_articles,
            "per_source_month": [{"source": a, "month": m, "articles": n}
                                 for a, m, n in s.per_source_month],
            "runs_by_status": s.runs_by_status,
            "last_runs": [{"source": a, "started_at": t.isoformat(), "status": st, "new": new,
                           "dropped": d} for a, t, st, new, d in s.last_runs],
        }, ensure_ascii=False, indent=2))  # fmt: skip
        return
    sources = sorted({src for src, _, _ in s.per_source_month})
    grid: dict[str, dict[str, int]] = {}
    for src, month, n in s.per_source_month:
        grid.setdefault(month, {})[src] = n
    click.echo(table(
        [(m, *(grid[m].get(src, 0) for src in sources), sum(grid[m].values()))
         for m in sorted(grid, reverse=True)],
        ["month", *sources, "total"],
    ))  # fmt: skip
    click.echo()
    click.echo(f"{s.articles} articles, {s.tags} Stichwörter ({s.tagged_articles} articles tagged)")
    runs = ", ".join(f"{k}: {v}" for k, v in sorted(s.runs_by_status.items())) or "none"
    click.echo(f"crawl runs: {runs}")
    if s.last_runs:
        click.echo()
        click.echo(table(
            [(src, local(t), st, new, d) for src, t, st, new, d in s.last_runs],
            ["source", "last run", "status", "new", "dropped"],
        ))  # fmt: skip


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port (0: any free port; the URL is printed).",
)
@click.option(
    "--public-url",
    help="Where readers reach the UI behind a reverse proxy, for absolute links "
    "(default: KN_PUBLIC_URL, else the address listened on).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Requests served at once.",
)
def serve(host: str, port: int, public_url: str | None, threads: int) -> None:
    """Serve the read-only web UI (search, articles, Stichwörter, sources, feeds, JSON API,
    Prometheus /metrics) on waitress, a production WSGI server; Ctrl-C or SIGTERM stops it."""
    from kn_crawl.settings import ConfigError
    from kn_crawl.settings import public_url as parse_public_url
    from kn_crawl.web.server import run

    settings = load_settings()
    if public_url is not None:
        try:
            public_url = parse_public_url(public_url)
        except ConfigError as exc:
            raise click.BadParameter(
                str(exc).replace("KN_PUBLIC_URL=", ""), param_hint="--public-url"
            ) from None
    open_engine(settings)
    try:
        run(
            settings.database_url,
            host=host,
            port=port,
            public_url=public_url or settings.public_url,
            threads=threads,
            trusted_proxy=settings.trusted_proxy,
        )
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_FAILURE)
