"""Self-service alerts: the web UI's only writes. Subscribe to a search or a Stichwort (double
opt-in by e-mail), confirm, manage (see, pause, change, end) and RFC 8058 one-click
unsubscribe.

These routes write through their own writable engine, one transaction per request; every
other route keeps the read-only engine. Forms only POST; a POST must come from our own pages
(its ``Origin``, else its ``Referer``, is the public URL's origin; cookies are not used at
all, so there is no session to ride), except the one-click unsubscribe, which mail providers
POST from anywhere and which its signed token alone authorises. Writes are rate-limited per
client and per e-mail address (``kn_crawl.alerts.selfservice``).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import escape
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import OperationalError

from kn_crawl.alerts import selfservice
from kn_crawl.alerts.courier import Courier
from kn_crawl.alerts.models import MODES, AlertSubscription
from kn_crawl.alerts.preview import WEB_SCAN_LIMIT, preview
from kn_crawl.alerts.render import describe_subscription, message_domain
from kn_crawl.alerts.subscriptions import (
    SubscriptionError,
    SubscriptionSpec,
    check_email,
    state,
    unsubscribe_with_token,
    validate,
)
from kn_crawl.alerts.tokens import (
    load_secret,
    make_manage_token,
    manage_token_address,
    token_ids,
)
from kn_crawl.alerts.vocabulary import load_vocabulary
from kn_crawl.db.engine import make_engine
from kn_crawl.db.models import table_of
from kn_crawl.settings import ConfigError, Settings
from kn_crawl.web.app import connection
from kn_crawl.web.params import MAX_TEXT

bp = Blueprint("selfservice", __name__)
logger = logging.getLogger(__name__)
subs_t = table_of(AlertSubscription)

WRITER_BUSY_TIMEOUT_MS = 5_000
"""How long a form's write waits for a crawl's write lock (SQLite) before the reader is told
to try again: not the CLI's 30 s, during which a browser looks hung."""

MODE_LABELS = {"immediate": "sofort nach jedem Crawl", "daily": "täglich", "weekly": "wöchentlich"}
STATE_LABELS = {"active": "aktiv", "pending": "wartet auf Bestätigung", "paused": "pausiert"}
DONE = {
    "pause": "Das Abonnement ist pausiert.",
    "resume": "Das Abonnement läuft wieder.",
    "end": "Das Abonnement ist beendet.",
    "change": "Das Abonnement ist geändert.",
}


@bp.after_request
def _referrer(response: Response) -> Response:
    # The app says "no-referrer", with which browsers send ``Origin: null`` on a form POST:
    # the pages with forms send their origin to ourselves (and nothing to anyone else).
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.errorhandler(ConfigError)
def _misconfigured(exc: ConfigError) -> Any:
    # E.g. a too short KN_ALERTS_SECRET: the operator reads the log, the reader a plain page.
    logger.error("self-service alerts unavailable: %s", exc)
    return _refused("Benachrichtigungen sind auf diesem Server gerade nicht eingerichtet.", 503)


@bp.errorhandler(OperationalError)
def _busy(exc: OperationalError) -> Any:
    # A locked or unreachable database: one line for the operator (no SQL, no parameters:
    # they hold addresses and tokens), a German page for the reader, no traceback.
    logger.warning("self-service write not done: %s", str(exc.orig).splitlines()[0][:200])
    return _refused("Der Server ist gerade beschäftigt; bitte in einer Minute erneut.", 503)


def _now() -> datetime:
    return datetime.now(UTC)


def _settings() -> Settings:
    settings = current_app.config.get("KN_SETTINGS")
    if settings is None:
        settings = current_app.config["KN_SETTINGS"] = Settings.from_env()
    assert isinstance(settings, Settings)
    return settings


def _secret() -> bytes:
    return load_secret(_settings())


def _writer() -> Engine:
    """The writable engine, made on the first write (a server nobody subscribes on never
    opens the database for writing)."""
    engine = current_app.config.get("KN_WRITE_ENGINE")
    if engine is None:
        engine = current_app.config["KN_WRITE_ENGINE"] = make_engine(
            current_app.config["KN_DATABASE_URL"]
        )
        if engine.dialect.name == "sqlite":

            @event.listens_for(engine, "connect")
            def _short_wait(dbapi_conn: Any, _record: Any) -> None:
                # Runs after make_engine's own connect hook, whose busy timeout it replaces.
                dbapi_conn.execute(f"PRAGMA busy_timeout={WRITER_BUSY_TIMEOUT_MS}")

    assert isinstance(engine, Engine)
    return engine


def _client() -> str:
    return selfservice.client_key(_secret(), request.remote_addr or "-")


def _field(name: str, default: str = "") -> str:
    value = request.form.get(name, default)
    if "\x00" in value or len(value) > MAX_TEXT:
        abort(400, description=f"Ungültige Anfrage: das Feld {name} ist zu lang oder enthält NUL")
    return value.strip()


