"""Crawling commands: crawl, demo, sources, parse, mirror serve."""

from __future__ import annotations

import ipaddress
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from kn_crawl.cli.common import (
    EXIT_FAILURE,
    check_vocabulary,
    fail,
    load_settings,
    open_engine,
    table,
)
from kn_crawl.settings import ConfigError, Settings, is_http_url

if TYPE_CHECKING:
    from kn_crawl.catalog.model import SourceEntry

HEALTH_HOOK = "kn_crawl.health:after_run"
"""The demo runs only this after-run hook: it shows the alerts itself (print_demo_alerts)."""

MAX_MIRROR_SIZE = 1_000_000
"""Far beyond any test or bench (the large mirror has 5,000); more only fills memory."""


def _mirror_size(_ctx: click.Context, _param: click.Parameter, value: int | None) -> int | None:
    # Checked here rather than by the generator's ValueError deep in the server start-up.
    # Imported late: the mirror package costs the CLI's start-up ~0.1 s.
    from kn_crawl.mirror.generate import MIN_SIZE

    if value is not None and not MIN_SIZE <= value <= MAX_MIRROR_SIZE:
        raise click.BadParameter(f"{value} is not in the range {MIN_SIZE}<=x<={MAX_MIRROR_SIZE}")
    return value


def _mirror_port(_ctx: click.Context, _param: click.Parameter, value: int) -> int:
    # Site i listens on PORT+i: every one of them must still be a port.
    from kn_crawl.mirror.server import mirror_ports

    top = 65535 - (len(mirror_ports(0)) - 1)
    if not 0 <= value <= top:
        raise click.BadParameter(f"{value} is not in the range 0<=x<={top} (one port per site)")
    return value


# --- crawling -----------------------------------------------------------------------------

EXIT_INTERRUPTED = 130
"""As a shell reports a command ended by Ctrl-C (128 + SIGINT)."""

VERBOSE = click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Log lines (Scrapy's, kn-crawl's INFO) on the terminal instead of the log file.",
)


def crawl_logging(settings: Settings, verbose: bool) -> Settings:
    """The settings of a crawl with the log's place exact (the file, or ``-`` for the
    terminal), so crawl processes started from them log to the same place. The log itself
    starts with the crawl (``start_crawl_log``): a command refused earlier leaves no file."""
    from dataclasses import replace

    from kn_crawl.logs import TERMINAL, crawl_log_file

    path = None if verbose else crawl_log_file(settings)
    return replace(settings, log_file=str(path) if path is not None else TERMINAL)


def start_crawl_log(settings: Settings) -> None:
    from kn_crawl.logs import TERMINAL, setup_logging

    path = None if settings.log_file == TERMINAL else Path(settings.log_file)
    try:
        setup_logging(settings, log_file=path)
    except OSError as exc:
        fail(f"cannot write the log file {path}: {exc.strerror or exc} (set KN_LOG_FILE)")


def show_log_file(settings: Settings) -> None:
    from kn_crawl.logs import TERMINAL

    if settings.log_file != TERMINAL:
        click.echo(f"Log: {settings.log_file}")


def parse_base_urls(values: Sequence[str], sources: Sequence[str]) -> dict[str, str]:
    """``--base-url URL`` (one source) or ``--base-url SOURCE=URL`` (any number)."""
    from kn_crawl.sources import normalize_base_url

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
        if not is_http_url(url):
            raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--base-url")
        try:
            # The catalogue's check: a login would be stored in crawl_runs.base_url.
            result[name] = normalize_base_url(url)
        except ConfigError as exc:
            fail(f"--base-url {name}: {exc}")
    return result


