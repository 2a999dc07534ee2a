"""The read-only web UI: a Flask app over a read-only engine (see ``kn_crawl.search.readonly``).

Templates are Jinja2 with autoescaping; highlighted text is passed as (segment, is_match)
pairs and marked up in the template, so scraped text is never rendered as HTML.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, Response, render_template, request
from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from werkzeug.exceptions import HTTPException

from kn_crawl.dates import BERLIN
from kn_crawl.query import highlight
from kn_crawl.search.readonly import readonly_engine

# No inline scripts anywhere; everything the pages need is served by the app itself.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def create_app(database_url: str, *, engine: Engine | None = None) -> Flask:
    app = Flask(__name__)
    app.config["KN_ENGINE"] = engine or readonly_engine(database_url)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.jinja_env.filters["local"] = _local
    app.jinja_env.globals["highlight"] = highlight

    from kn_crawl.web import api, exports, views

    app.register_blueprint(views.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(api.bp)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.errorhandler(HTTPException)
    def _error(exc: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return {"error": exc.description, "status": exc.code}, exc.code
        return render_template("error.html", error=exc), exc.code

    return app


def connection() -> Connection:
    """A connection for this request (closed by the caller's ``with``)."""
    from flask import current_app

    engine: Engine = current_app.config["KN_ENGINE"]
    return engine.connect()


def _local(value: datetime | None, fmt: str = "%d.%m.%Y") -> str:
    return value.astimezone(BERLIN).strftime(fmt) if value else "–"
