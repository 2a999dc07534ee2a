"""A catalogue source whose start pages are all hostile or broken: an XML bomb, an external
entity reading /etc/passwd, a "feed" that is an HTML cookie wall, a feed that is down, and a
listing on which the article-URL pattern matches no link. The crawl records each with its
reason, crashes on none, reads nothing from the local disk, and health complains about the
start pages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kn_crawl.db.state_models import SourceHealth
from tests.crawling import Db, crawl_own_source
from tests.faults.rules import XML_BOMB
from tests.site_server import NOT_FOUND, Answer, SiteServer

pytestmark = pytest.mark.slow

XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&secret;</title>
<item><title>&secret;</title><link>/artikel/eins/</link></item></channel></rss>"""
COOKIE_WALL = (
    b"<!DOCTYPE html><html><head><title>Cookie-Check</title></head><body>"
    b"<p>Bitte aktivieren Sie Cookies.</p><script>document.cookie='ok=1'</script></body></html>"
)
LISTING = (
    b"<html><head><title>Aktuelles</title></head><body><main><h1>Aktuelles</h1>"
    + b"".join(
        b'<article><h2><a href="/news/meldung-%d.html">Meldung %d</a></h2></article>' % (n, n)
        for n in range(1, 6)
    )
    + b"</main></body></html>"
)


def route(path: str) -> Answer:
    answers = {
        "/robots.txt": Answer(200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}),
        "/bomb.xml": Answer(200, XML_BOMB, {"Content-Type": "application/rss+xml"}),
        "/xxe.xml": Answer(200, XXE, {"Content-Type": "application/rss+xml"}),
        "/wall.xml": Answer(200, COOKIE_WALL, {"Content-Type": "text/html; charset=utf-8"}),
        "/down.xml": Answer(503, b"<html><body>Wartung</body></html>"),
        "/news/": Answer(200, LISTING),
    }
    return answers.get(path, NOT_FOUND)


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer(route) as server:
        yield server


def test_hostile_start_pages_are_recorded_and_reported(site: SiteServer, tmp_path: Path) -> None:
    out, db_url = crawl_own_source(
        tmp_path,
        "hostile",
        'title = "Feindliche Quelle"\n'
        'family = "generic"\n'
        f'base_url = "{site.base_url}"\n'
        'feeds = ["bomb.xml", "xxe.xml", "wall.xml", "down.xml"]\n'
        'listings = ["news/"]\n'
        "article_pattern = '^/artikel/[a-z0-9-]+/$'\n",
    )
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    db = Db(db_url)
    drops = db.drops()
    reasons = Counter((d.reason, d.url.removeprefix(site.base_url)) for d in drops)
    assert reasons == {
        ("unsafe_xml", "bomb.xml"): 1,
        ("unsafe_xml", "xxe.xml"): 1,
        ("feed_is_html", "wall.xml"): 1,
        ("http_503", "down.xml"): 1,
        ("no_articles_matched", "news/"): 1,
    }
    # A listing read and found empty is a note (nothing lost, health reports it); a feed that
    # is no feed is a lost page.
    notes = {(d.reason, d.note) for d in drops}
    assert notes == {
        ("unsafe_xml", False),
        ("feed_is_html", False),
        ("http_503", False),
        ("no_articles_matched", True),
    }
    # Nothing of the local disk was read into the database.
    assert all("root:" not in (d.detail or "") for d in drops)
    served = ["/bomb.xml", "/down.xml", "/news/", "/robots.txt", "/wall.xml", "/xxe.xml"]
    assert sorted(site.paths) == served
    [run] = db.runs()
    assert (run.status, run.finish_reason) == ("failed", "mostly_failed")
    with db.engine.connect() as conn:
        health = conn.execute(select(SourceHealth.__table__)).one()  # type: ignore[attr-defined]
    checks = [e["check"] for e in health.evidence]
    assert health.status == "failing"
    assert checks.count("start_pages") == 3  # one per reason: unsafe_xml, feed_is_html, …
    messages = " ".join(e["message"] for e in health.evidence if e["check"] == "start_pages")
    for reason in ("unsafe_xml", "feed_is_html", "no_articles_matched"):
        assert f"({reason})" in messages
    assert out.returncode == 1, out.stderr[-3000:]  # a failed run is a failed command
    db.close()
