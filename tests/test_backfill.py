"""Complete archives: a first crawl that ends early is continued by the next runs until the
whole archive has been walked; a completed archive stays complete and refreshes stay cheap."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, insert, select

from kn_crawl.crawling.backfill import Cursor, is_transient
from kn_crawl.db.backfill import ArchiveState, PendingPage, archive_states, ordered, save_state
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import CrawlRun, Source
from kn_crawl.db.state_models import BackfillState, SourceHealth
from kn_crawl.health import check_runs
from kn_crawl.mirror import Mirror
from kn_crawl.web import create_app
from tests.crawling import REPO, Db, article_pages_served, background_crawl, crawl

# --- the cursor and the stored state (pure) -------------------------------------------------

LISTING = PendingPage("http://s/k21-meldungen/page/4/", "listing", 4, True)
ARTICLE = PendingPage("http://s/k21-meldungen/a/", "article", 1, True)


def test_a_scheduled_page_is_pending_until_read() -> None:
    cursor = Cursor()
    cursor.scheduled(LISTING)
    cursor.scheduled(ARTICLE)
    cursor.settled([LISTING.url])
    assert cursor.pages() == [ARTICLE]


def test_a_redirect_of_a_pending_page_is_not_a_page_of_its_own() -> None:
    cursor = Cursor()
    cursor.scheduled(ARTICLE)
    cursor.scheduled(PendingPage("http://s/k21-meldungen/b/", "article"), [ARTICLE.url])
    assert cursor.pages() == [ARTICLE]
    # Its response settles the page it came from.
    cursor.settled(["http://s/k21-meldungen/b/", ARTICLE.url])
    assert cursor.pages() == []


def test_a_page_lost_after_its_fetch_is_pending_again() -> None:
    cursor = Cursor()
    cursor.scheduled(LISTING)
    cursor.settled([LISTING.url])
    cursor.lost(LISTING.url, backfill=False)
    cursor.lost(ARTICLE.url, backfill=True)  # settled before this cursor knew it
    assert cursor.pages() == [LISTING, ARTICLE]


def test_a_duplicate_dropped_while_its_url_is_on_its_way_settles_nothing() -> None:
    cursor = Cursor()
    cursor.scheduled(LISTING)  # the first request
    cursor.scheduled(LISTING)  # a second one, which Scrapy's duplicate filter drops
    cursor.dropped([LISTING.url])
    assert cursor.pages() == [LISTING]
    # A request refused as it was scheduled (the origin policy) settles its page.
    cursor.scheduled(ARTICLE)
    cursor.dropped([ARTICLE.url])
    assert cursor.pages() == [LISTING]
    # A duplicate of a page already read settles it again.
    cursor.settled([LISTING.url])
    cursor.scheduled(LISTING)
    cursor.dropped([LISTING.url])
    assert cursor.pages() == []


def test_the_seed_stays_pending_until_requested_and_read() -> None:
    cursor = Cursor([LISTING])
    refresh = PendingPage(LISTING.url, "listing", 4, False)
    cursor.scheduled(refresh)
    assert cursor.pages() == [LISTING]  # still read in backfill mode
    assert cursor.backfill_listings() == 1


@pytest.mark.parametrize(
    ("reason", "transient"),
    [
        ("http_503", True),
        ("http_500", True),
        ("http_429", True),
        ("timeout", True),
        ("connection_refused", True),
        ("dns", True),
        ("http_404", False),
        ("robots_disallowed", False),
        ("not_html", False),
        ("offsite_redirect", False),
    ],
)
def test_transient_failures_keep_a_page_pending(reason: str, transient: bool) -> None:
    assert is_transient(reason) is transient


@pytest.mark.parametrize(
    ("data", "page"),
    [
        ({"url": "u", "kind": "listing", "page": 3, "backfill": True},
         PendingPage("u", "listing", 3, True)),
        ({"url": "u", "kind": "article"}, PendingPage("u", "article", 1, False)),
        ({"url": "u", "kind": "sitemap"}, None),
        ({"url": 5, "kind": "listing"}, None),
        ({"url": "u", "kind": "listing", "page": "2"}, None),
        ("u", None),
    ],
)  # fmt: skip
def test_pending_pages_from_json(data: object, page: PendingPage | None) -> None:
    assert PendingPage.from_json(data) == page
    if page is not None:
        assert PendingPage.from_json(page.to_json()) == page


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (ArchiveState(complete=True), ""),
        (ArchiveState(complete=True, pending=(ARTICLE,)), ""),
        (ArchiveState(complete=False), "archive incomplete (0 listing pages pending)"),
        (ArchiveState(complete=False, pending=(LISTING, ARTICLE)),
         "archive incomplete (1 listing page pending)"),
        (ArchiveState(complete=True, pending=(LISTING, LISTING)),
         "archive incomplete (2 listing pages pending)"),
    ],
)  # fmt: skip
def test_archive_state_in_words(state: ArchiveState, text: str) -> None:
    assert state.describe() == text
    assert state.incomplete is bool(text)


def test_listing_pages_come_first_in_the_cursor() -> None:
    first = PendingPage("http://s/k21-meldungen/", "listing", 1, True)
    assert ordered([ARTICLE, LISTING, first]) == [first, LISTING, ARTICLE]


# --- crawls of the mirror -------------------------------------------------------------------

SOURCE = "kommune21"


def kn(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "kn_crawl", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def archive(db: Db, source: str = SOURCE) -> ArchiveState | None:
    with db.engine.connect() as conn:
        return archive_states(conn).get(source)


def stored_urls(db: Db) -> set[str]:
    return {url for url, (row, _) in db.articles().items()}


def expected_urls(mirror: Mirror, source: str = SOURCE) -> set[str]:
    return {a.url for a in mirror.expected_articles(source)}


def quellen(db_url: str) -> str:
    """The web UI's sources page."""
    response = create_app(db_url).test_client().get("/quellen")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def interrupt_after(db_url: str, mirror: Mirror, articles: int, sig: signal.Signals) -> None:
    """Start a first crawl of SOURCE (slowed down, storing in batches of 5), and send ``sig``
    to its process group (as a terminal's Ctrl-C does, or a SIGKILL) once the mirror has
    served ``articles`` article pages."""
    db = Db(db_url)
    upgrade(db.engine)
    env = {"KN_DOWNLOAD_DELAY": "0.05", "KN_STORE_BATCH_SIZE": "5"}
    try:
        with background_crawl(db_url, mirror, [SOURCE], env=env) as proc:
            deadline = time.monotonic() + 120
            while article_pages_served(mirror, SOURCE) < articles:
                assert proc.poll() is None, "the crawl ended before it could be interrupted"
                assert time.monotonic() < deadline, "the crawl fetched too few articles"
                time.sleep(0.02)
            os.killpg(proc.pid, sig)
            _, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, err[-3000:]
    finally:
        db.close()


