"""Operators: ``kn-crawl serve`` on waitress (a real subprocess and HTTP server: no version
banners, ``--public-url`` for absolute links, SIGTERM stops it cleanly) and its Prometheus
``/metrics``, on a database filled by crawling the mirror."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, insert

from kn_crawl.alerts.models import AlertEmail
from kn_crawl.cli import main
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.metrics import DatabaseCollector, MetricsServer, registry_for
from kn_crawl.mirror import Mirror
from kn_crawl.settings import ConfigError, Settings
from kn_crawl.web import create_app
from tests.crawling import REPO, crawl
from tests.test_search import fill

pytestmark = pytest.mark.slow

ARTICLES = {"kommune21": 95, "move": 35, "stadtundwerk": 30}
"""What the mirror crawl of ``tests.crawling.crawl`` stores."""


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A crawled mirror database with four alert e-mails in the outbox."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('ops') / 'kn.sqlite3'}"
    with Mirror() as mirror:
        result = crawl(db_url, mirror)
        assert result.returncode == 0, result.stderr[-2000:]
    engine = make_engine(db_url)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(AlertEmail),
            [
                {"recipient": f"r{i}@example.org", "mode": mode, "status": status,
                 "message_id": f"<{i}@kn>", "due_at": now, "next_attempt_at": now}
                for i, (mode, status) in enumerate([
                    ("immediate", "pending"), ("immediate", "pending"),
                    ("daily", "failed"), ("daily", "sent"),
                ])
            ],
        )  # fmt: skip
    engine.dispose()
    return db_url


METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""What README's Operators section says /metrics answers."""


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def source(name: str) -> tuple[tuple[str, str], ...]:
    return (("source", name),)


