"""Crawls with and without the page worker, and a crawl whose page worker is killed."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from kn_crawl.db.models import Article
from kn_crawl.mirror import Mirror
from kn_crawl.tags import tag_key
from tests.crawling import Db, background_crawl, child_pids, crawl

SOURCES = ("kommune21", "move", "stadtundwerk")
FIELDS = (
    "title",
    "kicker",
    "teaser",
    "body",
    "published_at",
    "date_signal",
    "section",
    "type_label",
    "image_url",
    "image_caption",
    "image_credit",
)


def _snapshot(db: Db) -> dict[str, object]:
    """What a crawl stored, less what depends on timing: ``site_article_id`` (an article
    first reached through an old ``meldung_N`` link gets N from the redirect, one reached
    directly does not) and the spelling of Stichwörter."""
    # A Stichwort keeps the spelling it was first seen in: tags are compared by key.
    articles = {
        url: (tuple(getattr(row, f) for f in FIELDS), tuple(tag_key(t) for t in tags))
        for url, (row, tags) in db.articles().items()
    }
    drops = sorted((d.url, d.reason) for d in db.drops())
    return {"articles": articles, "aliases": _alias_targets(db), "drops": drops}


def _alias_targets(db: Db) -> dict[str, str]:
    """Each known URL with the canonical URL of its article (ids differ between databases)."""
    by_id = {row.id: url for url, (row, _) in db.articles().items()}
    return {url: by_id[article_id] for url, article_id in db.url_aliases().items()}


def test_the_page_worker_changes_nothing_in_what_is_stored(tmp_path: Path) -> None:
    with Mirror() as mirror:
        snapshots = []
        for worker in ("1", "0"):
            url = f"sqlite:///{tmp_path / f'worker-{worker}.sqlite3'}"
            out = crawl(url, mirror, env={"KN_CRAWL_WORKER": worker})
            assert out.returncode == 0, out.stderr[-4000:]
            db = Db(url)
            snapshots.append(_snapshot(db))
            assert db.count(Article) == 160
            db.close()
    with_worker, without = snapshots
    assert with_worker["articles"] == without["articles"]
    assert with_worker["drops"] == without["drops"]
    # Which old links are learned as aliases depends on timing (an old link fetched after
    # its target was is a duplicate request); where both learned one, it is the same.
    aliases, other = with_worker["aliases"], without["aliases"]
    assert isinstance(aliases, dict) and isinstance(other, dict)
    assert {u: aliases[u] for u in aliases.keys() & other.keys()} == {
        u: other[u] for u in aliases.keys() & other.keys()
    }


def test_a_killed_page_worker_is_logged_and_the_crawl_goes_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with Mirror() as mirror:
        env = {"KN_DOWNLOAD_DELAY": "0.05", "KN_STORE_BATCH_SIZE": "5"}
        with background_crawl(url, mirror, SOURCES, env=env) as proc:
            db = Db(url)
            worker = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                worker = next(iter(child_pids(proc.pid, b"kn_crawl.crawling.worker")), None)
                if worker is not None and db.count(Article) > 0:
                    break
                time.sleep(0.05)
            assert worker is not None, "no page worker with articles stored"
            stored_before = db.count(Article)
            os.kill(worker, signal.SIGKILL)
            _, stderr = proc.communicate(timeout=180)
        assert "page worker failed" in stderr
        # The rest of the crawl was parsed and stored in the crawl process.
        assert stored_before < db.count(Article)
        # Whatever the worker had when it died is fetched again by the next run.
        again = crawl(url, mirror)
        assert again.returncode == 0, again.stderr[-4000:]
        assert db.count(Article) == 160
        db.close()
