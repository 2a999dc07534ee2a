"""Bounded work: listings that never end, pages with too many links. Each trap is served by a
small site on 127.0.0.1 (tests/site_server.py) and the crawl must end with the caps recorded."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from kn_crawl.dates import BERLIN
from tests.crawling import Db
from tests.site_server import (
    FEED,
    NOT_FOUND,
    ROBOTS_ALLOW_ALL,
    Answer,
    SiteServer,
    article_page,
    crawl_site,
    listing_page,
)

_ARCHIVE = re.compile(r"^/k21-meldungen/(?:page/(\d+)/)?$")
_TOPIC = re.compile(r"^/k21-themen/t-(\d+)/(?:page/(\d+)/)?$")
_ARTICLE = re.compile(r"^/k21-meldungen/([a-z0-9-]+)/$")


def endless(path: str) -> Answer:
    """The archive pages on without end; every topic page links the next topic page and
    pages on without end too. Each listing page shows one article of its own."""
    if path == "/robots.txt":
        return ROBOTS_ALLOW_ALL
    if path == "/k21-meldungen/feed":
        return FEED
    if path == "/":
        return Answer(body=listing_page([], links=("/k21-themen/t-1/",)))
    if m := _ARCHIVE.match(path):
        n = int(m.group(1) or 1)
        return Answer(body=listing_page([f"a-{n}"], next_url=f"/k21-meldungen/page/{n + 1}/"))
    if m := _TOPIC.match(path):
        topic, n = int(m.group(1)), int(m.group(2) or 1)
        return Answer(
            body=listing_page(
                [f"t-{topic}-{n}"],
                links=(f"/k21-themen/t-{topic + 1}/",),
                next_url=f"/k21-themen/t-{topic}/page/{n + 1}/",
            )
        )
    if m := _ARTICLE.match(path):
        return Answer(body=article_page(m.group(1)))
    return NOT_FOUND


def test_endless_topic_pages_and_paging_end_at_their_caps(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    env = {"KN_MAX_LISTING_PAGES": "3", "KN_MAX_SECTION_PAGES": "4"}
    with SiteServer(endless) as site:
        out = crawl_site(db_url, site, env=env)
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    # The archive 3 pages deep; topic pages t-1 … t-4, each 3 pages deep; t-5 is refused.
    assert site.count("/k21-meldungen/page/") == 2
    assert sorted({p for p in site.paths if p.startswith("/k21-themen/") and "page" not in p}) == [
        f"/k21-themen/t-{n}/" for n in (1, 2, 3, 4)
    ]
    assert site.count("/k21-themen/") == 4 * 3
    db = Db(db_url)
    [run] = db.runs()
    assert run.status == "ok"
    assert run.articles_new == 3 + 4 * 3
    limits = sorted(d.url.removeprefix(site.base_url) for d in db.drops(run.id))
    assert limits == [
        "k21-meldungen/page/4/",
        "k21-themen/t-1/page/4/",
        "k21-themen/t-2/page/4/",
        "k21-themen/t-3/page/4/",
        "k21-themen/t-4/page/4/",
        "k21-themen/t-5/",
    ]
    assert {(d.stage, d.reason) for d in db.drops(run.id)} == {("parse", "listing_depth_limit")}
    # Caps of this run's work are notes: nothing was lost, the run is not degraded by them.
    assert (run.dropped, run.errors) == (0, 0)
    assert run.stats["kn/notes/listing_depth_limit"] == 6
    db.close()


def test_a_full_crawl_of_an_endless_site_ends_too(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    env = {"KN_MAX_LISTING_PAGES": "1", "KN_MAX_SECTION_PAGES": "1"}
    with SiteServer(endless) as site:
        out = crawl_site(db_url, site, env=env, full=True)
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    # --full: ten times the caps (kn_crawl.settings.FULL_CRAWL_FACTOR).
    assert site.count("/k21-meldungen/page/") == 9
    assert len({p for p in site.paths if _TOPIC.match(p) and "page" not in p}) == 10
    assert site.count("/k21-themen/") == 10 * 10
    db = Db(db_url)
    [run] = db.runs()
    assert run.status == "ok"
    assert run.articles_new == 10 + 10 * 10
    assert len(db.drops(run.id)) == 1 + 10 + 1  # the archive, each topic, the topic cap
    db.close()


def test_a_page_with_150000_links_queues_only_the_cap(tmp_path: Path) -> None:
    trap = "".join(f'<a href="/k21-meldungen/trap-{i}/">{i}</a>' for i in range(150_000))

    def route(path: str) -> Answer:
        if path == "/robots.txt":
            return ROBOTS_ALLOW_ALL
        if path == "/k21-meldungen/":
            return Answer(body=listing_page(["falle"]))
        if path == "/k21-meldungen/falle/":
            return Answer(body=article_page("falle", extra=trap))
        if m := _ARTICLE.match(path):
            return Answer(body=article_page(m.group(1)))
        return NOT_FOUND

    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with SiteServer(route) as site:
        out = crawl_site(db_url, site, env={"KN_MAX_LINKS_PER_PAGE": "50"})
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    # The page's first 50 links: 50 trap articles (nothing else links out of the page).
    assert site.count("/k21-meldungen/trap-") == 50
    db = Db(db_url)
    [run] = db.runs()
    assert run.articles_new == 1 + 50
    notes = [(d.url.removeprefix(site.base_url), d.reason) for d in db.drops(run.id)]
    assert ("k21-meldungen/falle/", "too_many_links") in notes
    assert [r for _, r in notes].count("too_many_links") == 1
    db.close()


LONG_PATH = "k21-meldungen/lang-url/" + "x" * 4980 + "/"


def oversized(path: str) -> Answer:
    """One listing page whose articles are too big for the database's columns, or dated in
    the future; all in one batch with an ordinary article."""
    if path == "/robots.txt":
        return ROBOTS_ALLOW_ALL
    if path == "/k21-meldungen/feed":
        return FEED
    if path == "/":
        return Answer(body=listing_page([]))
    if path == "/k21-meldungen/":
        slugs = ["a-1", "lang-url", "lang-rubrik", "lang-titel", "zukunft", "zukunft-ld"]
        return Answer(body=listing_page(slugs))
    if path == "/k21-meldungen/lang-url/":
        return Answer(
            body=article_page("lang-url", head=f'<link rel="canonical" href="/{LONG_PATH}">')
        )
    if path == "/k21-meldungen/lang-rubrik/":
        ld = '{"@type": "NewsArticle", "articleSection": "%s"}' % ("Rubrik " * 50)
        head = f'<script type="application/ld+json">{ld}</script>'
        return Answer(body=article_page("lang-rubrik", head=head))
    if path == "/k21-meldungen/lang-titel/":
        return Answer(body=article_page("lang-titel", title="Titel " * 20_000))
    if path == "/k21-meldungen/zukunft/":
        return Answer(body=article_page("zukunft", date="01.02.2099"))
    if path == "/k21-meldungen/zukunft-ld/":
        # JSON-LD says 2099; the teaser's date is the next signal.
        ld = '{"@type": "NewsArticle", "datePublished": "2099-02-01T10:00:00+01:00"}'
        head = f'<script type="application/ld+json">{ld}</script>'
        return Answer(body=article_page("zukunft-ld", head=head, date="03.02.2025"))
    if m := _ARTICLE.match(path):
        return Answer(body=article_page(m.group(1)))
    return NOT_FOUND


def test_oversized_fields_and_future_dates_never_fail_a_batch(db_url: str) -> None:
    with SiteServer(oversized) as site:
        out = crawl_site(db_url, site)
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    base = site.base_url
    db = Db(db_url)
    [run] = db.runs()
    assert run.status == "ok", out.stderr[-3000:]
    articles = db.articles()
    assert sorted(url.removeprefix(base) for url in articles) == [
        "k21-meldungen/a-1/",
        "k21-meldungen/lang-rubrik/",
        "k21-meldungen/lang-titel/",
        "k21-meldungen/lang-url/",  # its canonical URL is too long: stored under its own
        "k21-meldungen/zukunft-ld/",
    ]
    section = articles[base + "k21-meldungen/lang-rubrik/"][0].section
    assert len(section) == 200
    assert section.endswith("…")
    title = articles[base + "k21-meldungen/lang-titel/"][0].title
    assert len(title) == 1000
    future = articles[base + "k21-meldungen/zukunft-ld/"][0]
    assert (future.published_at, future.date_signal) == (
        datetime(2025, 2, 3, tzinfo=BERLIN),
        "visible",
    )
    drops = {(d.url.removeprefix(base), d.stage, d.reason) for d in db.drops(run.id)}
    assert drops == {
        ("k21-meldungen/lang-url/", "validate", "field_truncated"),
        ("k21-meldungen/lang-rubrik/", "validate", "field_truncated"),
        ("k21-meldungen/lang-titel/", "validate", "field_truncated"),
        ("k21-meldungen/zukunft/", "validate", "future_date"),
    }
    # Notes are not drops: only the future date counts.
    assert (run.articles_new, run.dropped, run.errors) == (5, 1, 0)
    db.close()


def huge_robots() -> bytes:
    """7 MB: a rule in the first KiB, then 7 MB of rules, then an Allow that would open what
    the first rule closes — if the parser read that far."""
    head = b"User-agent: *\nDisallow: /k21-themen/\n"
    filler = b"".join(b"Disallow: /archiv-%07d/\n" % i for i in range(7 * 1024 * 1024 // 27))
    return head + filler + b"Allow: /k21-themen/t-1/\n"


def test_only_the_first_500_kib_of_robots_txt_are_read(tmp_path: Path) -> None:
    robots = huge_robots()
    assert len(robots) > 7_000_000

    def route(path: str) -> Answer:
        if path == "/robots.txt":
            return Answer(200, robots, {"Content-Type": "text/plain"})
        if path == "/k21-meldungen/feed":
            return FEED
        if path in ("/", "/k21-meldungen/"):
            return Answer(body=listing_page(["a-1"], links=("/k21-themen/t-1/",)))
        if m := _ARTICLE.match(path):
            return Answer(body=article_page(m.group(1)))
        return NOT_FOUND

    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with SiteServer(route) as site:
        out = crawl_site(db_url, site)
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    # The rule of the first KiB holds; the Allow 7 MB further down was never read.
    assert site.count("/k21-themen/") == 0
    db = Db(db_url)
    [run] = db.runs()
    assert run.status == "ok"
    assert run.articles_new == 1
    assert [(d.url.removeprefix(site.base_url), d.reason) for d in db.drops(run.id)] == [
        ("k21-themen/t-1/", "robots_disallowed")
    ]
    assert run.stats["kn/robots_truncated"] == 1
    db.close()