def test_interrupted_first_crawl_is_completed_by_the_next_refresh(db_url: str) -> None:
    with Mirror() as mirror:
        interrupt_after(db_url, mirror, 20, signal.SIGINT)
        db = Db(db_url)
        try:
            state = archive(db)
            assert state is not None and state.complete is False
            assert state.pending_listings > 0
            assert len(stored_urls(db)) < len(expected_urls(mirror))
            assert [r.status for r in db.runs()] == ["interrupted"]
            # `sources` and `health` say so, with the number of listing pages left.
            out = kn(db_url, "sources")
            assert out.returncode == 0, out.stderr
            row = next(x for x in out.stdout.splitlines() if x.startswith(SOURCE))
            assert f"incomplete, {state.pending_listings} pending" in row
            assert (
                f"{SOURCE}: archive incomplete ({state.pending_listings} listing pages pending)"
                in out.stdout
            )
            out = kn(db_url, "health")
            assert f"{SOURCE}: archive incomplete" in out.stdout, out.stdout
            n = state.pending_listings
            assert f"Archiv unvollständig ({n} Listenseiten ausstehend)" in quellen(db_url)
            # A plain refresh continues where the first crawl stopped.
            out = crawl(db_url, mirror, [SOURCE])
            assert out.returncode == 0, out.stderr[-3000:]
            assert stored_urls(db) == expected_urls(mirror)
            state = archive(db)
            assert state is not None
            assert (state.complete, state.pending) == (True, ())
            assert state.completed_at is not None
            out = kn(db_url, "sources")
            row = next(x for x in out.stdout.splitlines() if x.startswith(SOURCE))
            assert " complete " in row and "archive incomplete" not in out.stdout
            assert "Archiv unvollständig" not in quellen(db_url)
        finally:
            db.close()


