"""Running the web app on waitress, a production WSGI server (pure Python, threads, no
C extension), in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import ipaddress
import signal
import socket
from types import FrameType
from typing import Any

import click
from waitress.server import create_server

from kn_crawl.web.app import create_app

DEFAULT_THREADS = 8


def run(
    database_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    public_url: str | None = None,
    threads: int = DEFAULT_THREADS,
    trusted_proxy: str | None = None,
) -> None:
    """Serve until Ctrl-C or SIGTERM. Absolute links start with ``public_url``
    (``--public-url``/``KN_PUBLIC_URL``), or else with the address bound here — never with
    what a request's ``Host`` header says."""
    # Bind first ourselves: a port in use is then our OSError (one line from the CLI).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family)
    bound_port = sock.getsockname()[1]
    app = create_app(database_url, public_url=public_url or bound_url(host, bound_port))
    proxy: dict[str, Any] = {}
    if trusted_proxy:
        proxy = {
            "trusted_proxy": trusted_proxy,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for"},
        }
    server = create_server(
        app,
        sockets=[sock],
        threads=threads,
        ident="",  # no "Server: waitress" banner
        expose_tracebacks=False,
        # The app decides its own origin (PublicOrigin); proxy headers are not trusted, except
        # the client address a configured proxy (KN_TRUSTED_PROXY) forwards: the self-service
        # rate limits must see readers, not the proxy.
        clear_untrusted_proxy_headers=True,
        **proxy,
    )
    # Printed first and flushed: tests and scripts read the URL (port 0 picks a free port).
    click.echo(f"kn-crawl web UI on http://{host}:{bound_port}/ (Ctrl-C stops)")
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.task_dispatcher.shutdown()
        server.close()
        sock.close()
        app.config["KN_ENGINE"].dispose()
        if app.config.get("KN_WRITE_ENGINE") is not None:
            app.config["KN_WRITE_ENGINE"].dispose()
    click.echo("kn-crawl web UI stopped")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (``systemctl stop``, ``docker stop``) ends the server like Ctrl-C."""
    raise KeyboardInterrupt


def bound_url(host: str, port: int) -> str:
    """The URL of the address the server listens on. A wildcard address (``0.0.0.0``,
    ``::``) is no address to link to: the machine's own name stands for it."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host}:{port}/"
    if address.is_unspecified:
        return f"http://{socket.getfqdn()}:{port}/"
    return f"http://[{host}]:{port}/" if address.version == 6 else f"http://{host}:{port}/"