def crawl_and_report(
    sources: Sequence[str],
    settings: Settings,
    base_urls: dict[str, str],
    extra: dict[str, Any] | None = None,
    *,
    full: bool = False,
) -> tuple[list[int], bool]:
    """Crawl, print the summary table; the run ids, and whether Ctrl-C stopped the crawl."""
    from kn_crawl.crawling.runner import INTERRUPTED, run_crawl
    from kn_crawl.db.errors import NOT_WRITABLE, DatabaseNotWritable
    from kn_crawl.db.migrate import SchemaBehind
    from kn_crawl.queries import runs_of

    engine = open_engine(settings, sync=True, only=sources)
    start_crawl_log(settings)
    try:
        outcomes = run_crawl(
            sources, settings, base_urls=base_urls, extra_settings=extra, full=full, progress=True
        )
    except DatabaseNotWritable as exc:
        fail(f"cannot write to the database: {exc} ({settings.safe_database_url})", EXIT_FAILURE)
    except SchemaBehind as exc:
        fail(str(exc), EXIT_FAILURE)
    if any(o.finish_reason == NOT_WRITABLE for o in outcomes):
        # The check passed, but the run record itself could not be written (a full disk):
        # the crawl stopped before its first request.
        fail(
            "cannot write to the database: the crawl run could not be recorded, nothing was "
            f"fetched (see the log above) ({settings.safe_database_url})",
            EXIT_FAILURE,
        )
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
    for o, r in rows:
        if r.status == "skipped":
            # Not crawled, and not the source's failure: another run (a worker, the
            # scheduler, another kn-crawl crawl) holds it or its web host now.
            click.echo(
                f"kn-crawl: {o.source} skipped ({r.finish_reason}): another run is crawling it "
                "or its web host now; crawl it again once that run has ended",
                err=True,
            )
    interrupted = any(o.finish_reason == INTERRUPTED for o in outcomes) or any(
        r.status == "interrupted" for _, r in rows
    )
    unrecorded = [
        o.source for o in outcomes if o.run_id not in runs_by_id and o.finish_reason != INTERRUPTED
    ]
    if unrecorded:
        fail(
            f"no crawl run was recorded for {', '.join(unrecorded)} (see the log, "
            f"{settings.log_file})",
            EXIT_FAILURE,
        )
    return run_ids, interrupted


