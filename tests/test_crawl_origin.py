"""The origin policy in real crawls: a source stores only pages of its own origin.

The mirror serves the three sites on three ports of 127.0.0.1: three origins on one machine.
move is served here from a port of its own, in front of the mirror's move site, with the faults
the mirror cannot produce: a 302 (and a chain of two) to the kommune21 port, a meta refresh
there, redirects to the cloud metadata address and to 10.0.0.1, a rel=next and a feed entry on
kommune21, and a canonical URL naming a kommune21 article. kommune21 is crawled first, so a
page of move that re-keyed itself onto a kommune21 article would show there.

No request may leave 127.0.0.0/8: the crawl runs with a proxy on 127.0.0.1 for everything but
127.0.0.1 — a trap that answers 502 and records the request — so a refused target that was
fetched anyway is seen by the test and never reaches the network.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import insert

from kn_crawl.db.models import DroppedItem, table_of
from kn_crawl.mirror import Mirror
from tests.crawling import Db, crawl

Rewrite = Callable[[bytes], bytes]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    front: Front


class _FrontHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        front = self.server.front
        front.record(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path in front.answers:
            status, extra, body = front.answers[self.path]
        else:
            rewrite = front.rewrites.get(self.path)
            if rewrite is not None:
                # A rewritten page is a new page: no 304 for the mirror's validators.
                headers = {k: v for k, v in headers.items() if not k.startswith("if-")}
            answer = front.app.handle(self.path, headers)
            status, body = answer.status, answer.body
            extra = [(k, v) for k, v in answer.headers if rewrite is None or k == "Content-Type"]
            if rewrite is not None and status == 200:
                body = rewrite(body)
        self.send_response(status)
        for name, value in extra:
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Front:
    """A mirror site served from a port of its own, with fixed answers (``answers``: path →
    status, headers, body) and rewritten pages (``rewrites``: path → function of the body)."""

    def __init__(self, mirror: Mirror, source: str) -> None:
        self.app = mirror.sites[source]
        self.answers: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.rewrites: dict[str, Rewrite] = {}
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), _FrontHandler)
        self.server.front = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        # The site's pages now link to this port: it is the site's origin.
        self.app.base_url = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def record(self, path: str) -> None:
        with self._lock:
            self.paths.append(path)

    def path(self, url: str) -> str:
        assert url.startswith(self.url)
        return "/" + url[len(self.url) :]

    def redirect(self, url: str, location: str, status: int = 302) -> None:
        self.answers[self.path(url)] = (status, [("Location", location)], b"")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _TrapHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: Any

    def _trap(self) -> None:
        self.server.trapped.append(self.requestline)
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = do_POST = do_CONNECT = _trap

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Hostile:
    mirror: Mirror
    front: Front
    db: Db
    trapped: list[str]
    kommune21_before: dict[str, tuple[Any, ...]]
    kommune21_requests: list[Any]
    runs: list[Any]
    faults: dict[str, str]
    targets: dict[str, str]
    outputs: list[Any]


def _head_link(rel: str, href: str) -> Rewrite:
    def rewrite(body: bytes) -> bytes:
        return body.replace(b"</head>", f'<link rel="{rel}" href="{href}">\n</head>'.encode(), 1)

    return rewrite


def _canonical_to(own: str, other: str) -> Rewrite:
    def rewrite(body: bytes) -> bytes:
        for attr in ('link rel="canonical" href', 'meta property="og:url" content'):
            old = f'<{attr}="{own}"'.encode()
            assert old in body
            body = body.replace(old, f'<{attr}="{other}"'.encode())
        return body

    return rewrite


def _feed(replace: dict[str, str], extra_item: str | None = None) -> Rewrite:
    def rewrite(body: bytes) -> bytes:
        for own, other in replace.items():
            old = f"<link>{own}</link>".encode()
            assert old in body
            body = body.replace(old, f"<link>{other}</link>".encode())
        if extra_item is not None:
            item = (
                f"<item><title>Alte Meldung</title><link>{extra_item}</link>"
                "<pubDate>Mon, 02 Dec 2024 09:00:00 +0100</pubDate></item>\n</channel>"
            )
            body = body.replace(b"</channel>", item.encode())
        return body

    return rewrite


def _kommune21_rows(db: Db) -> dict[str, tuple[Any, ...]]:
    return {
        url: (row.source_id, row.title, row.teaser, row.body, row.content_hash, row.updated_at)
        for url, (row, _) in db.articles().items()
        if row.source_id == 1
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('origin') / 'kn.sqlite3'}"
    trap = ThreadingHTTPServer(("127.0.0.1", 0), _TrapHandler)
    trap.daemon_threads = True
    trapped: list[str] = []
    trap.trapped = trapped  # type: ignore[attr-defined]
    threading.Thread(target=trap.serve_forever, daemon=True).start()
    proxy = f"http://127.0.0.1:{trap.server_address[1]}"
    env = {
        **{name: proxy for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")},
        "no_proxy": "127.0.0.1",
        "NO_PROXY": "127.0.0.1",
    }
    with Mirror() as mirror:
        db = Db(db_url)
        outputs = [crawl(db_url, mirror, ["kommune21"], env=env)]
        kommune21_before = _kommune21_rows(db)
        mirror.clear_requests()

        front = Front(mirror, "move")
        move = [a.url for a in mirror.expected_articles("move")]
        k21 = mirror.article_urls("kommune21")
        faults = {
            "redirect": move[1],
            "chain": move[3],
            "meta_refresh": move[5],
            "metadata": move[7],
            "private": move[9],
            "canonical": move[11],
            "feed_entry": move[0],
        }
        targets = {
            "redirect": k21[0],
            "chain": k21[1],
            "meta_refresh": k21[2],
            "metadata": "http://169.254.169.254/latest/meta-data/",
            "private": "http://10.0.0.1/",
            "canonical": k21[3],
            "feed_entry": k21[4],
            "next": mirror.base_urls["kommune21"] + "k21-meldungen/page/2/",
            "legacy": k21[5],
        }
        front.redirect(faults["redirect"], targets["redirect"])
        front.redirect(faults["chain"], front.url + "umgezogen/")  # a hop on the origin first
        front.answers["/umgezogen/"] = (301, [("Location", targets["chain"])], b"")
        refresh = f'<meta http-equiv="refresh" content="0; url={targets["meta_refresh"]}">'
        front.answers[front.path(faults["meta_refresh"])] = (
            200,
            [("Content-Type", "text/html; charset=utf-8")],
            f"<!DOCTYPE html><html><head>{refresh}</head><body></body></html>".encode(),
        )
        front.redirect(faults["metadata"], targets["metadata"])
        front.redirect(faults["private"], targets["private"], status=307)
        front.rewrites[front.path(faults["canonical"])] = _canonical_to(
            faults["canonical"], targets["canonical"]
        )
        front.rewrites["/"] = _head_link("next", targets["next"])
        feed_path = "/k21-meldungen/feed"
        front.rewrites[feed_path] = _feed({faults["feed_entry"]: targets["feed_entry"]})
        outputs.append(crawl(db_url, mirror, ["move"], env=env))

        # A refresh: an unknown old link in the feed is resolved by the spider itself
        # (dont_redirect, Location read in resolve_legacy), to the kommune21 port.
        faults["legacy"] = front.url + "meldung_99999"
        front.redirect(faults["legacy"], targets["legacy"], status=301)
        front.rewrites[feed_path] = _feed(
            {faults["feed_entry"]: targets["feed_entry"]}, extra_item=faults["legacy"]
        )
        # And a page to retry from the last run, stored under another scheme (https on the
        # same host and port): the spider's link rules are scheme-blind, the policy is not.
        faults["retry"] = front.url.replace("http://", "https://") + "k21-meldungen/x/"
        first_move_run = db.runs()[1]
        with db.engine.begin() as conn:
            conn.execute(
                insert(table_of(DroppedItem)).values(
                    run_id=first_move_run.id,
                    source_id=first_move_run.source_id,
                    url=faults["retry"],
                    stage="fetch",
                    reason="http_500",
                )
            )
        outputs.append(crawl(db_url, mirror, ["move"], env=env))
        kommune21_requests = mirror.requests
        yield Hostile(
            mirror,
            front,
            db,
            trapped,
            kommune21_before,
            kommune21_requests,
            db.runs(),
            faults,
            targets,
            outputs,
        )
        front.close()
        db.close()
    trap.shutdown()
    trap.server_close()


ORIGIN_REASONS = {
    "offsite_redirect",
    "offsite_meta_refresh",
    "offsite_next",
    "offsite_canonical",
    "offsite_feed_entry",
    "offsite_request",
    "private_address",
}


def _origin_drops(h: Hostile, run: int) -> list[tuple[str, str, str]]:
    return sorted(
        (d.url, d.stage, d.reason) for d in h.db.drops(h.runs[run].id) if d.reason in ORIGIN_REASONS
    )


def test_the_crawls_complete(hostile: Hostile) -> None:
    for out in hostile.outputs:
        assert out.returncode == 0, out.stderr[-3000:]
        assert "Traceback" not in out.stderr
    assert [(r.source, r.status) for r in hostile.runs] == [
        ("kommune21", "ok"),
        ("move", "ok"),
        ("move", "ok"),
    ]


def test_each_refusal_is_recorded_with_its_reason(hostile: Hostile) -> None:
    f, t = hostile.faults, hostile.targets
    assert _origin_drops(hostile, 1) == sorted(
        [
            (f["redirect"], "fetch", "offsite_redirect"),
            (f["chain"], "fetch", "offsite_redirect"),
            (f["meta_refresh"], "fetch", "offsite_meta_refresh"),
            (f["metadata"], "fetch", "private_address"),
            (f["private"], "fetch", "private_address"),
            (f["canonical"], "parse", "offsite_canonical"),
            (t["feed_entry"], "parse", "offsite_feed_entry"),
            (t["next"], "parse", "offsite_next"),
        ]
    )
    details = {d.url: d.detail for d in hostile.db.drops(hostile.runs[1].id)}
    assert details[f["chain"]] == (
        f"{f['chain']} redirected (301) to {t['chain']}: "
        f"{t['chain'].split('/k21')[0]} is not the source's ({hostile.front.url.rstrip('/')})"
    )
    assert details[f["metadata"]] == (
        f"{f['metadata']} redirected (302) to {t['metadata']}: "
        "a private or special address, not a host of the source"
    )


def test_the_spiders_own_redirect_reading_and_retries_are_checked_too(hostile: Hostile) -> None:
    legacy = (hostile.faults["legacy"], "fetch", "offsite_redirect")
    retry = (hostile.faults["retry"], "fetch", "offsite_request")
    refresh = set(_origin_drops(hostile, 2))
    assert {legacy, retry} <= refresh
    # The rest: refused pages of the first run that the refresh's listings showed again.
    assert refresh - {legacy, retry} <= set(_origin_drops(hostile, 1))
    [detail] = [d.detail for d in hostile.db.drops(hostile.runs[2].id) if d.url == legacy[0]]
    assert detail == (
        f"{legacy[0]} redirected (301) to {hostile.targets['legacy']}: "
        f"{hostile.mirror.base_urls['kommune21'].rstrip('/')} is not the source's "
        f"({hostile.front.url.rstrip('/')})"
    )


def test_refused_targets_are_never_contacted(hostile: Hostile) -> None:
    # Not the kommune21 port (not even its robots.txt), and nothing beyond 127.0.0.1.
    assert hostile.kommune21_requests == []
    assert hostile.trapped == []


def test_only_the_sources_own_pages_are_stored_under_it(hostile: Hostile) -> None:
    f = hostile.faults
    refused = {f[k] for k in ("redirect", "chain", "meta_refresh", "metadata", "private")}
    expected = {a.url: a.title for a in hostile.mirror.expected_articles("move")}
    stored = {
        url: row.title for url, (row, _) in hostile.db.articles().items() if row.source_id == 2
    }
    assert stored == {url: title for url, title in expected.items() if url not in refused}
    assert all(url.startswith(hostile.front.url) for url in stored)


def test_a_canonical_url_on_another_origin_is_ignored(hostile: Hostile) -> None:
    """The page is stored under its fetched URL, with its own content; the kommune21 article
    its canonical named is untouched."""
    url = hostile.faults["canonical"]
    row, _ = hostile.db.articles()[url]
    assert row.source_id == 2
    title = next(a.title for a in hostile.mirror.expected_articles("move") if a.url == url)
    assert row.title == title


def test_the_other_sources_articles_are_unchanged(hostile: Hostile) -> None:
    expected = {a.url: a.title for a in hostile.mirror.expected_articles("kommune21")}
    assert {url: row[1] for url, row in hostile.kommune21_before.items()} == expected
    assert _kommune21_rows(hostile.db) == hostile.kommune21_before
    kommune21_ids = {row.id for row, _ in hostile.db.articles().values() if row.source_id == 1}
    base = hostile.mirror.base_urls["kommune21"]
    aliases = [u for u, article in hostile.db.url_aliases().items() if article in kommune21_ids]
    assert len(aliases) >= len(expected)
    assert [u for u in aliases if not u.startswith(base)] == []
