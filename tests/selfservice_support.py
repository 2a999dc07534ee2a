"""Shared by the self-service alert tests: the web app on a real HTTP server (Werkzeug, in a
thread, on 127.0.0.1) over a database with articles stored like crawls store them."""

from __future__ import annotations

import datetime as dt
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from werkzeug.serving import make_server

from kn_crawl.alerts.delivery import send_due
from kn_crawl.alerts.matching import MatchResult, match
from kn_crawl.alerts.vocabulary import load_vocabulary
from kn_crawl.settings import Settings
from kn_crawl.web.app import create_app
from tests.alerts_support import Desk, item, settings_for

UTC = dt.UTC
SECRET = "test-secret-0123456789abcdef"


@dataclass
class Site:
    url: str
    settings: Settings
    engine: Engine
    desk: Desk
    app: Any = None

    def match(self) -> MatchResult:
        return match(
            self.engine, now=dt.datetime.now(UTC), vocabulary=load_vocabulary(None),
        )  # fmt: skip

    def send(self) -> int:
        return send_due(self.engine, self.settings, now=dt.datetime.now(UTC)).sent


@contextmanager
def web_site(
    engine: Engine, db_url: str, data_dir: Path, smtp_env: dict[str, str]
) -> Iterator[Site]:
    """The app on ``http://127.0.0.1:<port>/``; its public URL is that address, and the
    sender's ``KN_PUBLIC_URL`` too (links in alert e-mails)."""
    server = make_server("127.0.0.1", 0, None, threaded=True)  # type: ignore[arg-type]
    url = f"http://127.0.0.1:{server.port}/"
    settings = settings_for(
        db_url, data_dir, KN_ALERTS_SECRET=SECRET, KN_PUBLIC_URL=url,
        KN_SMTP_FROM="kn-crawl <alerts@example.org>", **smtp_env,
    )  # fmt: skip
    app = create_app(db_url, public_url=url, settings=settings)
    server.app = app  # type: ignore[assignment]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(url, settings, engine, Desk(engine), app)
    finally:
        server.shutdown()
        server.server_close()
        app.config["KN_ENGINE"].dispose()
        if app.config.get("KN_WRITE_ENGINE") is not None:
            app.config["KN_WRITE_ENGINE"].dispose()


def backfill_and_news(site: Site, now: dt.datetime) -> None:
    """A first crawl (backfill, never alerted) with two OZG articles from the last 30 days
    and one older; then nothing new."""
    site.desk.crawl("kommune21", [
        item("kommune21", "OZG-Umsetzung in Hessen", ["OZG"], published=now - dt.timedelta(days=2)),
        item("kommune21", "Onlinezugangsgesetz: Bilanz", ["Onlinezugangsgesetz"],
             published=now - dt.timedelta(days=10)),
        item("kommune21", "OZG im Rückblick", ["OZG"], published=now - dt.timedelta(days=60)),
        item("kommune21", "Breitband in Bayern", ["Breitband"],
             published=now - dt.timedelta(days=3)),
    ], now=now - dt.timedelta(days=1))  # fmt: skip


@dataclass
class Answer:
    status: int
    url: str
    body: str
    headers: dict[str, str]


def http(
    url: str, *, data: dict[str, str] | str | None = None, origin: str | None = None
) -> Answer:
    """GET, or POST ``data`` (a form, or a raw body) with an ``Origin`` header if given."""
    body = None
    headers = {}
    if data is not None:
        body = (data if isinstance(data, str) else urllib.parse.urlencode(data)).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if origin:
        headers["Origin"] = origin
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(
                response.status, response.url, response.read().decode(), dict(response.headers)
            )
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, url, exc.read().decode(), dict(exc.headers))


def link(text: str, path: str) -> str:
    """The first ``http…/<path>?token=…`` link in an e-mail's text."""
    found = re.search(rf"(https?://\S+/{path}\?token=[A-Za-z0-9._%-]+)", text)
    assert found, text
    return found.group(1)
