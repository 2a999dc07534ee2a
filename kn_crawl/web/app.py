"""The read-only web UI: a Flask app over a read-only engine (see ``kn_crawl.search.readonly``).

Templates are Jinja2 with autoescaping; highlighted text is passed as (segment, is_match)
pairs and marked up in the template, so scraped text is never rendered as HTML.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, make_response, render_template, request
from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from werkzeug.exceptions import HTTPException

from kn_crawl.dates import BERLIN
from kn_crawl.query import highlight
from kn_crawl.query.german import german
from kn_crawl.search.readonly import readonly_engine
from kn_crawl.settings import Settings
from kn_crawl.web.params import ArticleIdConverter, check_request

# No inline scripts anywhere; everything the pages need is served by the app itself.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000/"
"""``kn-crawl serve``'s default address, for an app made without one (tests, embedding)."""


def create_app(
    database_url: str,
    *,
    engine: Engine | None = None,
    public_url: str = DEFAULT_PUBLIC_URL,
    settings: Settings | None = None,
) -> Flask:
    """The app; ``public_url`` is where readers reach it (``KN_PUBLIC_URL``, else the
    address the server listens on): every absolute link it writes starts with it.
    ``settings`` (else read from the environment on first use) serve the self-service
    alerts, the only part that writes (``kn_crawl.web.selfservice``)."""
    app = Flask(__name__)
    app.config["KN_ENGINE"] = engine or readonly_engine(database_url)
    app.config["KN_DATABASE_URL"] = database_url
    app.config["KN_SETTINGS"] = settings
    app.config["KN_PUBLIC_URL"] = public_url
    app.wsgi_app = PublicOrigin(app.wsgi_app, public_url)  # type: ignore[method-assign]
    app.url_map.converters["id"] = ArticleIdConverter
    app.before_request(check_request)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.jinja_env.filters["local"] = _local
    app.jinja_env.filters["german"] = german  # query errors, see kn_crawl.query.german
    app.jinja_env.globals["highlight"] = highlight

    from kn_crawl.web import api, exports, selfservice, stories, views

    app.register_blueprint(views.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(selfservice.bp)
    app.register_blueprint(stories.bp)
    app.register_blueprint(stories.api)

    from kn_crawl.web import metrics_page

    app.register_blueprint(metrics_page.bp)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.errorhandler(HTTPException)
    def _error(exc: HTTPException) -> Any:
        # Werkzeug's own descriptions are English: the UI and the API say it in German.
        code = exc.code or 500
        description = exc.description
        if not description or description == type(exc).description:
            description = GERMAN_ERRORS.get(code, "Die Anfrage ließ sich nicht bearbeiten.")
        if request.path.startswith("/api/"):
            response = make_response({"error": description, "status": code}, code)
        else:
            response = make_response(
                render_template("error.html", code=code, description=description), code
            )
        allowed = getattr(exc, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(sorted(allowed))
        return response

    return app


GERMAN_ERRORS = {
    400: "Die Anfrage ist ungültig.",
    403: "Zugriff verweigert.",
    404: "Diese Seite gibt es nicht.",
    405: "Diese Methode ist für diese Adresse nicht erlaubt.",
    406: "Diese Antwortform gibt es hier nicht.",
    408: "Die Anfrage hat zu lange gedauert.",
    413: "Die Anfrage ist zu groß.",
    414: "Die Adresse ist zu lang.",
    415: "Diese Art von Daten nimmt der Server nicht an.",
    429: "Zu viele Anfragen; bitte später erneut.",
    500: "Ein interner Fehler ist aufgetreten.",
    503: "Der Dienst ist gerade nicht verfügbar; bitte später erneut.",
}
"""What an error page says when the code gave no description of its own."""


class PublicOrigin:
    """WSGI middleware: every request is taken as addressed to the configured public origin.

    Werkzeug builds absolute URLs (``url_for(_external=True)``, ``request.host_url``, the
    Location of its trailing-slash redirects) from the request's ``Host`` header, which the
    client chooses: a forged one would put an attacker's host into feeds and redirects.
    Here the header is replaced before Flask sees it.

    A public URL with a path (``https://example.org/kn/``, a reverse proxy mapping ``/kn/``
    to the app) becomes the WSGI ``SCRIPT_NAME``: ``url_for``, the static files and every
    redirect then carry ``/kn``. A proxy that passes the prefix through (``/kn/api/`` rather
    than ``/api/``) is served too: the prefix is taken off the path before routing."""

    def __init__(self, app: Any, public_url: str) -> None:
        parts = urlsplit(public_url)
        self.app = app
        self.scheme = parts.scheme
        self.host = parts.netloc
        self.prefix = parts.path.rstrip("/")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ["HTTP_HOST"] = self.host
        environ["wsgi.url_scheme"] = self.scheme
        environ.pop("HTTP_X_FORWARDED_HOST", None)
        if self.prefix:
            path = environ.get("PATH_INFO", "")
            if path == self.prefix or path.startswith(self.prefix + "/"):
                path = path[len(self.prefix) :] or "/"
            environ["PATH_INFO"] = path
            environ["SCRIPT_NAME"] = self.prefix
        return self.app(environ, start_response)


def absolute_url(path: str) -> str:
    """``path`` (from ``url_for``) as an absolute URL under the public URL, which may have
    a path of its own behind a reverse proxy (``https://example.org/kn/``)."""
    from flask import current_app, has_request_context

    # url_for already starts with the public URL's path (``SCRIPT_NAME``, see PublicOrigin).
    root = request.script_root if has_request_context() else ""
    if root and (path == root or path.startswith(root + "/")):
        path = path[len(root) :]
    return str(current_app.config["KN_PUBLIC_URL"]) + path.lstrip("/")


def connection() -> Connection:
    """A connection for this request (closed by the caller's ``with``)."""
    from flask import current_app

    engine: Engine = current_app.config["KN_ENGINE"]
    return engine.connect()


def _local(value: datetime | None, fmt: str = "%d.%m.%Y") -> str:
    return value.astimezone(BERLIN).strftime(fmt) if value else "–"