def test_first_crawl_killed_is_walked_again_from_the_start(tmp_path: Path) -> None:
    """SIGKILL leaves no cursor: the archive stays incomplete, and the next run walks the
    listings from the start again, fetching only the articles not stored yet."""
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with Mirror() as mirror:
        interrupt_after(db_url, mirror, 20, signal.SIGKILL)
        db = Db(db_url)
        try:
            state = archive(db)
            assert state == ArchiveState(
                complete=False, pending=(), completed_at=None, updated_at=state.updated_at
            )
            out = crawl(db_url, mirror, [SOURCE])
            assert out.returncode == 0, out.stderr[-3000:]
            assert stored_urls(db) == expected_urls(mirror)
            state = archive(db)
            assert state is not None and (state.complete, state.pending) == (True, ())
        finally:
            db.close()


def test_a_completed_archive_stays_complete_and_refreshes_stay_cheap(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with Mirror() as mirror:
        out = crawl(db_url, mirror, ["move"])
        assert out.returncode == 0, out.stderr[-3000:]
        db = Db(db_url)
        try:
            state = archive(db, "move")
            assert state is not None and (state.complete, state.pending) == (True, ())
            completed_at = state.completed_at
            mirror.clear_requests()
            out = crawl(db_url, mirror, ["move"])
            assert out.returncode == 0, out.stderr[-3000:]
            # An unchanged site: the feed and the archive, both 304 (robots.txt is cached).
            assert sorted((r.path, r.status) for r in mirror.requests) == [
                ("/k21-meldungen/", 304),
                ("/k21-meldungen/feed", 304),
            ]
            state = archive(db, "move")
            assert state is not None
            assert (state.complete, state.pending, state.completed_at) == (True, (), completed_at)
        finally:
            db.close()


def test_sources_crawled_before_backfill_state_count_as_complete(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with Mirror() as mirror:
        out = crawl(db_url, mirror, ["move"])
        assert out.returncode == 0, out.stderr[-3000:]
        db = Db(db_url)
        try:
            with db.engine.begin() as conn:
                conn.execute(BackfillState.__table__.delete())
            out = crawl(db_url, mirror, ["move"])
            assert out.returncode == 0, out.stderr[-3000:]
            with db.engine.connect() as conn:
                names = conn.execute(select(Source.name)).scalars().all()
            # A hand crawl writes the rows of the sources it crawls only (the schedule-owning
            # processes write the catalogue): one row, not a second one.
            assert names == ["move"]
            state = archive(db, "move")
            assert state is not None and (state.complete, state.pending) == (True, ())
        finally:
            db.close()


def test_health_says_archive_incomplete(engine: Engine) -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    second = PendingPage("http://s/k21-meldungen/page/5/", "listing", 5, True)
    with engine.begin() as conn:
        source_id = conn.execute(
            insert(Source)
            .values(name="move", family="k21", title="move", base_url="http://s/")
            .returning(Source.id)
        ).scalar_one()
        run_id = conn.execute(
            insert(CrawlRun)
            .values(source_id=source_id, started_at=now, status="ok", finish_reason="finished")
            .returning(CrawlRun.id)
        ).scalar_one()
        save_state(
            conn,
            source_id,
            complete=False,
            pending=[ARTICLE, second, LISTING],
            run_id=run_id,
            now=now,
        )
        assert check_runs(conn, (run_id,), now=now) == {"move": "degraded"}
        evidence = conn.execute(select(SourceHealth.evidence)).scalar_one()
    assert [e for e in evidence if e["check"] == "archive"] == [
        {
            "check": "archive",
            "status": "degraded",
            "message": "archive incomplete (2 listing pages pending); the next run continues it",
            "value": 2,
            "baseline": None,
            "sample_url": LISTING.url,
        }
    ]


class FailingPage:
    """A stdlib proxy in front of one mirror site that answers 503 (no Retry-After) for one
    path while ``failing`` is set, and passes everything else through unchanged."""

    def __init__(self, mirror: Mirror, source: str, path: str) -> None:
        self.failing = True
        target = urlsplit(mirror.base_urls[source])
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if proxy.failing and self.path == path:
                    body = b"maintenance"
                    self.send_response(503)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request("GET", self.path, headers=headers)
                answer = conn.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                conn.close()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        # The site's pages link to the proxy, so the crawl stays on it.
        mirror.sites[source].base_url = self.url

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_listing_page_failing_in_the_first_crawl_is_resumed_in_backfill_mode(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with Mirror() as mirror:
        proxy = FailingPage(mirror, "move", "/k21-meldungen/page/2/")
        db = Db(db_url)
        try:
            crawl(db_url, mirror, ["move"], env={"KN_RETRY_TIMES": "0"})
            page_2 = PendingPage(proxy.url + "k21-meldungen/page/2/", "listing", 2, True)
            state = archive(db, "move")
            assert state is not None
            assert (state.complete, state.pending) == (False, (page_2,))
            proxy.failing = False
            mirror.clear_requests()
            out = crawl(db_url, mirror, ["move"])
            assert out.returncode == 0, out.stderr[-3000:]
            # Page 2 is read again, and the archive after it, through known articles.
            archive_pages = sorted(
                r.path for r in mirror.requests if r.path.startswith("/k21-meldungen/page/")
            )
            last = mirror.expected["move"].archive_pages
            assert archive_pages == [f"/k21-meldungen/page/{n}/" for n in range(2, last + 1)]
            assert stored_urls(db) == expected_urls(mirror, "move")
            state = archive(db, "move")
            assert state is not None and (state.complete, state.pending) == (True, ())
        finally:
            db.close()
            proxy.close()


def test_a_listing_page_failing_in_two_runs_stays_pending_until_read(tmp_path: Path) -> None:
    """The page is both in the cursor and among the last run's failures: requested once, it
    stays in the cursor (in backfill mode) for as long as it fails."""
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with Mirror() as mirror:
        proxy = FailingPage(mirror, "move", "/k21-meldungen/page/2/")
        db = Db(db_url)
        try:
            page_2 = PendingPage(proxy.url + "k21-meldungen/page/2/", "listing", 2, True)
            for _ in range(2):
                crawl(db_url, mirror, ["move"], env={"KN_RETRY_TIMES": "0"})
                state = archive(db, "move")
                assert state is not None
                assert (state.complete, state.pending) == (False, (page_2,))
            proxy.failing = False
            out = crawl(db_url, mirror, ["move"])
            assert out.returncode == 0, out.stderr[-3000:]
            assert stored_urls(db) == expected_urls(mirror, "move")
            state = archive(db, "move")
            assert state is not None and (state.complete, state.pending) == (True, ())
        finally:
            db.close()
            proxy.close()


def test_a_backfill_left_on_an_old_origin_is_walked_again(tmp_path: Path) -> None:
    """The base URL changed while the first crawl was incomplete (a site moved, a mirror
    replaced): the cursor's pages on the old origin are not fetched, and the backfill is
    walked again from the first pages on the new one."""
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    with Mirror() as mirror:
        direct = mirror.base_urls["move"]
        proxy = FailingPage(mirror, "move", "/k21-meldungen/page/2/")
        db = Db(db_url)
        try:
            crawl(db_url, mirror, ["move"], env={"KN_RETRY_TIMES": "0"})
            state = archive(db, "move")
            assert state is not None and state.complete is False
            proxy.close()
            mirror.sites["move"].base_url = direct  # the site's pages link its own origin
            mirror.clear_requests()
            out = crawl(db_url, mirror, ["move"])
            assert out.returncode == 0, out.stderr[-3000:]
            archive_pages = sorted(
                r.path for r in mirror.requests if r.path.startswith("/k21-meldungen/page/")
            )
            last = mirror.expected["move"].archive_pages
            assert archive_pages == [f"/k21-meldungen/page/{n}/" for n in range(2, last + 1)]
            # Every article, those of the first run under the old origin's URLs.
            paths = {urlsplit(url).path for url in stored_urls(db)}
            assert paths == {urlsplit(url).path for url in expected_urls(mirror, "move")}
            state = archive(db, "move")
            assert state is not None and (state.complete, state.pending) == (True, ())
            second = db.runs()[-1]
            assert [d.reason for d in db.drops(second.id)] == []
        finally:
            db.close()
