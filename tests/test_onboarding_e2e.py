"""End to end: a new source is one catalogue entry. ``sources add`` finds a site's feed and its
article pattern on the mirror and writes the entry, ``sources test`` shows what comes out, the
scheduler crawls it with the other enabled sources (here: none), its articles are searchable,
and a new article published on the site reaches a subscriber's alert e-mail."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kn_crawl.alerts.models import AlertEmail, AlertOutbox
from kn_crawl.db.models import Article, Source
from kn_crawl.mirror import Mirror
from tests.crawling import REPO, Db, only_sources

pytestmark = pytest.mark.slow


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with Mirror() as m:
        yield m


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kn_crawl", *args],
        env=env,
        cwd=env["KN_DATA_DIR"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def archive_articles(site: str) -> set[str]:
    """The article links of the site's archive pages, followed through its rel=next links."""
    found: set[str] = set()
    url: str | None = site + "k21-meldungen/"
    while url:
        with urllib.request.urlopen(url) as response:
            html = response.read().decode()
        found |= set(
            re.findall(rf'href="({re.escape(site)}k21-meldungen/(?!page/)[a-z0-9-]+/)"', html)
        )
        following = re.search(r'<link rel="next" href="([^"]+)"', html)
        url = following.group(1) if following else None
    return found


def test_a_site_added_by_url_is_tested_crawled_searched_and_alerted(
    mirror: Mirror, tmp_path: Path
) -> None:
    catalog = tmp_path / "kn-sources.toml"
    catalog.write_text(only_sources(()))  # every bundled source off: nothing else is crawled
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")} | {
        "KN_DATABASE_URL": db_url,
        "KN_DATA_DIR": str(tmp_path),
        "KN_SOURCES_FILE": str(catalog),
        "KN_AUTOTHROTTLE_START_DELAY": "0",
        "KN_SCHEDULE_INTERVAL": "1s",
        "KN_SCHEDULE_JITTER": "0",
        "PYTHONPATH": str(REPO),
    }
    site = mirror.base_urls["move"]

    # The site's news page, as an analyst would give it: its archive, paged.
    added = run(env, "sources", "add", site + "k21-meldungen/", "--name", "movemirror")
    assert added.returncode == 0, added.stderr
    assert f"Feed:     {site}feed/ (rss, announced)" in added.stdout
    entry = catalog.read_text().split("[sources.movemirror]\n", 1)[1]
    assert entry.splitlines()[:5] == [
        'title = "move - moderne verwaltung"',
        'family = "wordpress"',
        f'base_url = "{site}"',
        'feeds = ["feed/"]',
        'listings = ["k21-meldungen/"]',
    ]

    tried = run(env, "sources", "test", "movemirror", "--limit", "3")
    assert tried.returncode == 0, tried.stderr
    assert tried.stdout.splitlines()[1].startswith("title 3/3, date 3/3, ")
    assert not (tmp_path / "kn.sqlite3").exists()  # a trial stores nothing

    first = run(env, "schedule", "--once")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "1 sources crawled" in first.stdout
    db = Db(db_url)
    with db.engine.connect() as conn:
        sources = conn.execute(select(Source.name, Source.family)).all()
        assert ("movemirror", "wordpress") in sources
        stored = conn.execute(
            select(Article.url).join(Source).where(Source.name == "movemirror")
        ).scalars()
        stored_urls = set(stored)
    # Every article of the archive the entry names (and nothing that is not an article); the
    # K21 family reads topic pages too, a generic entry only what its listing and feed show
    # and the articles they link.
    assert archive_articles(site) <= stored_urls <= set(mirror.article_urls("move"))

    listed = run(env, "articles", "--source", "movemirror", "--limit", "1", "--json")
    assert listed.returncode == 0, listed.stderr
    newest = mirror.expected_articles("move")[0]
    assert f'"title": "{newest.title}"' in listed.stdout

    subscribed = run(env, "subscribe", "analyst@example.org", "--source", "movemirror")
    assert subscribed.returncode == 0, subscribed.stderr
    (published,) = mirror.publish("move", 1)
    time.sleep(1.2)  # the source is due again after its 1 s interval
    second = run(env, "schedule", "--once")
    assert second.returncode == 0, second.stderr[-3000:]
    with db.engine.connect() as conn:
        queued = conn.execute(
            select(Article.url, AlertEmail.recipient)
            .join(AlertOutbox, AlertOutbox.article_id == Article.id)
            .join(AlertEmail, AlertEmail.id == AlertOutbox.email_id)
        ).all()
    # Only the new article: the first crawl of a source is its backfill, never mailed.
    assert queued == [(published, "analyst@example.org")]
    db.close()
