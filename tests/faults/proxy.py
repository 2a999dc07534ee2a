"""A fault-injecting HTTP proxy in front of one mirror site, on 127.0.0.1.

The crawler is pointed at the proxy; the mirror site is told that the proxy is its base URL
(``SiteApp.base_url``), so every link, canonical URL and redirect the mirror renders names the
proxy, and the mirror's ground truth (``Mirror.article_urls``) is in the proxy's URLs too. Each
request is forwarded to the mirror unless a rule answers it: a rule sees the request (path,
how many times this path was asked for, a way to fetch the mirror's own answer) and returns a
:class:`Reply` — a rewritten page, a redirect, an error, a cut or stalled connection.

The proxy never connects anywhere but the mirror: a redirect "to 169.254.169.254" is only a
``Location`` header it emits.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from kn_crawl.mirror import Mirror


@dataclass(slots=True)
class Reply:
    """What the proxy sends back."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    cut_after: int | None = None
    """Send this many bytes of the body, then drop the connection (Content-Length stays)."""
    stall: float = 0.0
    """Seconds to wait before the status line (a hanging server)."""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def with_body(self, body: bytes, content_type: str | None = None) -> Reply:
        """The same answer with another body (validators dropped: the bytes changed)."""
        skip = {"content-length", "etag", "last-modified", "content-encoding"}
        if content_type is not None:
            skip.add("content-type")
        headers = [(k, v) for k, v in self.headers if k.lower() not in skip]
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        return Reply(self.status, headers, body)


@dataclass(slots=True)
class Ask:
    """One request as a rule sees it."""

    path: str
    """Raw path with query, e.g. ``/k21-meldungen/page/2/``."""
    nth: int
    """1 for the first request of this path (every method), 2 for the second, …"""
    total: int
    """1 for the first request the proxy received, …"""
    headers: dict[str, str]
    upstream: Callable[[], Reply]
    """The mirror's own answer to this request."""


Rule = Callable[[Ask], Reply | None]
"""None: forward the request unchanged."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    timeout = 30
    server: _ProxyServer

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, *, send_body: bool) -> None:
        proxy = self.server.proxy
        headers = {name.lower(): value for name, value in self.headers.items()}
        ask = proxy.ask(self.path, headers, self.command)
        reply = proxy.answer(ask)
        # A hung server: nothing is sent; the client gives up first (or the proxy stops).
        if reply.stall and proxy.stopping.wait(reply.stall):
            return
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status not in (204, 304):
            self.send_header("Content-Length", str(len(reply.body)))
        if reply.cut_after is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if not send_body or reply.status in (204, 304):
            return
        if reply.cut_after is None:
            self.wfile.write(reply.body)
            return
        self.wfile.write(reply.body[: reply.cut_after])
        self.wfile.flush()
        # An abortive close (RST) after part of the body: the connection "drops".
        self.connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is FaultProxy.paths


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], proxy: FaultProxy) -> None:
        super().__init__(address, _Handler)
        self.proxy = proxy
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

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up (a timeout, a cancelled download) is part of the game

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class FaultProxy:
    """Serves one mirror site through ``rules`` on its own loopback port.

    ``tripwire`` (path predicate, limit): when more than ``limit`` requests matched, the proxy
    sets :attr:`tripped` — the crawler went on without a bound — so the test can stop the crawl
    at once instead of waiting for a trap to run dry.
    """

    def __init__(
        self,
        mirror: Mirror,
        source: str,
        rules: Sequence[Rule] = (),
        *,
        tripwire: tuple[Callable[[str], bool], int] | None = None,
    ) -> None:
        self.mirror = mirror
        self.source = source
        self.rules = list(rules)
        self.tripwire = tripwire
        self.tripped = threading.Event()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._seen: Counter[str] = Counter()
        self._paths: list[tuple[str, str, int]] = []
        self._total = 0
        self._wire = 0
        self._server: _ProxyServer | None = None
        self._thread: threading.Thread | None = None
        self._upstream: tuple[str, int] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        upstream = urlsplit(self.mirror.base_urls[self.source])
        assert upstream.hostname and upstream.port
        self._upstream = (upstream.hostname, upstream.port)
        self._server = _ProxyServer(("127.0.0.1", 0), self)
        port = self._server.server_address[1]
        # From now on the mirror renders (and reports as ground truth) the proxy's URLs.
        self.mirror.sites[self.source].base_url = f"http://127.0.0.1:{port}/"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"fault-proxy-{self.source}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def close_port(self) -> None:
        """Stop listening (a dead server: connections are refused), keeping the port's URL."""
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()

    def reopen(self) -> None:
        """Listen again on the same port after :meth:`close_port`."""
        assert self._server is not None
        port = self._server.server_address[1]
        self._server = _ProxyServer(("127.0.0.1", port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"fault-proxy-{self.source}",
            daemon=True,
        )
        self._thread.start()

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

    @property
    def base_url(self) -> str:
        return self.mirror.base_urls[self.source]

    # -- requests --------------------------------------------------------------------------

    def ask(self, path: str, headers: dict[str, str], method: str) -> Ask:
        with self._lock:
            self._seen[path] += 1
            self._total += 1
            nth, total = self._seen[path], self._total
            self._paths.append((method, path, total))
            if self.tripwire is not None and self.tripwire[0](path):
                self._wire += 1
                if self._wire > self.tripwire[1]:
                    self.tripped.set()
        return Ask(path, nth, total, headers, lambda: self.fetch(path, headers, method))

    def answer(self, ask: Ask) -> Reply:
        for rule in self.rules:
            reply = rule(ask)
            if reply is not None:
                return reply
        return ask.upstream()

    def fetch(self, path: str, headers: dict[str, str], method: str = "GET") -> Reply:
        """The mirror's answer, headers and all (compressed bodies are not asked for)."""
        assert self._upstream is not None
        conn = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            sent = {
                k: v
                for k, v in headers.items()
                if k in ("if-none-match", "if-modified-since", "user-agent", "accept")
            }
            conn.request(method, path, headers=sent)
            response = conn.getresponse()
            body = response.read()
            kept = [
                (k, v)
                for k, v in response.getheaders()
                if k.lower() not in ("content-length", "connection", "date", "server")
            ]
            return Reply(response.status, kept, body)
        finally:
            conn.close()

    @property
    def paths(self) -> list[str]:
        """Every path asked for so far, in order."""
        with self._lock:
            return [path for _, path, _ in self._paths]

    def count(self, path: str) -> int:
        with self._lock:
            return self._seen[path]


def wait_or_trip(proc: Any, proxy: FaultProxy | None, timeout: float) -> str | None:
    """Wait for a crawl subprocess; if the proxy's tripwire fires first (or ``timeout`` passes,
    a safety net), kill the crawl's process group. Returns why it was stopped, or None."""
    stopped: str | None = None
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if proxy is not None and proxy.tripped.wait(0.2):
            stopped = "tripwire: the crawl kept requesting past the bound"
        elif proxy is None:
            time.sleep(0.2)
        if stopped is None and time.monotonic() > deadline:
            stopped = f"timeout: the crawl ran longer than {timeout:.0f} s"
        if stopped is not None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
    return stopped
