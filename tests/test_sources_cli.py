"""``kn-crawl sources``: the catalogue with each source's state, and ``sources add`` against
small sites served on 127.0.0.1."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from kn_crawl.catalog.load import BUNDLED_FILE, load_files
from kn_crawl.cli import main
from kn_crawl.db.engine import get_engine, make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import Source
from kn_crawl.db.store import ensure_source
from tests.crawling import only_sources
from tests.site_server import NOT_FOUND, Answer, SiteServer

USER = Path("kn-sources.toml")
"""The user's catalogue by default: in the working directory (the test's tmp_path)."""
RSS = "application/rss+xml; charset=UTF-8"
HTML = "text/html; charset=utf-8"
ROBOTS = Answer(
    200,
    # Only kn-crawl may read the site: proof that the request says who it is and that the
    # rules are read per user agent.
    b"User-agent: kn-crawl\nDisallow: /intern/\n\nUser-agent: *\nDisallow: /\n\n"
    b"Sitemap: /sitemap_index.xml\n",
    {"Content-Type": "text/plain"},
)


def rss(title: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}'
        "</title><item><title>Eins</title><link>/a/</link></item></channel></rss>"
    ).encode()


def html_page(head: str, links: list[str]) -> bytes:
    anchors = "".join(f'<a href="{href}">{href}</a>' for href in links)
    return (
        f"<!DOCTYPE html><html><head><title>Aktuelles | Musterstadt</title>{head}</head>"
        f"<body><nav><a href='/'>Start</a><a href='/kontakt/'>Kontakt</a></nav><main>"
        f"{anchors}</main></body></html>"
    ).encode()


SLUGS = [
    "ozg-portal-geht-online",
    "neue-buergerdienste-im-netz",
    "glasfaser-fuer-alle-ortsteile",
    "smart-city-strategie-beschlossen",
]


def wordpress_site(path: str) -> Answer:
    """A WordPress site: a feed announced in the page, dates in article URLs, a sitemap
    index naming a news sitemap."""
    links = [f"/2025/01/{20 + i}/{slug}/" for i, slug in enumerate(SLUGS)]
    links += ["/category/politik/", "/page/2/", "/intern/entwurf-nicht-lesen-bitte/"]
    head = (
        '<meta name="generator" content="WordPress 6.5.2">'
        '<link rel="alternate" type="application/rss+xml" title="Feed" href="/feed/">'
        '<link rel="alternate" type="application/rss+xml" title="Kommentare" '
        'href="/comments/feed/">'
    )
    answers = {
        "/robots.txt": ROBOTS,
        "/": Answer(200, html_page(head, links)),
        "/feed/": Answer(200, rss("Musterstadt"), {"Content-Type": RSS}),
        "/sitemap_index.xml": Answer(
            200,
            b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<sitemap><loc>/post-sitemap.xml</loc></sitemap>"
            b"<sitemap><loc>/news-sitemap.xml</loc></sitemap></sitemapindex>",
            {"Content-Type": "application/xml"},
        ),
    }
    return answers.get(path, NOT_FOUND)


def typo3_site(path: str) -> Answer:
    """A TYPO3 news site announcing no feed: the RSS page type answers, one announced feed
    sits behind a cookie wall."""
    links = [f"/aktuelles/details/{slug}" for slug in SLUGS]
    links += ["/aktuelles?tx_news_pi1%5BcurrentPage%5D=2", "/aktuelles/details/kurz"]
    head = (
        '<meta name="generator" content="TYPO3 CMS">'
        '<link rel="alternate" type="application/rss+xml" href="/walled.xml">'
    )
    answers = {
        "/robots.txt": Answer(404, b"", {"Content-Type": "text/plain"}),
        "/aktuelles": Answer(200, html_page(head, links)),
        "/aktuelles?type=9818": Answer(200, rss("Neuigkeiten"), {"Content-Type": RSS}),
        "/walled.xml": Answer(200, b"<html><body>Bitte Cookies aktivieren</body></html>"),
        "/sitemap.xml": Answer(
            200,
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
            b"<loc>/aktuelles/details/ozg-portal-geht-online</loc><news:news/></url></urlset>",
            {"Content-Type": "application/xml"},
        ),
    }
    return answers.get(path, NOT_FOUND)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """No KN_* setting of the developer's shell; a database of the test's own; run from
    tmp_path, so the user's catalogue is ``tmp_path/kn-sources.toml`` (the default)."""
    for key in list(os.environ):
        if key.startswith("KN_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    yield {
        "KN_DATABASE_URL": f"sqlite:///{tmp_path / 'kn.sqlite3'}",
        "KN_DOWNLOAD_TIMEOUT": "10",
    }
    get_engine.cache_clear()


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def one_line_error(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kn-crawl: error: ")
    return lines[0].removeprefix("kn-crawl: error: ")


def table_rows(text: str) -> list[list[str]]:
    lines = text.rstrip("\n").splitlines()
    dashes = next(i for i, line in enumerate(lines) if re.fullmatch(r"[- ]+", line))
    return [re.split(r"\s{2,}", line.strip()) for line in lines[dashes + 1 :] if line.strip()]


# --- the list -----------------------------------------------------------------------------


def test_sources_lists_the_catalogue_then_the_disabled_with_their_reason(
    env: dict[str, str], tmp_path: Path
) -> None:
    USER.write_text('[sources.kgst]\nenabled = false\ndisabled_reason = "events, not news"\n')
    engine = make_engine(env["KN_DATABASE_URL"])
    upgrade(engine)
    with engine.begin() as conn:
        ensure_source(
            conn, name="oldsite", family="generic", title="Alte Quelle", base_url="https://o/"
        )
    engine.dispose()
    result = invoke(env, "sources")
    assert result.exit_code == 0, result.output
    enabled, _, disabled = result.output.partition("\nDisabled sources:\n")
    header = re.split(r"\s{2,}", enabled.splitlines()[0].strip())
    assert header == [
        "source", "title", "base URL", "articles", "last run", "status", "new", "archive",
        "family", "health", "next due", "node",
    ]  # fmt: skip
    rows = {row[0]: row for row in table_rows(enabled)}
    catalog = load_files((BUNDLED_FILE,))
    assert list(rows) == [e.name for e in catalog.enabled() if e.name != "kgst"]
    assert rows["fitko"] == [
        "fitko", "FITKO", "https://www.fitko.de/", "0", "never", "-", "-", "-", "typo3", "-",
        "now", "-",
    ]  # fmt: skip
    assert table_rows(disabled) == [
        ["kgst", "KGSt – Veranstaltungen", "generic", "0", "events, not news"],
        ["innovativeverwaltung", "Innovative Verwaltung", "generic", "0", "paywall: teasers only"],
        [
            "tagesspiegelbackground",
            "Tagesspiegel Background Verwaltung & Digitalisierung",
            "generic",
            "0",
            "paywall and bot wall",
        ],
        ["oldsite", "Alte Quelle", "generic", "0", "not in the catalogue"],
    ]


def test_a_bad_catalogue_is_one_line_naming_file_line_and_key(env: dict[str, str]) -> None:
    USER.write_text("[sources.vdz]\n\nfeeds = ['ftp://x/']\n")
    for args in (("sources",), ("schedule", "--once")):
        result = invoke(env, *args)
        assert result.exit_code == 2
        assert one_line_error(result) == (
            "kn-sources.toml:3: sources.vdz.feeds: 'ftp://x/' is not an http(s) URL"
        )


def test_schedule_with_every_source_disabled_says_so(env: dict[str, str]) -> None:
    """A user catalogue that disables every bundled source leaves nothing to schedule."""
    USER.write_text(only_sources(()))
    result = invoke(env, "schedule", "--once")
    assert result.exit_code == 2
    assert one_line_error(result) == "no source is enabled in the schedule"


# --- sources add --------------------------------------------------------------------------


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[str], Answer]], SiteServer]]:
    servers: list[SiteServer] = []

    def start(route: Callable[[str], Answer]) -> SiteServer:
        server = SiteServer(route).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def test_add_a_wordpress_site(
    env: dict[str, str], serve: Callable[[Callable[[str], Answer]], SiteServer]
) -> None:
    site = serve(wordpress_site)
    result = invoke(env, "sources", "add", site.base_url, "--name", "musterstadt")
    assert result.exit_code == 0, result.output + result.stderr
    base = site.base_url
    day = re.search(r" on (\d{4}-\d{2}-\d{2})\.", result.output)
    assert day is not None
    entry = (
        f"# Added by `kn-crawl sources add {base}` on {day.group(1)}.\n"
        f"# sitemap index: {base}sitemap_index.xml (2 sitemaps, names a news sitemap)\n"
        "[sources.musterstadt]\n"
        'title = "Musterstadt"\n'
        'family = "wordpress"\n'
        f'base_url = "{base}"\n'
        'feeds = ["feed/"]\n'
        'listings = ["/"]\n'
        "article_pattern = '^/\\d{4}/\\d{2}/\\d{2}/[^/]+/$'\n"
    )
    assert result.output.splitlines()[:5] == [
        f"Page:     {base} (family wordpress)",
        f"Feed:     {base}feed/ (rss, announced)",
        f"Sitemap:  sitemap index: {base}sitemap_index.xml (2 sitemaps, names a news sitemap)",
        r"Articles: ^/\d{4}/\d{2}/\d{2}/[^/]+/$ (4 links on the page)",
        "",
    ]
    assert result.output.endswith(f"\n{entry}\nNext: kn-crawl sources test musterstadt\n")
    catalogue = USER.read_text()
    assert catalogue.endswith("\n" + entry)
    # robots.txt first; the page; the announced feed only (no probing); the sitemaps.
    assert site.paths == ["/robots.txt", "/", "/feed/", "/sitemap_index.xml", "/sitemap.xml"]
    # The entry is in the catalogue now, and in the list.
    catalog = load_files((BUNDLED_FILE, USER))
    added = catalog["musterstadt"]
    assert (added.family, added.feed_urls, added.listing_urls) == (
        "wordpress",
        (f"{base}feed/",),
        (base,),
    )
    assert "musterstadt" in {r[0] for r in table_rows(invoke(env, "sources").output)}
    # Twice: refused, before any request.
    again = invoke(env, "sources", "add", site.base_url, "--name", "musterstadt")
    assert again.exit_code == 2
    assert one_line_error(again) == (
        "a source named 'musterstadt' is already in the catalogue; choose another with --name"
    )
    assert len(site.paths) == 5