@click.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--base-url",
    "base_url",
    multiple=True,
    metavar="[SOURCE=]URL",
    help="Crawl this base URL instead of the real site (e.g. a mirror). Repeatable.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Fetch every listing page and article again (default: only what is new or changed).",
)
@click.option(
    "--no-hooks",
    is_flag=True,
    help="Skip the after-run hooks (health checks, alerts); the scheduler runs them itself.",
)
@VERBOSE
def crawl(
    sources: tuple[str, ...], base_url: tuple[str, ...], full: bool, no_hooks: bool, verbose: bool
) -> None:
    """Crawl SOURCES now (all sources when none are given) and print a summary.

    A source's first crawl reads its whole archive; later crawls are refreshes that fetch
    only new and changed articles (conditional requests, paging stops at known articles).
    Shows each source's progress on stderr; the log (Scrapy's start-up and INFO lines) goes
    to KN_LOG_FILE (default DATA_DIR/kn-crawl.log), with --verbose to the terminal.
    """
    from kn_crawl.hooks import run_after_run_hooks
    from kn_crawl.sources import resolve_source, source_names

    settings = crawl_logging(load_settings(), verbose)
    check_vocabulary(settings)
    names = list(dict.fromkeys(resolve_source(n) for n in sources)) or source_names()
    urls = parse_base_urls(base_url, names)
    run_ids, interrupted = crawl_and_report(
        names, settings, urls, {"LOGSTATS_INTERVAL": 15.0}, full=full
    )
    from kn_crawl.queries import runs_of

    engine = open_engine(settings, migrate=False)
    if not no_hooks:
        for outcome in run_after_run_hooks(engine, settings, run_ids):
            if not outcome.ok:
                click.echo(f"after-run hook {outcome.name} failed: {outcome.error}", err=True)
    show_log_file(settings)
    if interrupted:
        click.echo("Interrupted: the table above shows what was stored.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    with engine.connect() as conn:
        if any(r.status != "ok" for r in runs_of(conn, run_ids)):
            sys.exit(EXIT_FAILURE)


@click.command()
@click.option("--size", type=int, callback=_mirror_size, help="Articles in the mirror.")
@click.option(
    "--port",
    type=int,
    callback=_mirror_port,
    default=8021,
    show_default=True,
    help="First port of the mirror (one port per site; 0 picks free ports).",
)
@VERBOSE
def demo(size: int | None, port: int, verbose: bool) -> None:
    """Serve the bundled mirror on 127.0.0.1, crawl all its sources into the database and
    print what was collected.

    Fixed default ports keep article URLs stable, so running the demo twice adds nothing.
    Interrupted (Ctrl-C), it says what was collected and exits with 130.
    """
    from kn_crawl.mirror import Mirror
    from kn_crawl.mirror.server import mirror_ports
    from kn_crawl.queries import runs_of
    from kn_crawl.sources import source_names

    settings = crawl_logging(load_settings(), verbose)
    check_vocabulary(settings)
    try:
        # The K21 sites and the zoo, on contiguous ports from PORT.
        mirror = Mirror(size, ports=mirror_ports(port), zoo=True)
        mirror.start()
    except OSError as exc:
        fail(f"cannot serve the mirror on port {port}: {exc} (try --port 0)", EXIT_FAILURE)
    # Only the sources the mirror serves: the demo never reaches a real site.
    names = [n for n in source_names() if n in mirror.sources]
    try:
        click.echo(f"Mirror serving on {', '.join(mirror.base_urls.values())}")
        click.echo(f"Crawling {', '.join(names)} into {settings.safe_database_url} …")
        demo_settings = {"AUTOTHROTTLE_START_DELAY": 0.0}
        base_urls = {n: u for n, u in mirror.base_urls.items() if n in names}
        run_ids, interrupted = crawl_and_report(names, settings, base_urls, demo_settings)
    except KeyboardInterrupt:
        # A second Ctrl-C, before the crawl could close its runs.
        mirror.stop()
        print_totals(settings, [])
        click.echo("Interrupted: the crawl did not finish; what was stored is above.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        mirror.stop()
    print_totals(settings, run_ids)
    if interrupted:
        with open_engine(settings, migrate=False).connect() as conn:
            finished = sum(r.status == "ok" for r in runs_of(conn, run_ids))
        click.echo(
            f"Interrupted: {len(names) - finished} of {len(names)} sources did not finish; "
            "what they stored is above (run kn-crawl demo again to complete them).",
            err=True,
        )
        show_log_file(settings)
        sys.exit(EXIT_INTERRUPTED)
    print_demo_health(settings, run_ids)
    print_demo_alerts(settings)
    show_log_file(settings)


def print_demo_health(settings: Settings, run_ids: list[int]) -> None:
    """Check the sources' health as a crawl does (the health hook; the alerts are shown
    apart, below) and name each source that is not healthy."""
    from sqlalchemy import select

    from kn_crawl.db.models import CrawlRun, Source
    from kn_crawl.db.state_models import SourceHealth
    from kn_crawl.hooks import run_after_run_hooks

    engine = open_engine(settings, migrate=False)
    for outcome in run_after_run_hooks(engine, settings, run_ids, hooks=(HEALTH_HOOK,)):
        if not outcome.ok:
            click.echo(f"after-run hook {outcome.name} failed: {outcome.error}", err=True)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Source.name, SourceHealth.status, SourceHealth.evidence)
            .join(SourceHealth, SourceHealth.source_id == Source.id)
            .where(Source.id.in_(select(CrawlRun.source_id).where(CrawlRun.id.in_(run_ids))))
            .order_by(Source.name)
        ).all()
    click.echo("")
    unwell = [(name, status, evidence) for name, status, evidence in rows if status != "healthy"]
    if not unwell:
        click.echo(f"Health: all {len(rows)} sources healthy")
    for name, status, evidence in unwell:
        # The sample URL is in kn-crawl health; here the finding is enough.
        why = "; ".join(str(e["message"]).split(", e.g. ")[0] for e in evidence)
        click.echo(f"Health: {name} {status} — {why}")
    if unwell:
        click.echo("See them with: kn-crawl health")


