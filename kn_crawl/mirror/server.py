"""HTTP transport for the mirror: one stdlib threading server per site, the ``Mirror`` facade
used by tests and the CLI, and the blocking :func:`serve`."""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from kn_crawl.mirror.app import SiteApp
from kn_crawl.mirror.generate import generate, site_counts
from kn_crawl.mirror.model import SOURCES, ExpectedArticle, ExpectedCounts, RequestRecord
from kn_crawl.mirror.sites import SITES
from kn_crawl.mirror.zoo import ZOO_SOURCES, ZooApp, build_site


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries Content-Length
    server_version = "Apache"
    sys_version = ""
    # Buffer the response so headers and body leave in one write, and skip Nagle: otherwise a
    # keep-alive client waits on delayed ACKs (~40 ms per request).
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections are closed after a minute
    server: _SiteServer

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, *, send_body: bool) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.server.app.handle(self.path, headers)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if send_body and response.status != 304:
            self.wfile.write(response.body)
        conditional = "if-none-match" in headers or "if-modified-since" in headers
        self.server.record(
            RequestRecord(
                source=self.server.app.spec.source,
                method=self.command,
                path=self.path,
                status=response.status,
                conditional=conditional,
                bytes=len(response.body) if send_body else 0,
            )
        )

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is Mirror.requests


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        app: SiteApp | ZooApp,
        record: Callable[[RequestRecord], None],
    ) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.record = record
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)


class Mirror:
    """The three K21 sites on 127.0.0.1, one port each, and with ``zoo=True`` the eleven zoo
    sites after them (:mod:`kn_crawl.mirror.zoo`).

    ``size`` is the number of article records over all three K21 sites (kommune21 60 %, move
    22 %, stadt+werk 18 %); ``None`` is the default 98/35/30. ``zoo_sizes`` overrides the
    article count of single zoo sites. Same sizes and ``seed`` give byte-identical pages (for
    the same base URLs).
    """

    def __init__(
        self,
        size: int | None = None,
        *,
        host: str = "127.0.0.1",
        ports: dict[str, int] | None = None,
        seed: int = 21,
        record_requests: bool = True,
        zoo: bool = False,
        zoo_sizes: dict[str, int] | None = None,
    ) -> None:
        self.host = host
        self.seed = seed
        self.sources: tuple[str, ...] = SOURCES + (ZOO_SOURCES if zoo else ())
        """Every served site, in port order."""
        self._ports = {s: (ports or {}).get(s, 0) for s in self.sources}
        counts = site_counts(size)
        self.sites: dict[str, SiteApp] = {
            s: SiteApp(SITES[s], generate(SITES[s], counts[s], seed), seed=seed) for s in SOURCES
        }
        self.zoo: dict[str, ZooApp] = {
            s: ZooApp(build_site(s, (zoo_sizes or {}).get(s), seed)) for s in self.sources[3:]
        }
        for source, port in self._ports.items():
            if port:
                self._app(source).base_url = f"http://{host}:{port}/"
        self._record_requests = record_requests
        self._requests: list[RequestRecord] = []
        self._requests_lock = threading.Lock()
        self._servers: dict[str, _SiteServer] = {}
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._servers:
            return
        for source in self.sources:
            app = self._app(source)
            server = _SiteServer((self.host, self._ports[source]), app, self._record)
            self._servers[source] = server
            app.base_url = f"http://{self.host}:{server.server_address[1]}/"
            app.reset_flaky()
        for source, server in self._servers.items():
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"mirror-{source}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.close_connections()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- data ------------------------------------------------------------------------------

    def _k21(self, source: str) -> SiteApp:
        if source in self.zoo:
            raise ValueError(f"{source}: zoo sites are fixed (edit and publish are K21 only)")
        return self.sites[source]

    def _app(self, source: str) -> SiteApp | ZooApp:
        return self.sites[source] if source in self.sites else self.zoo[source]

    @property
    def base_urls(self) -> dict[str, str]:
        if not self._servers and not all(self._ports.values()):
            raise RuntimeError("base URLs of ephemeral ports are known after start()")
        return {s: self._app(s).base_url for s in self.sources}

    @property
    def expected(self) -> dict[str, ExpectedCounts]:
        return {s: self._app(s).expected() for s in self.sources}

    def article_urls(self, source: str) -> list[str]:
        """Canonical new-style URLs of all storable articles, newest first."""
        self.base_urls  # noqa: B018 - raises before start() on ephemeral ports
        return self._app(source).article_urls()

    def expected_articles(self, source: str) -> list[ExpectedArticle]:
        """Ground truth per storable article (visible text, without soft hyphens)."""
        self.base_urls  # noqa: B018
        return self._app(source).expected_articles()

    def zoo_entries(self) -> dict[str, dict[str, Any]]:
        """Catalogue keys for every zoo site at its base URL here (see
        :func:`kn_crawl.mirror.zoo.zoo_entries`)."""
        from kn_crawl.mirror.zoo import zoo_entries

        return zoo_entries(self.base_urls)

    # -- mutations -------------------------------------------------------------------------

    def edit_article(
        self,
        source: str,
        url_or_slug: str,
        *,
        title: str | None = None,
        teaser: str | None = None,
        body: str | None = None,
        tags: list[str] | None = None,
    ) -> None:
        """Change an article; page, listings and feed change together (new ETags). ``body``
        is plain text, paragraphs separated by blank lines."""
        self._k21(source).edit(url_or_slug, title=title, teaser=teaser, body=body, tags=tags)

    def publish(self, source: str, n: int = 1) -> list[str]:
        """Add ``n`` articles dated after the newest; returns their URLs (newest last)."""
        return self._k21(source).publish(n)

    def set_fault(self, source: str, fault: str | None) -> None:
        """``no_dates``, ``empty_listings``, ``robots_500``, ``unavailable`` (every request
        503) or ``None`` to restore; zoo sites know ``unavailable`` only."""
        self._app(source).set_fault(fault)

    # -- request log -----------------------------------------------------------------------

    def _record(self, record: RequestRecord) -> None:
        if self._record_requests:
            with self._requests_lock:
                self._requests.append(record)

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request served so far."""
        with self._requests_lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._requests_lock:
            self._requests.clear()


def serve(
    size: int | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: int = 21,
    out: Callable[[str], None] = print,
    zoo: bool = True,
) -> None:
    """Run the mirror until SIGINT/SIGTERM. Site i (K21 sites, then the zoo) listens on
    ``port + i`` (0: ephemeral)."""
    ports = mirror_ports(port, zoo=zoo)
    mirror = Mirror(size, host=host, ports=ports, seed=seed, record_requests=False, zoo=zoo)
    stopped = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
    with mirror:
        for source, url in mirror.base_urls.items():
            out(f"{source} {url}")
        sys.stdout.flush()
        stopped.wait()


def mirror_ports(first: int, *, zoo: bool = True) -> dict[str, int]:
    """Contiguous ports from ``first`` in the mirror's site order (all 0 for ``first == 0``)."""
    sources = SOURCES + (ZOO_SOURCES if zoo else ())
    return {s: (first + i if first else 0) for i, s in enumerate(sources)}