def test_add_a_typo3_site_finds_the_feed_by_probing(
    env: dict[str, str], serve: Callable[[Callable[[str], Answer]], SiteServer], tmp_path: Path
) -> None:
    site = serve(typo3_site)
    target = tmp_path / "elsewhere.toml"
    url = site.base_url + "aktuelles"
    result = invoke(env, "sources", "add", url, "--file", str(target), "--title", "Stadt M")
    assert result.exit_code == 0, result.output + result.stderr
    assert result.output.splitlines()[:6] == [
        f"Page:     {url} (family typo3)",
        f"Feed:     {url}?type=9818 (rss, probed)",
        f"Sitemap:  news sitemap: {site.base_url}sitemap.xml (1 URLs)",
        r"Articles: ^/aktuelles/details/[^/]+$ (5 links on the page)",
        f"Skipped:  feed {site.base_url}walled.xml: not a feed (text/html)",
        "",
    ]
    text = target.read_text()
    assert text.startswith("# Your source catalogue (KN_SOURCES_FILE)")
    assert text.endswith(
        "[sources.stadt_m]\n"
        'title = "Stadt M"\n'
        'family = "typo3"\n'
        f'base_url = "{site.base_url}"\n'
        'feeds = ["aktuelles?type=9818"]\n'
        'listings = ["aktuelles"]\n'
        "article_pattern = '^/aktuelles/details/[^/]+$'\n"
    )
    assert not USER.exists()
    probes = ["/feed/", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml", "/rss/"]
    assert site.paths == [
        "/robots.txt", "/aktuelles", "/walled.xml", *probes, "/aktuelles?type=9818",
        "/sitemap.xml",
    ]  # fmt: skip


def test_sites_on_ip_addresses_are_named_by_their_titles(
    env: dict[str, str], serve: Callable[[Callable[[str], Answer]], SiteServer]
) -> None:
    # Both pages are titled "Aktuelles | Musterstadt": the second one gets its port too.
    first, second = serve(wordpress_site), serve(typo3_site)
    added = invoke(env, "sources", "add", first.base_url)
    assert added.exit_code == 0, added.output + added.stderr
    assert added.output.endswith("\nNext: kn-crawl sources test musterstadt\n")
    port = urlsplit(second.base_url).port
    again = invoke(env, "sources", "add", second.base_url + "aktuelles")
    assert again.exit_code == 0, again.output + again.stderr
    assert again.output.endswith(f"\nNext: kn-crawl sources test musterstadt_{port}\n")
    catalog = load_files((BUNDLED_FILE, USER))
    assert (catalog["musterstadt"].base_url, catalog[f"musterstadt_{port}"].base_url) == (
        first.base_url,
        second.base_url,
    )
    # A third time: both names taken, refused after reading the page.
    third = invoke(env, "sources", "add", second.base_url + "aktuelles")
    assert third.exit_code == 2
    assert one_line_error(third) == (
        f"a source named 'musterstadt_{port}' is already in the catalogue; choose another "
        "with --name"
    )


def robots_says(body: bytes, status: int = 200) -> Callable[[str], Answer]:
    def route(path: str) -> Answer:
        if path == "/robots.txt":
            return Answer(status, body, {"Content-Type": "text/plain"})
        return wordpress_site(path)

    return route


ERRORS = {
    "robots disallows": (
        robots_says(b"User-agent: *\nDisallow: /\n"),
        "",
        1,
        "{base}robots.txt disallows {base} for kn-crawl",
    ),
    "robots unreachable": (
        robots_says(b"busy", 503),
        "",
        1,
        "{base}robots.txt unreachable (HTTP 503): robots.txt that cannot be read means keep "
        "out (RFC 9309)",
    ),
    "page missing": (wordpress_site, "nichts/", 1, "{base}nichts/ answered HTTP 404"),
    "not html": (
        wordpress_site,
        "feed/",
        1,
        "{base}feed/ is not an HTML page (application/rss+xml)",
    ),
    "nothing found": (
        lambda p: Answer(200, html_page("", ["/kontakt/"])) if p != "/robots.txt" else NOT_FOUND,
        "",
        1,
        "nothing to crawl found at {base}: no feed (announced or at the common paths) and too "
        "few article links to propose a pattern",
    ),
}


@pytest.mark.parametrize(("route", "path", "code", "message"), ERRORS.values(), ids=ERRORS)
def test_add_errors_are_one_line(
    env: dict[str, str],
    serve: Callable[[Callable[[str], Answer]], SiteServer],
    route: Callable[[str], Answer],
    path: str,
    code: int,
    message: str,
) -> None:
    site = serve(route)
    result = invoke(env, "sources", "add", site.base_url + path, "--name", "neu")
    assert result.exit_code == code
    assert one_line_error(result) == message.format(base=site.base_url)
    assert not USER.exists()


def test_add_to_a_dead_server_is_one_line(env: dict[str, str]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = invoke(env, "sources", "add", f"http://127.0.0.1:{port}/", "--name", "tot")
    assert result.exit_code == 1
    assert one_line_error(result) == (
        f"http://127.0.0.1:{port}/robots.txt unreachable (Connection refused): robots.txt "
        "that cannot be read means keep out (RFC 9309)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ftp://x.de/",), "Invalid value for URL: 'ftp://x.de/' is not an http(s) URL"),
        (("https://x.de/", "--name", "Neu"), "Invalid value for --name: 'Neu' is not a source"),
        (
            ("https://www.vdz.org/aktuelles",),
            "a source named 'vdz' is already in the catalogue; choose another with --name",
        ),
    ],
)
def test_add_refuses_bad_arguments_before_any_request(
    env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = invoke(env, "sources", "add", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_entry_that_would_not_load_is_not_written(
    env: dict[str, str], serve: Callable[[Callable[[str], Answer]], SiteServer]
) -> None:
    site = serve(wordpress_site)
    result = invoke(env, "sources", "add", site.base_url, "--name", "m", "--title", "x" * 201)
    assert result.exit_code == 2
    assert one_line_error(result) == (f"{USER}:7: sources.m.title: is longer than 200 characters")
    assert not USER.exists()
    assert not list(USER.parent.glob(".*.tmp"))


# --- the sync before a crawl --------------------------------------------------------------


def test_a_crawl_writes_its_own_sources_into_sources(tmp_path: Path) -> None:
    from kn_crawl.mirror import Mirror
    from tests.crawling import crawl

    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with Mirror() as mirror:
        out = crawl(db_url, mirror, ["move"])
        assert out.returncode == 0, out.stderr[-3000:]
        engine = make_engine(db_url)
        with engine.connect() as conn:
            stored = {r.name: r for r in conn.execute(select(Source)).all()}
        engine.dispose()
        # A crawl by hand writes the rows of the sources it crawls, no other: the rest of the
        # catalogue, with schedules and enabled states, is the schedule-owning processes'.
        assert list(stored) == ["move"]
        assert (stored["move"].base_url, stored["move"].family, stored["move"].enabled) == (
            mirror.base_urls["move"],
            "k21",
            True,
        )
        # The list tells a crawled source from one that only has its row.
        listed = invoke({"KN_DATABASE_URL": db_url}, "sources")
        rows = {r[0]: r for r in table_rows(listed.output.partition("\nDisabled")[0])}
        assert (rows["move"][3], rows["move"][5:8]) == ("35", ["ok", "35", "complete"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", rows["move"][4])
        assert rows["kommune21"][3:8] == ["0", "never", "-", "-", "-"]

        # A bad catalogue stops the crawl before its first request.
        user = tmp_path / "kn-sources.toml"
        user.write_text("[sources.move]\nschedule = 'sometimes'\n")
        before = len(mirror.requests)
        out = crawl(db_url, mirror, ["move"], env={"KN_SOURCES_FILE": str(user)})
        assert out.returncode == 2
        assert out.stderr.splitlines() == [
            f"kn-crawl: error: {user}:2: sources.move.schedule: 'sometimes' is not a duration "
            "(e.g. 30m, 1h30m, 45s)"
        ]
        assert len(mirror.requests) == before


def test_the_web_page_of_sources_shows_the_disabled_with_their_reason(tmp_path: Path) -> None:
    from kn_crawl.catalog.sync import sync_catalog
    from kn_crawl.web import create_app

    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        sync_catalog(conn, load_files((BUNDLED_FILE,)))
    engine.dispose()
    page = create_app(db_url).test_client().get("/quellen").get_data(as_text=True)
    assert page.count("deaktiviert: ") == 2
    assert "deaktiviert: paywall and bot wall" in page
    assert "Bundesamt für Sicherheit in der Informationstechnik" in page


def test_add_a_site_of_the_mirror(env: dict[str, str]) -> None:
    from kn_crawl.mirror import Mirror

    with Mirror() as mirror:
        base = mirror.base_urls["move"]
        url = base + "k21-meldungen/"
        result = invoke(env, "sources", "add", url, "--name", "movecopy")
    assert result.exit_code == 0, result.output + result.stderr
    entry = load_files((BUNDLED_FILE, USER))["movecopy"]
    assert (entry.family, entry.base_url) == ("wordpress", base)
    assert entry.feed_urls == (f"{base}feed/",)
    assert entry.listing_urls == (url,)
    # The pattern the K21 family uses, found from the links alone.
    assert entry.article_pattern == "^/k21-meldungen/[^/]+/$"


def test_sources_shows_what_the_cluster_turned_off_and_what_runs(env: dict[str, str]) -> None:
    """The table is the cluster's truth: a source its nodes turned off (KN_SCHEDULE_X=off,
    synced by `schedule`/`worker`) is disabled with that reason, even when this shell's
    environment would enable it; a running source is `running on <node>` and due "after
    this run", not at its claim's lease."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from kn_crawl.catalog.sync import SCHEDULE_OFF
    from kn_crawl.db.models import Source, table_of
    from kn_crawl.db.runs import start_run

    sources_t = table_of(Source)
    engine = make_engine(env["KN_DATABASE_URL"])
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ids = {
            name: ensure_source(conn, name=name, family="k21", title=name, base_url=url)
            for name, url in (
                ("kommunal", "https://kommunal.de/"),
                ("move", "https://www.move-online.de/"),
            )
        }
        conn.execute(
            update(sources_t)
            .where(sources_t.c.id == ids["kommunal"])
            .values(enabled=False, disabled_reason=SCHEDULE_OFF)
        )
        conn.execute(
            update(sources_t)
            .where(sources_t.c.id == ids["move"])
            .values(claimed_at=now, claimed_by="node-1", next_due_at=now + timedelta(seconds=90))
        )
        start_run(conn, source_id=ids["move"], base_url="https://www.move-online.de/", now=now,
                  pid=1, host="node-1")  # fmt: skip
    engine.dispose()
    result = invoke(env, "sources")
    assert result.exit_code == 0, result.output
    enabled, _, disabled = result.output.partition("\nDisabled sources:\n")
    rows = {row[0]: row for row in table_rows(enabled)}
    assert "kommunal" not in rows
    assert rows["move"][-2:] == ["after this run", "running on node-1"]
    assert rows["move"][5] == "running"
    assert ["kommunal", "KOMMUNAL", "generic", "0", SCHEDULE_OFF] in table_rows(disabled)
