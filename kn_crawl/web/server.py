"""Running the web app: a threaded WSGI server from Werkzeug (Flask's own), in the foreground."""

from __future__ import annotations

import ipaddress
import re
import socket

import click
from werkzeug.serving import WSGIRequestHandler, make_server

from kn_crawl.web.app import create_app


def run(
    database_url: str, *, host: str = "127.0.0.1", port: int = 8000, public_url: str | None = None
) -> None:
    """Serve until Ctrl-C. Absolute links start with ``public_url`` (``KN_PUBLIC_URL``), or
    else with the address bound here — never with what a request's ``Host`` header says."""
    # Bind first ourselves: a port in use is then our OSError (one line from the CLI), not
    # Werkzeug's multi-line message and exit.
    sock = socket.create_server((host, port))
    bound_port = sock.getsockname()[1]
    app = create_app(database_url, public_url=public_url or bound_url(host, bound_port))
    server = make_server(
        host, port, app, threaded=True, fd=sock.fileno(), request_handler=MaskingRequestHandler
    )
    # Printed first and flushed: tests and scripts read the URL (port 0 picks a free port).
    click.echo(f"kn-crawl web UI on http://{host}:{server.port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sock.close()
        app.config["KN_ENGINE"].dispose()
        if app.config.get("KN_WRITE_ENGINE") is not None:
            app.config["KN_WRITE_ENGINE"].dispose()


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


_TOKEN = re.compile(r"(token=)[^&\s]*")


class MaskingRequestHandler(WSGIRequestHandler):
    """The access log without the signed tokens of the self-service links (confirm, manage,
    unsubscribe): whoever reads the log must not be able to act for the recipients."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path
        self.path = _TOKEN.sub(r"\1***", path)
        try:
            super().log_request(code, size)
        finally:
            self.path = path