@pytest.fixture(scope="module")
def served(crawled: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATABASE_URL"] = crawled
    proc = subprocess.Popen(
        [sys.executable, "-m", "kn_crawl", "serve", "--port", "0", "--threads", "2",
         "--public-url", "https://kn.example.org/kn"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "http://127.0.0.1:" in line, proc.stderr.read() if proc.stderr else line
    yield line.split(" on ", 1)[1].split(" ", 1)[0], proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def test_metrics_after_a_mirror_crawl(served: tuple[str, subprocess.Popen[str]]) -> None:
    url, _ = served
    status, headers, body = get(url + "metrics")
    assert status == 200
    assert headers["Content-Type"] == METRICS_CONTENT_TYPE  # as the README says
    request = urllib.request.Request(
        url + "metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"] == (
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
        )
        assert response.read().decode().endswith("# EOF\n")
    got = samples(body)
    assert got[("kn_crawl_database_up", ())] == 1
    for name, n in ARTICLES.items():
        assert got[("kn_crawl_articles", source(name))] == n
        assert got[("kn_crawl_runs_total", (("source", name), ("status", "ok")))] == 1
        for state in ("healthy", "degraded", "failing", "unknown"):
            key = ("kn_crawl_source_health", (("source", name), ("status", state)))
            assert got[key] == (1 if state == "healthy" else 0)
        assert ("kn_crawl_last_success_timestamp_seconds", source(name)) in got
    drops = {k[1]: v for k, v in got.items() if k[0] == "kn_crawl_dropped_items_total"}
    assert drops == {
        (("reason", "http_404"), ("stage", "fetch")): 1,
        (("reason", "no_date"), ("stage", "validate")): 2,
    }
    outbox = {k[1]: v for k, v in got.items() if k[0] == "kn_crawl_alert_emails"}
    assert outbox == {
        (("mode", "immediate"), ("status", "pending")): 2,
        (("mode", "daily"), ("status", "failed")): 1,
    }
    assert not any(k[0].startswith(("python_", "process_")) for k in got)


def test_last_success_age_is_measured_from_now(crawled: str) -> None:
    engine = make_engine(crawled)
    try:
        plain = samples(generate_latest(registry_for(engine)).decode())
        stamp = plain[("kn_crawl_last_success_timestamp_seconds", source("move"))]
        later = datetime.fromtimestamp(stamp + 3600, UTC)
        collector = DatabaseCollector(engine, now=lambda: later)
        families = {f.name: f for f in collector.collect()}
        ages = {
            s.labels["source"]: s.value
            for s in families["kn_crawl_last_success_age_seconds"].samples
        }
    finally:
        engine.dispose()
    assert round(ages["move"], 3) == 3600.0


def test_a_database_that_does_not_answer_is_a_zero_not_an_error(tmp_path: object) -> None:
    engine = make_engine("sqlite:////nonexistent-kn-folder/kn.sqlite3")
    try:
        text = generate_latest(registry_for(engine)).decode()
    finally:
        engine.dispose()
    assert samples(text) == {("kn_crawl_database_up", ()): 0}


def test_no_version_banners_and_public_url_links(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    url, _ = served
    for path in ("", "nicht-da", "feed.atom?q=OZG", "metrics", "api/articles?q=%22"):
        status, headers, _ = get(url + path)
        assert status in (200, 400, 404)
        lowered = {k.lower(): v for k, v in headers.items()}
        assert "server" not in lowered and "via" not in lowered, (path, headers)
        assert "waitress" not in str(headers).lower() and "werkzeug" not in str(headers).lower()
    status, _, feed = get(url + "feed.atom?q=OZG")
    assert status == 200
    assert (
        '<link rel="self" type="application/atom+xml" href="https://kn.example.org/kn/feed.atom?q=OZG"/>'
        in feed
    )
    status, _, body = get(url + "nicht-da")
    assert status == 404 and "waitress" not in body.lower()


def raw_get(url: str, path: str) -> tuple[int, str, str]:
    """Status, Location and body of one GET, redirects not followed."""
    parts = urllib.request.urlparse(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.getheader("Location") or "", response.read().decode()
    finally:
        conn.close()


def test_a_public_url_with_a_path_is_kept_by_links_forms_and_redirects(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    """``--public-url https://kn.example.org/kn`` behind a proxy mapping ``/kn/`` to ``/``:
    every link, form, stylesheet and redirect carries ``/kn``."""
    url, _ = served
    status, _, start = raw_get(url, "/")
    assert status == 200
    assert '<link rel="stylesheet" href="/kn/static/style.css">' in start
    assert 'action="/kn/"' in start
    hrefs = re.findall(r'href="(/[^"]*)"', start)
    assert hrefs and all(h.startswith("/kn/") for h in hrefs), hrefs
    status, _, form = raw_get(url, "/abonnieren?q=OZG")
    assert status == 200
    assert '<form class="subscribe" method="post" action="/kn/abonnieren">' in form
    assert raw_get(url, "/api")[:2] == (308, "https://kn.example.org/kn/api/")
    status, _, css = raw_get(url, "/static/style.css")
    assert status == 200 and css
    # A proxy that passes the prefix through reaches the same pages.
    assert raw_get(url, "/kn/static/style.css") == (200, "", css)
    assert raw_get(url, "/kn")[0] == 200
    assert raw_get(url, "/kn/api")[:2] == (308, "https://kn.example.org/kn/api/")


def test_sigterm_stops_the_server_cleanly(served: tuple[str, subprocess.Popen[str]]) -> None:
    _, proc = served
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out == "kn-crawl web UI stopped\n"
    assert "Traceback" not in err


def test_bad_public_url_is_one_line(crawled: str) -> None:
    result = CliRunner().invoke(
        main, ["serve", "--public-url", "ftp://x/"], env={"KN_DATABASE_URL": crawled}
    )
    assert result.exit_code == 2
    assert "Error: Invalid value for --public-url: 'ftp://x/' is not an absolute http(s) URL" in (
        result.output
    )


def test_scheduler_metrics_server_on_loopback(crawled: str) -> None:
    """What ``kn-crawl schedule`` starts beside itself when ``KN_METRICS_PORT`` is set."""
    engine = make_engine(crawled)
    try:
        with MetricsServer(engine, 0) as server:
            status, headers, body = get(f"http://127.0.0.1:{server.port}/metrics")
            with pytest.raises(OSError):
                MetricsServer(engine, server.port)  # the port is taken: an error at start
        assert not server.thread.is_alive()
    finally:
        engine.dispose()
    assert status == 200 and "server" not in {k.lower() for k in headers}
    assert headers["Content-Type"] == METRICS_CONTENT_TYPE
    got = samples(body)
    assert {n: got[("kn_crawl_articles", source(n))] for n in ARTICLES} == ARTICLES


@pytest.mark.parametrize(("raw", "port"), [("", 0), ("9464", 9464), (" 0 ", 0)])
def test_metrics_port_setting(raw: str, port: int) -> None:
    assert Settings.from_env({"KN_METRICS_PORT": raw}).metrics_port == port


@pytest.mark.parametrize("raw", ["x", "65536", "-1"])
def test_bad_metrics_port_is_a_config_error(raw: str) -> None:
    with pytest.raises(ConfigError, match="KN_METRICS_PORT"):
        Settings.from_env({"KN_METRICS_PORT": raw})


@pytest.mark.parametrize("via", ["collector", "web"])
def test_metrics_on_both_databases(engine: Engine, db_url: str, via: str) -> None:
    """The collector's queries on SQLite and PostgreSQL (the web app's read-only engine)."""
    fill(engine)
    if via == "collector":
        text = generate_latest(registry_for(engine)).decode()
    else:
        app = create_app(db_url)
        try:
            response = app.test_client().get("/metrics")
            assert response.status_code == 200
            text = response.get_data(as_text=True)
        finally:
            app.config["KN_ENGINE"].dispose()
    got = samples(text)
    assert got[("kn_crawl_database_up", ())] == 1
    assert {k[1]: v for k, v in got.items() if k[0] == "kn_crawl_articles"} == {
        source("kommune21"): 3, source("move"): 1, source("stadtundwerk"): 1,
    }  # fmt: skip
    assert got[("kn_crawl_source_health", (("source", "move"), ("status", "unknown")))] == 1
    assert not [k for k in got if k[0].startswith(("kn_crawl_runs", "kn_crawl_last_success"))]


def test_a_read_is_reused_within_the_cache_period(sqlite_url: str) -> None:
    """A client polling ``/metrics`` does not make the database count again and again."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    fill(engine)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    cached = registry_for(engine, cache_seconds=3600)
    fresh = registry_for(engine, cache_seconds=0)
    key = ("kn_crawl_alert_emails", (("mode", "daily"), ("status", "pending")))
    try:
        assert key not in samples(generate_latest(cached).decode())
        with engine.begin() as conn:
            conn.execute(
                insert(AlertEmail).values(
                    recipient="a@example.org", mode="daily", status="pending",
                    message_id="<x@kn>", due_at=now, next_attempt_at=now,
                )
            )  # fmt: skip
        assert key not in samples(generate_latest(cached).decode())
        assert samples(generate_latest(fresh).decode())[key] == 1
    finally:
        engine.dispose()
