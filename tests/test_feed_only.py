"""Feed entries whose pages may not be fetched are stored as the feed tells them, marked
``feed_only``: robots.txt disallows the pages, or the catalogue entry says not to fetch them.

The source here is a test-only family (``test_feed_only``) on a small stdlib HTTP server;
the crawl runs in a subprocess (``python -m tests.test_feed_only``) that registers it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import pytest

from kn_crawl.catalog.model import SourceEntry
from spiders.family import Family, PageKind, register
from tests.crawling import REPO, Db
from tests.site_server import NOT_FOUND, Answer, SiteServer, article_page


@register
class FeedOnlyTestFamily(Family):
    """A feed at ``/feed.xml`` whose entries are ``/artikel/…`` pages."""

    name: ClassVar[str] = "test_feed_only"
    title: ClassVar[str] = "test only: a feed and its article pages"

    def classify(self, url: str) -> PageKind | None:
        path = urlsplit(url).path
        if path == "/feed.xml":
            return PageKind.FEED
        return PageKind.ARTICLE if path.startswith("/artikel/") else None


FEED = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<rss version="2.0"><channel>'
    "<title>Podcast</title><link>/</link>"
    + "".join(
        f"<item><title>Register, Folge {n}</title><link>/artikel/folge-{n}/</link>"
        f"<pubDate>Sat, 0{n} Feb 2025 10:00:00 +0100</pubDate>"
        f"<description>Worum es in Folge {n} geht.</description></item>"
        for n in (1, 2, 3)
    )
    + "</channel></rss>"
).encode()


def route(robots: str) -> object:
    def answer(path: str) -> Answer:
        if path == "/robots.txt":
            return Answer(200, robots.encode(), {"Content-Type": "text/plain"})
        if path == "/feed.xml":
            return Answer(200, FEED, {"Content-Type": "application/rss+xml"})
        if path.startswith("/artikel/"):
            return Answer(200, article_page(path.split("/")[2], title="Die Seite"))
        return NOT_FOUND

    return answer


def entry(base_url: str, *, fetch_articles: bool) -> SourceEntry:
    return SourceEntry(
        name="feedonly",
        title="Feed only",
        family="test_feed_only",
        base_url=base_url,
        feed_urls=(base_url + "feed.xml",),
        fetch_articles=fetch_articles,
    )


def crawl_feed_source(db_url: str, site: SiteServer, *, fetch_articles: bool) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    # The test family exists only in the crawl process: no page worker.
    env |= {"KN_DATABASE_URL": db_url, "KN_AUTOTHROTTLE_START_DELAY": "0", "KN_CRAWL_WORKER": "0"}
    args = [sys.executable, "-m", "tests.test_feed_only", site.base_url, str(int(fetch_articles))]
    out = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]


@pytest.mark.parametrize(
    ("robots", "fetch_articles"),
    [
        ("User-agent: *\nDisallow: /artikel/\n", True),  # robots.txt keeps us from the pages
        ("User-agent: *\nAllow: /\n", False),  # the catalogue says: the feed is enough
    ],
    ids=["robots", "catalogue"],
)
def test_feed_entries_are_stored_alone_when_their_pages_may_not_be_fetched(
    tmp_path: Path, robots: str, fetch_articles: bool
) -> None:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with SiteServer(route(robots)) as site:  # type: ignore[arg-type]
        crawl_feed_source(db_url, site, fetch_articles=fetch_articles)
        assert site.count("/artikel/") == 0
    db = Db(db_url)
    runs = db.runs()
    assert [(r.source, r.status, r.articles_new, r.dropped) for r in runs] == [
        ("feedonly", "ok", 3, 0)
    ]
    articles = db.articles()
    assert sorted(articles) == [f"{site.base_url}artikel/folge-{n}/" for n in (1, 2, 3)]
    row, tags = articles[f"{site.base_url}artikel/folge-2/"]
    assert (row.title, row.teaser, row.feed_only, row.date_signal) == (
        "Register, Folge 2",
        "Worum es in Folge 2 geht.",
        True,
        "feed",
    )
    published = row.published_at.replace(tzinfo=row.published_at.tzinfo or UTC)
    assert published == datetime(2025, 2, 2, 9, 0, tzinfo=UTC)
    assert tags == []  # (how categories become Stichwörter: tests of the feed parser)
    assert db.drops() == []
    db.close()


def main(base_url: str, fetch_articles: str) -> None:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings as ScrapySettings

    from kn_crawl.crawling.scrapy_config import scrapy_settings
    from kn_crawl.settings import Settings
    from spiders.news import NewsSpider

    source = entry(base_url, fetch_articles=fetch_articles == "1")
    spider = type(
        "FeedonlySpider",
        (NewsSpider,),
        {"name": source.name, "source_title": source.title, "default_base_url": base_url},
    )
    process = CrawlerProcess(ScrapySettings(scrapy_settings(Settings.from_env())))
    process.crawl(spider, source=source)
    process.start()


if __name__ == "__main__":
    main(*sys.argv[1:])
