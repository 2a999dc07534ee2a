"""A hand ``kn-crawl crawl`` takes the ownership step of a batch: it never crawls a source
another run is crawling, nor a web host another process holds (SQLite and PostgreSQL, real
processes on the mirror, whose sites all listen on 127.0.0.1: one web host)."""

from __future__ import annotations

import os
import signal
import time

from sqlalchemy import select

from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import CrawlRun, Source
from kn_crawl.mirror import Mirror
from tests.crawling import Db, article_pages_served, background_crawl, crawl

ENV = {"KN_DOWNLOAD_DELAY": "0.05"}


def test_a_hand_crawl_skips_a_source_or_host_being_crawled(db_url: str) -> None:
    db = Db(db_url)
    upgrade(db.engine)
    try:
        with Mirror() as mirror, background_crawl(db_url, mirror, ["kommune21"], env=ENV) as proc:
            deadline = time.monotonic() + 120
            while article_pages_served(mirror, "kommune21") < 10:
                assert proc.poll() is None, "the crawl ended before the test could overlap it"
                assert time.monotonic() < deadline
                time.sleep(0.02)
            # Held in the middle of its crawl (its run running, its heartbeat fresh, on
            # PostgreSQL its host lock held) while two hand crawls try the source and the host.
            os.killpg(proc.pid, signal.SIGSTOP)
            try:
                same_source = crawl(db_url, mirror, ["kommune21"], env=ENV)
                same_host = crawl(db_url, mirror, ["move"], env=ENV)
            finally:
                os.killpg(proc.pid, signal.SIGCONT)
            _, err = proc.communicate(timeout=300)
            served = {s: article_pages_served(mirror, s) for s in ("kommune21", "move")}
        with db.engine.connect() as conn:
            runs = [
                (r.name, r.status, r.finish_reason)
                for r in conn.execute(
                    select(Source.name, CrawlRun.status, CrawlRun.finish_reason)
                    .join(Source, Source.id == CrawlRun.source_id)
                    .order_by(CrawlRun.id)
                ).all()
            ]
    finally:
        db.close()
    assert "Traceback" not in err, err[-3000:]
    for hand, source in ((same_source, "kommune21"), (same_host, "move")):
        assert hand.returncode == 1, hand.stderr[-3000:]
        assert "Traceback" not in hand.stderr, hand.stderr[-3000:]
        assert (
            f"kn-crawl: {source} skipped (host_busy): another run is crawling it or its web "
            "host now; crawl it again once that run has ended"
        ) in hand.stderr, hand.stderr[-3000:]
    assert runs == [
        ("kommune21", "ok", "finished"),
        ("kommune21", "skipped", "host_busy"),
        ("move", "skipped", "host_busy"),
    ]
    # kommune21's article pages fetched once, by the first crawl (99: what a crawl of
    # kommune21 alone fetches on the mirror for its 98 articles); nothing of move.
    assert served == {"kommune21": 99, "move": 0}