def _same_origin() -> None:
    """A form POST must come from a page of ours (CSRF): browsers send ``Origin`` with every
    POST; very old ones only a ``Referer``."""
    public = urlsplit(str(current_app.config["KN_PUBLIC_URL"]))
    sent = request.headers.get("Origin") or request.headers.get("Referer") or ""
    parts = urlsplit(sent)
    if (parts.scheme, parts.netloc) != (public.scheme, public.netloc):
        abort(403, description="Dieses Formular muss von einer Seite dieses Servers kommen.")


def _refused(message: str, status: int = 400) -> Any:
    return render_template("selfservice_message.html", title="Nicht möglich", message=message,
                           error=True), status  # fmt: skip


def _target() -> tuple[str, str]:
    """(``q`` or ``stichwort``, its text) of what is to be subscribed."""
    source = request.form if request.method == "POST" else request.args
    for name in ("stichwort", "q"):
        value = source.get(name, "").strip()
        if value:
            if "\x00" in value or len(value) > MAX_TEXT:
                abort(400, description="Ungültige Anfrage: die Suche ist zu lang")
            return name, value
    abort(400, description="Was soll abonniert werden? Es fehlt eine Suche oder ein Stichwort.")


def _spec(kind: str, value: str, email: str, mode: str) -> SubscriptionSpec:
    if kind == "stichwort":
        return SubscriptionSpec(email=email, tags=(value,), mode=mode)
    return SubscriptionSpec(email=email, queries=(value,), mode=mode)


def _validated(spec: SubscriptionSpec) -> SubscriptionSpec:
    """``validate`` with German messages (its own are the CLI's, in English)."""
    try:
        check_email(spec.email)
    except SubscriptionError:
        raise SubscriptionError(
            "Bitte geben Sie eine E-Mail-Adresse wie name@example.org an."
        ) from None
    if spec.mode not in MODES:
        raise SubscriptionError("Bitte wählen Sie, wie oft Sie benachrichtigt werden möchten.")
    from kn_crawl.sources import source_names

    try:
        # The catalogue's sources: a web form names none, but a subscription made with the
        # CLI and changed here keeps its own, which must still be known.
        return validate(spec, source_names(enabled_only=False), now=_now())
    except SubscriptionError:
        what = "Dieses Stichwort" if spec.tags else "Diese Suche"
        raise SubscriptionError(
            f"{what} lässt sich nicht abonnieren: sie ist ungültig, leer oder fände jede Meldung."
        ) from None


@bp.route("/abonnieren", methods=["GET", "POST"])
def subscribe() -> Any:
    kind, value = _target()
    error = None
    if request.method == "POST":
        _same_origin()
        email = _field("email")
        mode = _field("mode", "immediate")
        try:
            spec = _validated(_spec(kind, value, email, mode))
            done = selfservice.request_subscription(
                _writer(), spec, secret=_secret(), client=_client(),
                public_url=str(current_app.config["KN_PUBLIC_URL"]),
                domain=message_domain(_settings().smtp), now=_now(),
            )  # fmt: skip
        except selfservice.RateLimited as exc:
            return _refused(str(exc), 429)
        except SubscriptionError as exc:
            error = str(exc)
        else:
            # The same answer whether or not the address had this already: the page tells
            # nobody what someone else subscribed.
            if done.subscription_id is not None:
                _nudge_courier()
            return render_template("selfservice_message.html", title="Fast geschafft",
                                   message=f"Wir haben eine E-Mail an {spec.email} geschickt. "
                                   "Bitte bestätigen Sie das Abonnement mit dem Link darin; "
                                   "vorher erhalten Sie keine Benachrichtigungen.")  # fmt: skip
    spec = _spec(kind, value, "", "immediate")
    shown = None
    try:
        # What is subscribed is checked like a subscription is (an address stands in).
        _validated(_spec(kind, value, "jemand@example.org", "immediate"))
    except SubscriptionError as exc:
        error = error or str(exc)
    else:
        with connection() as conn:
            shown = preview(
                conn, spec, load_vocabulary(_settings().tag_aliases_file), now=_now(),
                scan_limit=int(current_app.config.get("KN_PREVIEW_SCAN_LIMIT", WEB_SCAN_LIMIT)),
            )  # fmt: skip
    return render_template(
        "subscribe.html", kind=kind, value=value, preview=shown, error=error,
        modes=MODE_LABELS, email=request.form.get("email", ""),
        mode=request.form.get("mode", "immediate"),
    ), (400 if error else 200)  # fmt: skip


@bp.route("/bestaetigen", methods=["GET", "POST"])
def confirm() -> Any:
    token = (request.form if request.method == "POST" else request.args).get("token", "")
    try:
        if request.method == "GET":
            # A link scanner opening the e-mail's link must not confirm: the page asks.
            reader = current_app.config["KN_ENGINE"]
            row = selfservice.check_confirm_token(reader, _secret(), token, now=_now())
            return render_template("confirm.html", token=token, row=row,
                                   describe=describe_subscription)  # fmt: skip
        _same_origin()
        row = selfservice.confirm(_writer(), _secret(), token, client=_client(), now=_now())
    except selfservice.RateLimited as exc:
        return _refused(str(exc), 429)
    except selfservice.SelfServiceError as exc:
        return _refused(str(exc))
    manage = url_for("selfservice.manage", token=make_manage_token(_secret(), row.email))
    return render_template("selfservice_message.html", title="Abonnement bestätigt",
                           message="Danke! Ab jetzt erhalten Sie Benachrichtigungen: "
                           + describe_subscription(row), manage=manage)  # fmt: skip


