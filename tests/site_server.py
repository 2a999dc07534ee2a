"""A small K21-like site on 127.0.0.1 for crawl tests of what the mirror does not serve
(traps, rate limits, huge robots.txt): the test gives a function from path to answer, and
``crawl_site`` runs ``kn-crawl crawl kommune21`` against it in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from tests.crawling import REPO


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": HTML})


HTML = "text/html; charset=utf-8"
ROBOTS_ALLOW_ALL = Answer(200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})
# The feed shows the first archive article again.
FEED = Answer(
    200,
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Meldungen</title>'
    b"<item><title>Meldung a-1</title><link>/k21-meldungen/a-1/</link>"
    b"<pubDate>Sat, 01 Feb 2025 10:00:00 +0100</pubDate></item></channel></rss>",
    {"Content-Type": "application/rss+xml"},
)
NOT_FOUND = Answer(404, b"<html><body><h1>Nicht gefunden</h1></body></html>")


def listing_page(
    articles: list[str], links: tuple[str, ...] = (), next_url: str | None = None
) -> bytes:
    """A listing with one teaser per article slug, more links, and a next page."""
    teasers = "".join(
        f'<article><h2><a href="/k21-meldungen/{slug}/">Meldung {slug}</a></h2>'
        f"<p>[01.02.2025] Teaser von {slug}.</p></article>"
        for slug in articles
    )
    more = "".join(f'<a href="{href}">{href}</a>' for href in links)
    pager = f'<a rel="next" href="{next_url}">weiter</a>' if next_url else ""
    return (
        f"<html><head><title>Liste</title></head><body><main><h1>Liste</h1>{teasers}{more}"
        f"{pager}</main></body></html>"
    ).encode()


def article_page(
    slug: str,
    *,
    date: str = "01.02.2025",
    extra: str = "",
    head: str = "",
    title: str | None = None,
) -> bytes:
    """An article page: a headline, the date opening the teaser, a paragraph of text,
    ``extra`` after it and ``head`` in its ``<head>``."""
    return (
        f"<html><head><title>{slug}</title>{head}</head><body><main><article>"
        f"<h1>{title or 'Meldung ' + slug}</h1><p>[{date}] Teaser von {slug}.</p>"
        f"<p>Der Text von {slug}.</p>{extra}</article></main></body></html>"
    ).encode()


class SiteServer:
    """Serves ``route(path) -> Answer`` on a free port; ``paths`` lists what was requested."""

    def __init__(self, route: Callable[[str], Answer]) -> None:
        self.route = route
        self.paths: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with server._lock:
                    server.paths.append(self.path)
                answer = server.route(self.path)
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, prefix: str) -> int:
        with self._lock:
            return sum(1 for p in self.paths if p.startswith(prefix))


def crawl_site(
    db_url: str,
    site: SiteServer,
    *,
    env: dict[str, str] | None = None,
    full: bool = False,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``kn-crawl crawl kommune21 --no-hooks`` against ``site`` (the developer's own KN_*
    variables left out)."""
    args = [sys.executable, "-m", "kn_crawl", "crawl", "kommune21", "--no-hooks"]
    args += ["--base-url", f"kommune21={site.base_url}", *(["--full"] if full else [])]
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KN_")},
        "KN_DATABASE_URL": db_url,
        "KN_AUTOTHROTTLE_START_DELAY": "0",
        "KN_DOWNLOAD_TIMEOUT": "10",
        **(env or {}),
    }
    return subprocess.run(
        args, env=full_env, capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