def print_demo_alerts(settings: Settings) -> None:
    """With no SMTP server configured, show what alert e-mails would look like."""
    if settings.smtp.host:
        click.echo("Alerts: SMTP is configured; use kn-crawl subscribe and kn-crawl alerts send")
        return
    from datetime import UTC, datetime

    from kn_crawl.alerts.demo import SAMPLE, demo_alerts

    shown = demo_alerts(open_engine(settings, migrate=False), settings, now=datetime.now(UTC))
    click.echo("")
    if shown.subscription_created:
        click.echo(f"Alerts: sample subscription for {SAMPLE.email} (kn-crawl subscriptions)")
    if not shown.queued:
        click.echo(f"Alerts: nothing new since the last run (earlier e-mails in {shown.folder})")
        return
    click.echo(f"Alerts: {shown.queued} new, written as e-mails (not sent) to {shown.folder}:")
    for path in shown.files:
        click.echo(f"  {path}")


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
    click.echo(
        "See them with: kn-crawl dropped    Latest articles: kn-crawl articles    "
        "Search and charts: kn-crawl serve"
    )


@click.command()
@click.option("--source", "source_name", help="The source the page is from (its catalogue entry).")
@click.option("--url", help="The page's URL (decides the page kind; else it is sniffed).")
@click.option(
    "--generic",
    is_flag=True,
    help="Read the page with the generic article extractor, whatever the source's family.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def parse(source_name: str | None, url: str | None, generic: bool, file: Path) -> None:
    """Print what is extracted from a saved page FILE as JSON.

    With --source: an article page gives its article exactly as a crawl would store it
    (finished, normalised, with the vocabulary's Stichwörter and each tag's origin); a
    listing or feed gives its entries and next-page link. Run this when a site changed its
    pages.

    With --generic: the generic article extractor's reading of the page, the one the crawl
    uses for every source without a page object of its own — title, published_at,
    date_signal, modified_at, kicker, teaser, body, tags, tag_origins, section, author,
    image_url, language, canonical_url, then page (the verdict: {"kind": "article"}, or
    {"kind": "not_article", "reason": "listing" | "cookie_wall" | "login" | "error_page" |
    "empty", ...}) and warnings. --source adds that entry's selectors and base URL; without
    --url, the URL the page declares (canonical, og:url) is taken, else none. Any file gives
    a JSON object (an empty or binary one: null fields and a verdict).
    """
    from kn_crawl.crawling.reading import crawl_vocabulary, read_page
    from kn_crawl.extract.feeds import FeedError
    from kn_crawl.items import ArticleItem, Listing
    from kn_crawl.sources import source_entry
    from kn_crawl.vocabulary import apply_vocabulary

    if url is not None and not is_http_url(url):
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--url")
    if source_name is None and not generic:
        raise click.UsageError("give --source NAME (or --generic)")
    try:
        entry = source_entry(source_name) if source_name is not None else None
    except ConfigError as exc:
        fail(str(exc))
    body = read_page_file(file)
    if generic:
        click.echo(json.dumps(generic_json(body, url, entry), ensure_ascii=False, indent=2))
        return
    assert entry is not None
    # Without --url, the page's own word for its URL (else read_page takes the home page's,
    # and an article's canonical looks like another site's).
    url = url or declared_url(entry, body)
    try:
        result = read_page(entry, url, body)
    except FeedError as exc:
        fail(f"{file}: not a usable feed: {exc}")
    if isinstance(result, ArticleItem):
        # As the crawl's page worker does, with the same KN_VOCABULARY_FILE (the one setting
        # parse reads: a bad file is one line; the rest of the configuration is not needed).
        apply_vocabulary(result, crawl_vocabulary())
    if isinstance(result, Listing) and not result.entries:
        fail(
            f"{file}: neither an article nor a listing or feed with entries of {source_name}",
            EXIT_FAILURE,
        )
    click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))