def _address(token: str) -> str:
    address = manage_token_address(_secret(), token)
    if address is None:
        abort(403, description="Dieser Link zur Verwaltung ist ungültig.")
    return address


@bp.route("/benachrichtigungen", methods=["GET", "POST"])
def manage() -> Any:
    if request.method == "GET":
        token = request.args.get("token", "")
        address = _address(token)
        with connection() as conn:
            rows = selfservice.subscriptions_of(conn, address)
        return render_template(
            "manage.html", token=token, address=address, rows=rows, state=state,
            states=STATE_LABELS, modes=MODE_LABELS, describe=describe_subscription,
            done=DONE.get(request.args.get("erledigt", "")),
        )  # fmt: skip
    _same_origin()
    token = _field("token")
    address = _address(token)
    action = _field("action")
    raw_id = _field("id")
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 18:
        abort(400, description="Ungültige Anfrage: keine Abonnement-Nummer")
    sub_id = int(raw_id)
    spec = None
    try:
        if action == "change":
            with _writer().connect() as conn:
                row = next((r for r in selfservice.subscriptions_of(conn, address)
                            if r.id == sub_id), None)  # fmt: skip
            if row is None:
                raise selfservice.SelfServiceError("Dieses Abonnement gibt es nicht (mehr).")
            tags = tuple(t.strip() for t in _field("stichwoerter").split(",") if t.strip())
            # Several queries (made with the CLI) are not one query: the form leaves them out
            # and they stay as they are.
            query = _field("suche")
            queries = (query,) if query else ()
            if "suche" not in request.form:
                queries = tuple(row.queries or ())
            spec = _validated(selfservice.spec_of(
                row, tags=tags, queries=queries, mode=_field("mode", row.mode)
            ))  # fmt: skip
        selfservice.manage(_writer(), address, sub_id, action, client=_client(), now=_now(),
                           spec=spec)  # fmt: skip
    except selfservice.RateLimited as exc:
        return _refused(str(exc), 429)
    except (selfservice.SelfServiceError, SubscriptionError) as exc:
        return _refused(str(exc))
    done = redirect(url_for("selfservice.manage", token=token, erledigt=action), code=303)
    # Werkzeug's body says "You should be redirected automatically" (seen by no browser, but
    # by curl and screen readers of raw answers): ours, in German.
    target = escape(done.location)
    done.set_data(
        f'<!doctype html><html lang="de"><title>Weiter</title><p>Weiter zur <a href="{target}">'
        "Verwaltung Ihrer Abonnements</a>.</p>"
    )
    return done


@bp.route("/abbestellen", methods=["GET", "POST"])
def unsubscribe() -> Any:
    """RFC 8058: the e-mail's List-Unsubscribe URL. A POST (the mail client's one-click, or
    the button on the page a GET shows) ends the subscriptions; a GET alone never does,
    since link scanners open every link."""
    token = request.args.get("token") or request.form.get("token") or ""
    if request.method == "GET":
        return render_template("unsubscribe.html", token=token)
    if _is_channel(token):
        # A chat room's or webhook's subscription is the operator's: whoever reads the channel
        # must not end it for everyone (``kn-crawl unsubscribe --token`` still does).
        return _refused(
            "Dieses Abonnement gehört zu einem Kanal (Chat oder Webhook) und lässt sich nur "
            "beim Betreiber abbestellen."
        )
    try:
        ended = unsubscribe_with_token(_writer(), _secret(), token, now=_now())
    except SubscriptionError:
        return _refused("Dieser Abmeldelink ist ungültig, oder das Abonnement gibt es nicht mehr.")
    return render_template(
        "selfservice_message.html",
        title="Abbestellt",
        message=f"Sie erhalten keine Benachrichtigungen mehr "
        f"({len(ended)} Abonnement{'s' if len(ended) != 1 else ''} beendet).",
    )


def _is_channel(token: str) -> bool:
    ids = token_ids(token)
    if not ids:
        return False
    with connection() as conn:
        return (
            conn.execute(
                select(subs_t.c.id).where(subs_t.c.id.in_(ids), subs_t.c.channel.is_not(None))
            ).first()
            is not None
        )


_courier_lock = threading.Lock()


def _nudge_courier() -> None:
    settings = _settings()
    if not settings.smtp.host:
        return  # sent with the next ``kn-crawl alerts send`` (after each crawl)
    with _courier_lock:
        courier = current_app.config.get("KN_COURIER")
        if courier is None:
            courier = current_app.config["KN_COURIER"] = Courier(_writer(), settings)
    courier.nudge()
