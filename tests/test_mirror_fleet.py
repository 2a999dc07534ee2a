"""The fleet mirror (:mod:`kn_crawl.mirror.fleet`) over real HTTP on several loopback
addresses: addressing, routing by path prefix, the shared robots.txt, conditional requests,
the delay, the request log and its in-flight count, the catalogue it writes, and a real crawl
of it that stores exactly its ground truth and refreshes with 304s only."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from sqlalchemy import select

from kn_crawl.batch.plan import host_of
from kn_crawl.catalog.load import BUNDLED_FILE, load_files
from kn_crawl.db.engine import make_engine
from kn_crawl.db.models import Article, Source
from kn_crawl.mirror.fleet import ROBOTS, Fleet, FleetRequest, max_in_flight

REPO = Path(__file__).resolve().parent.parent


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path or "/", headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    with Fleet(sources=7, per_address=3, articles=4, delay=0.01) as served:
        yield served


def test_sources_are_spread_over_addresses_several_per_address(fleet: Fleet) -> None:
    assert fleet.names == tuple(f"fleet{i:04d}" for i in range(1, 8))
    assert fleet.addresses == ("127.0.0.2", "127.0.0.3", "127.0.0.4")
    assert [fleet.address_of[n] for n in fleet.names] == [
        "127.0.0.2", "127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3", "127.0.0.3",
        "127.0.0.4",
    ]  # fmt: skip
    # One server per address: its sources share the port; the web host is the address.
    ports = {urlsplit(u).port for n, u in fleet.base_urls.items() if n <= "fleet0003"}
    assert len(ports) == 1
    for name, url in fleet.base_urls.items():
        assert url.endswith(f"/{name}/")
        assert host_of(url) == fleet.host_of(name) == fleet.address_of[name]


def test_addresses_go_on_past_254() -> None:
    fleet = Fleet(sources=6, per_address=2, first_address=253)
    assert fleet.addresses == ("127.0.0.253", "127.0.1.1", "127.0.1.2")


def test_deterministic_and_distinct_sources() -> None:
    one, two = Fleet(sources=3, articles=5), Fleet(sources=3, articles=5)
    with one, two:
        paths = [
            [urlsplit(a.url).path for a in f.expected_articles(n)] for f in (one, two)
            for n in f.names
        ]  # fmt: skip
        assert paths[:3] == paths[3:]
        bodies = [a.body for n in one.names for a in one.expected_articles(n)]
    assert [len(p) for p in paths[:3]] == [5, 5, 5]
    # Every source its own articles (two towns may still use one headline, as real ones do).
    assert len(set(bodies)) == 15


def test_robots_is_the_address_s_and_conditional(fleet: Fleet) -> None:
    base = fleet.base_urls["fleet0004"]
    status, headers, body = get(base.split("/fleet0004/")[0] + "/robots.txt")
    assert (status, body.decode()) == (200, ROBOTS)
    status, _, body = get(
        base.split("/fleet0004/")[0] + "/robots.txt", {"If-None-Match": headers["etag"]}
    )
    assert (status, body) == (304, b"")


def test_feed_and_listing_show_the_ground_truth(fleet: Fleet) -> None:
    name = "fleet0005"
    base = fleet.base_urls[name]
    expected = fleet.expected_urls(name)
    status, headers, body = get(base + "feed/")
    assert status == 200
    assert headers["content-type"].startswith("application/rss+xml")
    assert [e.link for e in feedparser.parse(body).entries] == expected
    status, _, body = get(base)
    assert status == 200
    for url in expected:
        assert f'href="{url}"' in body.decode()
    for url in expected:
        status, headers, page = get(url)
        assert status == 200
        assert "last-modified" in headers
        assert f'<link rel="canonical" href="{url}" />' in page.decode()


@pytest.mark.parametrize("page", ["feed/", "", "article"])
def test_unchanged_pages_answer_304(fleet: Fleet, page: str) -> None:
    base = fleet.base_urls["fleet0001"]
    url = fleet.expected_urls("fleet0001")[0] if page == "article" else base + page
    _, headers, _ = get(url)
    assert get(url, {"If-None-Match": headers["etag"]})[0] == 304
    assert get(url, {"If-Modified-Since": headers["last-modified"]})[0] == 304


def test_other_addresses_prefixes_are_unknown(fleet: Fleet) -> None:
    # fleet0004 lives on 127.0.0.3, not on 127.0.0.2.
    other = fleet.base_urls["fleet0001"].replace("/fleet0001/", "/fleet0004/")
    assert get(other + "feed/")[0] == 404
    assert get(other.replace("/fleet0004/", "/nothing/"))[0] == 404


def test_request_log_and_delay(fleet: Fleet) -> None:
    fleet.clear_requests()
    url = fleet.base_urls["fleet0007"] + "feed/"
    get(url)
    get(url.replace("/fleet0007/", "/robots.txt").removesuffix("feed/"))
    first, second = fleet.requests
    assert (first.address, first.path, first.source, first.status, first.conditional) == (
        "127.0.0.4", "/fleet0007/feed/", "fleet0007", 200, False,
    )  # fmt: skip
    assert (second.path, second.source) == ("/robots.txt", None)
    assert first.end - first.start >= 0.01  # every answer waits the delay
    assert first.end <= second.start


def _r(address: str, start: float, end: float, source: str | None = "s") -> FleetRequest:
    return FleetRequest(address, "/", source, 200, False, start, end)


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([], {}),
        ([(0, 1)], {"a": 1}),
        ([(0, 1), (1, 2)], {"a": 1}),  # one ends as the next starts: never two at once
        ([(0, 2), (1, 3)], {"a": 2}),
        ([(0, 10), (1, 2), (3, 4), (5, 6)], {"a": 2}),
        ([(0, 10), (1, 9), (2, 8), (8.5, 9.5)], {"a": 3}),
        ([(0, 1), (0, 1), (0, 1)], {"a": 3}),
    ],
)
def test_max_in_flight_table(intervals: list[tuple[float, float]], expected: dict) -> None:
    assert max_in_flight([_r("a", s, e) for s, e in intervals]) == expected


def test_max_in_flight_per_address_and_per_source() -> None:
    log = [
        _r("a", 0, 2, "s1"), _r("a", 1, 3, "s2"), _r("b", 0, 5, "s3"), _r("b", 4, 6, "s3"),
        _r("a", 0, 9, None),  # robots.txt: counts for the address, belongs to no source
    ]  # fmt: skip
    assert max_in_flight(log) == {"a": 3, "b": 2}
    assert max_in_flight(log, "source") == {"s1": 1, "s2": 1, "s3": 2}


def test_catalog_names_every_source_and_disables_the_bundled(fleet: Fleet, tmp_path: Path) -> None:
    path = fleet.write_catalog(tmp_path / "kn-sources.toml", schedule="30m")
    catalog = load_files((BUNDLED_FILE, path))
    enabled = {n: e for n, e in catalog.items() if e.enabled}
    assert sorted(enabled) == list(fleet.names)
    for name, entry in enabled.items():
        assert entry.base_url == fleet.base_urls[name]
        assert entry.family == "wordpress"
        assert entry.feed_urls == (fleet.base_urls[name] + "feed/",)
        assert entry.schedule == "30m"
    few = load_files((BUNDLED_FILE, fleet.write_catalog(tmp_path / "b.toml", names=["fleet0002"])))
    assert [n for n, e in few.items() if e.enabled] == ["fleet0002"]


@pytest.mark.slow
def test_a_crawl_stores_the_ground_truth_and_refreshes_with_304s(tmp_path: Path) -> None:
    with Fleet(sources=4, per_address=2, articles=3, delay=0.005) as fleet:
        catalog = fleet.write_catalog(tmp_path / "kn-sources.toml")
        db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")} | {
            "KN_DATABASE_URL": db_url,
            "KN_DATA_DIR": str(tmp_path),
            "KN_SOURCES_FILE": str(catalog),
            "KN_AUTOTHROTTLE_START_DELAY": "0",
        }
        args = [sys.executable, "-m", "kn_crawl", "crawl", "--no-hooks"]
        first = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=180)
        assert first.returncode == 0, first.stderr[-2000:]
        engine = make_engine(db_url)
        with engine.connect() as conn:
            rows = conn.execute(
                select(Source.name, Article.url).join(Article, Article.source_id == Source.id)
            ).all()
        engine.dispose()
        stored: dict[str, list[str]] = {}
        for name, url in rows:
            stored.setdefault(name, []).append(url)
        assert {n: sorted(u) for n, u in stored.items()} == {
            n: sorted(u) for n, u in fleet.ground_truth().items()
        }
        assert max(fleet.max_in_flight("source").values()) <= 2  # KN_CONCURRENT_PER_SITE

        fleet.clear_requests()
        again = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=180)
        assert again.returncode == 0, again.stderr[-2000:]
        pages = sorted((r.path, r.status, r.conditional) for r in fleet.requests
                       if r.path != "/robots.txt")  # fmt: skip
        assert pages == sorted(
            (f"/{n}{suffix}", 304, True) for n in fleet.names for suffix in ("/", "/feed/")
        )