MAX_PAGE_FILE = 100 * 2**20
"""Ten times the largest page a crawl accepts (``KN_MAX_RESPONSE_BYTES``): more is no page."""


def read_page_file(file: Path) -> bytes:
    """The bytes of a saved page: a regular file (a FIFO or ``/dev/zero`` would hang the
    command or fill memory) of at most :data:`MAX_PAGE_FILE` bytes."""
    try:
        if not file.is_file():
            fail(f"{file}: not a regular file")
        if file.stat().st_size > MAX_PAGE_FILE:
            fail(f"{file}: larger than {MAX_PAGE_FILE // 2**20} MB, not a page", EXIT_FAILURE)
        return file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", EXIT_FAILURE)


def generic_json(body: bytes, url: str | None, entry: SourceEntry | None) -> dict[str, Any]:
    """``parse --generic``: the generic extractor's article (normalised as the crawl
    normalises it) and verdict, as JSON."""
    from kn_crawl.crawling.reading import crawl_vocabulary
    from kn_crawl.extract.result import NO_URL, article_json, read_generic
    from kn_crawl.vocabulary import apply_vocabulary
    from pipelines.normalize import normalize_article

    read = read_generic(
        body,
        url,
        selectors=entry.selectors if entry is not None else None,
        source=entry.name if entry is not None else "",
        base_url=entry.base_url if entry is not None else None,
    )
    item = read.item
    if item.url:
        normalize_article(item)
    else:
        # No URL to canonicalise, but the text and the tags are normalised all the same.
        item.url = item.fetched_url = NO_URL
        normalize_article(item)
        item.url = item.fetched_url = ""
        item.alias_urls = []
    if read.verdict.is_article:
        # What the crawl stores: the vocabulary's Stichwörter too, each tag with its origin.
        apply_vocabulary(item, crawl_vocabulary())
        if item.tags and NO_TAGS in item.warnings:
            # The extractor found none on the page; the vocabulary gave these.
            item.warnings[item.warnings.index(NO_TAGS)] = NO_SITE_TAGS
    return article_json(read)


NO_TAGS = "no Stichwörter"
NO_SITE_TAGS = "no Stichwörter from the site: the tags are the vocabulary's"


def declared_url(entry: SourceEntry, body: bytes) -> str | None:
    """The URL a saved page declares for itself (``<link rel="canonical">``, else
    ``og:url``) when it is a page of the source's site other than its home page: what
    ``--url`` would have said."""
    from urllib.parse import urljoin

    from kn_crawl.extract.dom import decode_page, parse_html
    from kn_crawl.extract.feeds import looks_like_feed
    from kn_crawl.extract.metadata import link_href, meta_content
    from kn_crawl.urls import same_site

    if not body.strip() or looks_like_feed(body):
        return None
    root = parse_html(decode_page(body))
    href = link_href(root, "canonical") or meta_content(root, "og:url")
    if not href:
        return None
    url = urljoin(entry.base_url, href).split("#")[0]
    if not is_http_url(url) or not same_site(url, entry.base_url):
        return None
    # Some sites declare their home page on every page: that says nothing of this one.
    return (
        None if urlsplit(url).path.rstrip("/") == urlsplit(entry.base_url).path.rstrip("/") else url
    )


@click.group()
def mirror() -> None:
    """The bundled offline mirror of the K21 sites and the zoo (for demos and tests)."""


@mirror.command("serve")
@click.option(
    "--port",
    type=int,
    callback=_mirror_port,
    default=8021,
    show_default=True,
    help="First port; site i listens on PORT+i (0 picks free ports).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--size", type=int, callback=_mirror_size, help="Articles in the mirror.")
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
