"""Crawls of a ``generic`` / ``wordpress`` catalogue entry on a small stdlib HTTP server, for
the rules a catalogue entry brings: a catastrophic article pattern, a feed whose server
ignores ``?paged=N``, feed entries outside the pattern.

The crawl runs in a subprocess (``python -m tests.test_crawl_rules``) with the entry given as
JSON, and the page worker on (the families are importable there)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kn_crawl.catalog.model import SourceEntry
from kn_crawl.crawling.reading import crawl_feed
from tests.crawling import REPO, Db
from tests.site_server import NOT_FOUND, ROBOTS_ALLOW_ALL, Answer, SiteServer, article_page

RSS = {"Content-Type": "application/rss+xml"}


def rss(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Meldung {n}</title><link>{link}</link>"
        f"<pubDate>Sat, 01 Feb 2025 10:00:00 +0100</pubDate></item>"
        for n, link in enumerate(links, 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Meldungen</title><link>/</link>{items}</channel></rss>"
    ).encode()


def crawl_entry(db_url: str, fields: dict[str, Any], *, env: dict[str, str] | None = None) -> str:
    """Crawl the entry (``SourceEntry`` fields) once; its stderr."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    clean |= {"KN_DATABASE_URL": db_url, "KN_AUTOTHROTTLE_START_DELAY": "0"} | (env or {})
    args = [sys.executable, "-m", "tests.test_crawl_rules", json.dumps(fields)]
    out = subprocess.run(args, env=clean, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    return out.stderr


def site(routes: dict[str, Answer]) -> Callable[[str], Answer]:
    def answer(target: str) -> Answer:
        path = target.partition("?")[0]  # the query is ignored, as many servers do
        if path == "/robots.txt":
            return ROBOTS_ALLOW_ALL
        if path in routes:
            return routes[path]
        if path.startswith("/a/"):
            return Answer(200, article_page(path.strip("/").replace("/", "-")))
        return NOT_FOUND

    return answer


def drops(db: Db) -> list[tuple[str, str]]:
    return [(d.reason, d.url) for d in db.drops()]


def test_a_catastrophic_pattern_times_out_and_the_crawl_goes_on(tmp_path: Path) -> None:
    # With ``re``, '^/a/(x|xx)+$' on '/a/' + 40 x + 'y' backtracks for hours.
    bad = "/a/" + 40 * "x" + "y"
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    routes = {"/feed.xml": Answer(200, rss([bad, "/a/xx"]), RSS)}
    with SiteServer(site(routes)) as server:
        fields = {
            "family": "generic",
            "base_url": server.base_url,
            "feed_urls": [server.base_url + "feed.xml"],
            "article_pattern": "^/a/(x|xx)+$",
        }
        crawl_entry(db_url, fields)
        assert server.count("/a/") == 1  # /a/xx only
    db = Db(db_url)
    assert [(r.status, r.articles_new) for r in db.runs()] == [("ok", 1)]
    assert sorted(db.articles()) == [server.base_url + "a/xx"]
    reasons = [d.reason for d in db.drops()]
    assert reasons == ["pattern_timeout"]
    db.close()


def test_the_feed_is_read_in_the_page_worker_to_the_links_cap(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    routes = {"/feed.xml": Answer(200, rss([f"/a/m{n}" for n in range(1, 6)]), RSS)}
    with SiteServer(site(routes)) as server:
        fields = {
            "family": "generic",
            "base_url": server.base_url,
            "feed_urls": [server.base_url + "feed.xml"],
            "article_pattern": r"^/a/m\d$",
        }
        crawl_entry(db_url, fields, env={"KN_MAX_LINKS_PER_PAGE": "2"})
        assert server.count("/a/") == 2
    db = Db(db_url)
    assert sorted(db.articles()) == [server.base_url + "a/m1", server.base_url + "a/m2"]
    assert [(d.reason, d.detail, d.url) for d in db.drops()] == [
        (
            "too_many_links",
            "5 entries in the feed; the first 2 were taken",
            server.base_url + "feed.xml",
        )
    ]
    db.close()


def listing(slugs: list[str]) -> bytes:
    """A listing page of article teasers, without pagination links (paged blindly)."""
    teasers = "".join(
        f'<article><h2><a href="/a/{slug}">Meldung {slug}</a></h2>'
        f"<p>[01.02.2025] Teaser von {slug}.</p></article>"
        for slug in slugs
    )
    return f"<html><body><main><h1>Liste</h1>{teasers}</main></body></html>".encode()


def test_a_chain_stops_where_the_server_ignores_the_page_number(tmp_path: Path) -> None:
    # The WordPress family asks a full feed page (10 entries) for ``?paged=2``, the generic
    # listing rule for ``?page=2``; this server answers page 1 to both.
    slugs = [f"m{n}" for n in range(10)]
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    routes = {
        "/feed/": Answer(200, rss([f"/a/{slug}" for slug in slugs]), RSS),
        "/liste/": Answer(200, listing(slugs)),
    }
    with SiteServer(site(routes)) as server:
        fields = {
            "family": "wordpress",
            "base_url": server.base_url,
            "feed_urls": [server.base_url + "feed/"],
            "listing_urls": [server.base_url + "liste/"],
            "article_pattern": r"^/a/m\d$",
            "next_page": "?page={n}",
        }
        crawl_entry(db_url, fields)
        assert sorted(server.paths) == sorted(
            ["/robots.txt", "/feed/", "/feed/?paged=2", "/liste/", "/liste/?page=2"]
            + [f"/a/{slug}" for slug in slugs]
        )
    db = Db(db_url)
    assert [(r.status, r.articles_new) for r in db.runs()] == [("ok", 10)]
    assert db.drops() == []
    db.close()


def test_a_feed_whose_entries_are_all_outside_the_pattern_is_recorded(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    links = ["/news/eins", "/news/zwei", "javascript:alert(1)"]
    routes = {"/feed.xml": Answer(200, rss(links), RSS)}
    with SiteServer(site(routes)) as server:
        fields = {
            "family": "generic",
            "base_url": server.base_url,
            "feed_urls": [server.base_url + "feed.xml"],
            "article_pattern": r"^/a/[a-z0-9]+$",
        }
        crawl_entry(db_url, fields)
        assert server.count("/news/") == 0
    db = Db(db_url)
    assert db.articles() == {}
    assert [(d.reason, d.detail, d.url) for d in db.drops()] == [
        (
            "feed_entry_without_link",
            "1 of 3 entries in the feed have no http(s) link: not followed",
            server.base_url + "feed.xml",
        ),
        (
            "no_articles_matched",
            "2 entries in the feed, none is an article by the pattern '^/a/[a-z0-9]+$'",
            server.base_url + "feed.xml",
        ),
    ]
    db.close()


def test_a_feed_without_one_http_link_says_so() -> None:
    entry = SourceEntry(
        name="rules", title="Rules", family="generic", base_url="http://127.0.0.1:9/"
    )
    body = rss(["javascript:alert(1)", "mailto:presse@example.de"])
    listing, notes = crawl_feed(entry, "http://127.0.0.1:9/feed.xml", body, None, 1, 10)
    assert listing is not None
    assert (listing.entries, notes) == (
        [],
        [("no_articles_matched", "2 entries in the feed, none with an http(s) link")],
    )


def test_crawl_feed_task() -> None:
    entry = SourceEntry(
        name="rules", title="Rules", family="generic", base_url="http://127.0.0.1:9/"
    )
    big = rss([f"/a/m{n}" for n in range(1, 101)])
    listing, notes = crawl_feed(entry, "http://127.0.0.1:9/feed.xml", big, None, 1, 3)
    assert listing is not None
    assert [e.url for e in listing.entries] == [f"http://127.0.0.1:9/a/m{n}" for n in (1, 2, 3)]
    assert (listing.notes, notes) == (
        [],
        [("too_many_links", "100 entries in the feed; the first 3 were taken")],
    )
    html = b"<!DOCTYPE html><html><body>Cookies?</body></html>"
    assert crawl_feed(entry, "http://127.0.0.1:9/feed.xml", html, "text/html", 1, 3) == (
        None,
        [("feed_is_html", "an HTML page, not a feed (<!DOCTYPE html>)")],
    )


def main(fields_json: str) -> None:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings as ScrapySettings

    from kn_crawl.crawling.scrapy_config import scrapy_settings
    from kn_crawl.settings import Settings
    from spiders.news import NewsSpider

    fields = json.loads(fields_json)
    for key in ("feed_urls", "listing_urls"):
        fields[key] = tuple(fields.get(key, ()))
    source = SourceEntry(name="rules", title="Rules", **fields)
    spider = type(
        "RulesSpider",
        (NewsSpider,),
        {"name": source.name, "source_title": source.title, "default_base_url": source.base_url},
    )
    process = CrawlerProcess(ScrapySettings(scrapy_settings(Settings.from_env())))
    process.crawl(spider, source=source)
    process.start()


if __name__ == "__main__":
    main(*sys.argv[1:])
