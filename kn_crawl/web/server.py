"""Running the web app: a threaded WSGI server from Werkzeug (Flask's own), in the foreground."""

from __future__ import annotations

import socket

import click
from werkzeug.serving import make_server

from kn_crawl.web.app import create_app


def run(database_url: str, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    # Bind first ourselves: a port in use is then our OSError (one line from the CLI), not
    # Werkzeug's multi-line message and exit.
    sock = socket.create_server((host, port))
    app = create_app(database_url)
    server = make_server(host, port, app, threaded=True, fd=sock.fileno())
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
