"""Self-service alerts over HTTP: subscribe with double opt-in, the confirmation e-mail through
the outbox and a real SMTP server, confirm, the manage link in the alert e-mail, pause and
end, RFC 8058 one-click unsubscribe, CSRF and rate limits. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select

from kn_crawl.alerts import selfservice
from kn_crawl.alerts.delivery import send_due
from kn_crawl.alerts.models import AlertEmail, AlertOutbox, AlertSubscription
from kn_crawl.alerts.subscriptions import SubscriptionSpec, subscribe, unsubscribe, validate
from kn_crawl.alerts.tokens import (
    confirm_token_parts,
    confirm_token_valid,
    load_secret,
    make_confirm_token,
    make_manage_token,
    make_token,
    manage_token_address,
)
from kn_crawl.alerts.web_models import WebWrite
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import table_of
from tests.alerts_support import SmtpServer, item, settings_for, wait_for
from tests.selfservice_support import SECRET, backfill_and_news, http, link, web_site

subs_t = table_of(AlertSubscription)
emails_t = table_of(AlertEmail)
outbox_t = table_of(AlertOutbox)
writes_t = table_of(WebWrite)
UTC = dt.UTC


def _subs(engine: Engine) -> list[tuple[str, str, bool, bool, bool]]:
    """(email, origin, active, confirmed, paused) of every subscription."""
    with engine.connect() as conn:
        return [
            (r.email, r.origin, r.active, r.confirmed_at is not None, r.paused_at is not None)
            for r in conn.execute(select(subs_t).order_by(subs_t.c.id))
        ]


def test_subscribe_confirm_alert_manage_and_end(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    now = dt.datetime.now(UTC)
    with SmtpServer() as smtp, web_site(engine, db_url, tmp_path, smtp.env()) as site:
        backfill_and_news(site, now)
        assert site.match().queued == 0  # the backfill is held back

        # The search offers the subscription; the form previews the last 30 days.
        page = http(site.url + "?q=OZG")
        assert 'href="/abonnieren?q=OZG"' in page.body
        form = http(site.url + "abonnieren?q=OZG")
        assert form.status == 200
        assert "1 Meldung vom " in html.unescape(form.body)
        assert "OZG-Umsetzung in Hessen" in form.body and "OZG im Rückblick" not in form.body
        tag_form = http(site.url + "abonnieren?stichwort=OZG")
        # Stichwort synonyms as alerts have them: OZG is also Onlinezugangsgesetz.
        assert "2 Meldungen vom " in html.unescape(tag_form.body)

        # CSRF: a POST from another origin, or with none, writes nothing.
        data = {"q": "OZG", "email": "Anna@Example.org", "mode": "immediate"}
        assert http(site.url + "abonnieren", data=data).status == 403
        assert http(site.url + "abonnieren", data=data, origin="http://evil.example").status == 403
        assert _subs(engine) == []

        sent = http(site.url + "abonnieren", data=data, origin=site.url.rstrip("/"))
        assert sent.status == 200 and "Fast geschafft" in sent.body
        assert _subs(engine) == [("Anna@Example.org", "web", True, False, False)]

        # The confirmation goes through the outbox and SMTP, sent at once by the web process.
        wait_for(lambda: len(smtp.recorder.to("anna@example.org")) == 1)
        assert site.send() == 0
        (confirmation,) = smtp.recorder.to("anna@example.org")
        assert confirmation.message["Subject"] == "kn-crawl: Bitte bestätigen Sie Ihr Abonnement"
        assert confirmation.message["List-Unsubscribe"] is None
        confirm_url = link(confirmation.text, "bestaetigen")
        assert confirm_url in confirmation.html

        # Pending: news is not sent.
        site.desk.crawl("kommune21", [item("kommune21", "OZG-Dashboard startet", ["OZG"],
                                           published=now)], now=now)  # fmt: skip
        assert site.match().queued == 0

        # Opening the link (a scanner would) does not confirm; the button does.
        opened = http(confirm_url)
        assert opened.status == 200 and "Abonnement bestätigen" in opened.body
        assert _subs(engine)[0][3] is False
        token = confirm_url.split("token=")[1]
        done = http(site.url + "bestaetigen", data={"token": token}, origin=site.url.rstrip("/"))
        assert done.status == 200 and "Abonnement bestätigt" in done.body
        assert _subs(engine) == [("Anna@Example.org", "web", True, True, False)]
        forged = http(site.url + "bestaetigen", data={"token": token[:-2] + "AA"},
                      origin=site.url.rstrip("/"))  # fmt: skip
        assert forged.status == 400 and "ungültig" in forged.body

        # Confirmed: the next news is alerted, with the manage and one-click links.
        site.desk.crawl("kommune21", [item("kommune21", "OZG 2.0 beschlossen", ["OZG"],
                                           published=now)], now=now)  # fmt: skip
        assert site.match().queued == 1
        assert site.send() == 1
        alert = smtp.recorder.to("anna@example.org")[-1]
        assert "*OZG* 2.0 beschlossen" in alert.text
        manage_url = link(alert.text, "benachrichtigungen")
        assert f'href="{html.escape(manage_url)}"' in alert.html
        one_click = link(alert.text, "abbestellen")
        assert alert.message["List-Unsubscribe"].strip() == f"<{one_click}>"
        assert alert.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        # Manage: pause (nothing matched while paused), resume, change, end.
        managed = http(manage_url)
        assert managed.status == 200 and 'data-state="active"' in managed.body
        mtoken = manage_url.split("token=")[1]
        origin = site.url.rstrip("/")
        (sub_id,) = [r.id for r in _rows(engine)]
        act = {"token": mtoken, "id": str(sub_id)}
        paused = http(
            site.url + "benachrichtigungen", data=act | {"action": "pause"}, origin=origin
        )
        assert paused.status == 200 and "Das Abonnement ist pausiert." in paused.body
        assert _subs(engine)[0][4] is True
        site.desk.crawl("kommune21", [item("kommune21", "OZG-Report", ["OZG"], published=now)],
                        now=now)  # fmt: skip
        assert site.match().queued == 0
        http(site.url + "benachrichtigungen", data=act | {"action": "resume"}, origin=origin)
        changed = http(site.url + "benachrichtigungen", data={
            "token": mtoken, "id": str(sub_id), "action": "change", "stichwoerter": "Breitband",
            "suche": "", "mode": "daily"}, origin=origin)  # fmt: skip
        assert "Das Abonnement ist geändert." in changed.body
        (row,) = _rows(engine)
        assert (row.tags, row.queries, row.mode, row.paused_at) == (
            ["Breitband"],
            [],
            "daily",
            None,
        )
        # Another address's token cannot touch it.
        other = http(site.url + "benachrichtigungen",
                     data={"token": mtoken[:-3] + "abc", "id": str(sub_id), "action": "end"},
                     origin=origin)  # fmt: skip
        assert other.status == 403 and _subs(engine)[0][2] is True
        ended = http(site.url + "benachrichtigungen", data=act | {"action": "end"}, origin=origin)
        assert "Das Abonnement ist beendet." in ended.body and "Keine Abonnements" in ended.body
        assert _subs(engine) == [("Anna@Example.org", "web", False, True, False)]


def _rows(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(conn.execute(select(subs_t).order_by(subs_t.c.id)).all())


def _confirmed(site: object, engine: Engine, smtp: SmtpServer, address: str, q: str) -> None:
    from tests.selfservice_support import Site

    assert isinstance(site, Site)
    origin = site.url.rstrip("/")
    http(site.url + "abonnieren", data={"q": q, "email": address, "mode": "immediate"},
         origin=origin)  # fmt: skip
    wait_for(lambda: len(smtp.recorder.to(address)) == 1)
    token = link(smtp.recorder.to(address)[-1].text, "bestaetigen").split("token=")[1]
    http(site.url + "bestaetigen", data={"token": token}, origin=origin)


def test_one_click_unsubscribe_rfc8058(engine: Engine, db_url: str, tmp_path: Path) -> None:
    now = dt.datetime.now(UTC)
    with SmtpServer() as smtp, web_site(engine, db_url, tmp_path, smtp.env()) as site:
        backfill_and_news(site, now)
        site.match()
        _confirmed(site, engine, smtp, "bert@example.org", "Breitband")
        site.desk.crawl("kommune21", [item("kommune21", "Breitband für alle", ["Breitband"],
                                           published=now)], now=now)  # fmt: skip
        site.match()
        site.send()
        alert = smtp.recorder.to("bert@example.org")[-1]
        url = alert.message["List-Unsubscribe"].strip().strip("<>")
        # A GET (a link scanner) only asks.
        asked = http(url)
        assert asked.status == 200 and "wirklich abbestellen" in asked.body
        assert _subs(engine)[0][2] is True
        # The mail provider's POST: no Origin, no cookie, just the RFC 8058 body.
        done = http(url, data="List-Unsubscribe=One-Click")
        assert done.status == 200 and "1 Abonnement beendet" in done.body
        assert _subs(engine)[0][2] is False
        assert http(url[:-2] + "AA", data="List-Unsubscribe=One-Click").status == 400


def test_rate_limits_per_address_and_per_client(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with SmtpServer() as smtp, web_site(engine, db_url, tmp_path, smtp.env()) as site:
        origin = site.url.rstrip("/")
        answers = [
            http(site.url + "abonnieren", data={"q": f"Thema{i}", "email": "carla@example.org",
                                                "mode": "daily"}, origin=origin).status
            for i in range(5)
        ]  # fmt: skip
        # Three confirmation e-mails per address and hour, whoever asks.
        assert answers == [200, 200, 200, 429, 429]
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(emails_t)).scalar_one() == 3
        # Thirty writes per client and hour, whatever the addresses (refused ones write
        # nothing, and count for nothing).
        more = [
            http(site.url + "abonnieren", data={"q": "OZG", "email": f"p{i}@example.org",
                                                "mode": "daily"}, origin=origin).status
            for i in range(29)
        ]  # fmt: skip
        assert more.count(200) == 27 and more[-2:] == [429, 429]
        assert len(_subs(engine)) == 30
        with engine.connect() as conn:
            clients = set(conn.execute(select(writes_t.c.client)).scalars())
        assert len(clients) == 1 and "127.0.0.1" not in next(iter(clients))


def test_bad_input_is_a_german_message(engine: Engine, db_url: str, tmp_path: Path) -> None:
    with SmtpServer() as smtp, web_site(engine, db_url, tmp_path, smtp.env()) as site:
        origin = site.url.rstrip("/")
        everything = http(site.url + "abonnieren?q=" + "-foo")
        assert everything.status == 400 and "fände jede Meldung" in html.unescape(everything.body)
        bad = {"q": "OZG", "email": "anna@", "mode": "daily"}
        bad_mail = http(site.url + "abonnieren", data=bad, origin=origin)
        assert bad_mail.status == 400
        assert "Bitte geben Sie eine E-Mail-Adresse" in html.unescape(bad_mail.body)
        assert http(site.url + "abonnieren").status == 400
        assert http(site.url + "benachrichtigungen?token=abc.def").status == 403
        assert http(site.url + "bestaetigen?token=1.2.x").status == 400
        assert _subs(engine) == []


def test_tokens_are_bound_to_their_purpose_address_and_expiry() -> None:
    secret = b"k" * 32
    confirm = make_confirm_token(secret, 7, "Anna@Example.org", 1_900_000_000)
    assert confirm_token_parts(confirm) == (7, 1_900_000_000)
    assert confirm_token_valid(secret, confirm, "anna@example.org")
    assert not confirm_token_valid(secret, confirm, "bert@example.org")
    assert not confirm_token_valid(b"x" * 32, confirm, "anna@example.org")
    # A later expiry or another id invalidates the signature.
    assert not confirm_token_valid(secret, confirm.replace(".1900000000.", ".1999999999."),
                                   "anna@example.org")  # fmt: skip
    assert not confirm_token_valid(secret, "8" + confirm[1:], "anna@example.org")
    manage = make_manage_token(secret, " Anna@Example.org ")
    assert manage_token_address(secret, manage) == "anna@example.org"
    assert manage_token_address(b"x" * 32, manage) is None
    forged = make_manage_token(secret, "bert@example.org")[:-1] + "A"
    assert manage_token_address(secret, forged) is None
    # The unsubscribe token of the same address is no manage token, and the other way round.
    assert manage_token_address(secret, make_token(secret, [1], "anna@example.org")) is None
    assert not confirm_token_valid(secret, manage, "anna@example.org")
    for junk in ("", "x", "..", "a.b.c.d", "\x00", "é.é"):
        assert manage_token_address(secret, junk) is None and confirm_token_parts(junk) is None


def test_an_expired_link_and_a_confirmation_no_longer_needed(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    now = dt.datetime.now(UTC)
    # No SMTP server for the web process: the confirmation waits in the outbox.
    with web_site(engine, db_url, tmp_path, {}) as site:
        origin = site.url.rstrip("/")
        data = {"q": "OZG", "email": "ella@example.org", "mode": "weekly"}
        assert http(site.url + "abonnieren", data=data, origin=origin).status == 200
        with engine.connect() as conn:
            (entry,) = conn.execute(select(outbox_t)).all()
        token = link(entry.reasons[0]["url"], "bestaetigen").split("token=")[1]
        secret = load_secret(site.settings)  # the environment's, else the data folder's
        later = now + dt.timedelta(days=8)
        try:
            selfservice.check_confirm_token(engine, secret, token, now=later)
        except selfservice.SelfServiceError as exc:
            assert "abgelaufen" in str(exc)
        else:
            raise AssertionError("an expired link confirmed")
        # Ended before its confirmation went out: nothing is sent, and nothing stays queued.
        (sub_id,) = [r.id for r in _rows(engine)]
        assert unsubscribe(engine, [sub_id], now=now) == 1
    with SmtpServer() as smtp:
        settings = settings_for(db_url, tmp_path, KN_ALERTS_SECRET=SECRET, **smtp.env())
        assert send_due(engine, settings, now=dt.datetime.now(UTC)).sent == 0
        assert smtp.recorder.delivered == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(emails_t)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(outbox_t)).scalar_one() == 0


def test_serve_keeps_the_tokens_out_of_its_output(sqlite_url: str, tmp_path: Path) -> None:
    """waitress keeps no access log; whatever serve prints must still not carry a token."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env |= {"KN_DATABASE_URL": sqlite_url, "KN_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kn_crawl", "serve", "--port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split(" on ", 1)[1].split(" ", 1)[0]
        assert http(url + "abbestellen?token=1.SecretPartOfTheToken1&x=1").status == 200
        assert http(url + "benachrichtigungen?token=bWFpbA.SecretPartOfTheToken2").status == 403
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert "SecretPart" not in out + err


def test_hostile_form_posts_are_refused_without_a_5xx(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with web_site(engine, db_url, tmp_path, {}) as site:
        origin = site.url.rstrip("/")
        values = ["\x00", "x" * 5000, "", " ", "\r\nBcc: x@example.org", "'; DROP TABLE x; --",
                  "😀", "1" * 40, "-1", "1.2.3", "a@b.c\nX: y"]  # fmt: skip
        accepted = 0
        for i, value in enumerate(values):
            for path, data in [
                ("abonnieren", {"q": "OZG", "email": value, "mode": "daily"}),
                ("abonnieren", {"stichwort": "OZG", "email": "a@example.org", "mode": value}),
                ("bestaetigen", {"token": value}),
                ("benachrichtigungen", {"token": value, "id": "1", "action": "end"}),
                ("benachrichtigungen", {"token": "x.y", "id": value, "action": value}),
                ("abbestellen", {"token": value}),
            ]:
                answer = http(site.url + path, data=data, origin=origin)
                assert answer.status in (400, 403), (path, data, answer.status)
                assert 'lang="de"' in answer.body
            # A query with odd characters may be a fine query; it is never a server error.
            data = {"q": value, "email": f"a{i}@example.org", "mode": "daily"}
            answer = http(site.url + "abonnieren", data=data, origin=origin)
            assert answer.status in (200, 400), (value, answer.status)
            accepted += answer.status == 200
        # A raw body that is not a form at all.
        assert http(site.url + "abonnieren", data="{}", origin=origin).status == 400
        with engine.connect() as conn:
            queries = [r.queries for r in conn.execute(select(subs_t).order_by(subs_t.c.id))]
        # Stored normalised: one line each, no NUL, nothing overlong; the rest were refused.
        assert len(queries) == accepted and ["Bcc: x@example.org"] in queries
        assert all(len(q) == 1 and q[0] == " ".join(q[0].split()) for q in queries)
        assert not any("\x00" in q[0] or len(q[0]) > 2000 for q in queries)


def test_manage_a_cli_subscription_keeps_its_several_queries(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    now = dt.datetime.now(UTC)
    spec = SubscriptionSpec(email="Finn@example.org", tags=("OZG",), queries=("Glasfaser", "5G"))
    made = subscribe(engine, validate(spec, (), now=now), now=now)
    with web_site(engine, db_url, tmp_path, {}) as site:
        token = make_manage_token(load_secret(site.settings), "finn@example.org")
        page = http(site.url + "benachrichtigungen?token=" + token)
        assert 'data-state="active"' in page.body and "Suchen: Glasfaser; 5G" in page.body
        data = {"token": token, "id": str(made.id), "action": "change",
                "stichwoerter": "OZG, Breitband", "mode": "weekly"}  # fmt: skip
        changed = http(site.url + "benachrichtigungen", data=data, origin=site.url.rstrip("/"))
        assert "Das Abonnement ist geändert." in changed.body
    (row,) = _rows(engine)
    assert (row.tags, row.queries, row.mode, row.origin) == (
        ["OZG", "Breitband"], ["Glasfaser", "5G"], "weekly", "cli",
    )  # fmt: skip


def test_manage_a_cli_subscription_with_sources(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """A CLI subscription limited to sources can be changed on the web: its sources are
    checked against the catalogue, not refused as unknown."""
    now = dt.datetime.now(UTC)
    spec = SubscriptionSpec(email="ida@example.org", tags=("OZG",), sources=("move",))
    made = subscribe(engine, validate(spec, ("move",), now=now), now=now)
    with web_site(engine, db_url, tmp_path, {}) as site:
        token = make_manage_token(load_secret(site.settings), "ida@example.org")
        data = {"token": token, "id": str(made.id), "action": "change",
                "stichwoerter": "OZG, Breitband", "mode": "daily"}  # fmt: skip
        changed = http(site.url + "benachrichtigungen", data=data, origin=site.url.rstrip("/"))
        assert "Das Abonnement ist geändert." in changed.body
    (row,) = _rows(engine)
    assert (row.tags, row.sources, row.mode) == (["OZG", "Breitband"], ["move"], "daily")


def test_a_bad_alerts_secret_is_a_clear_page_not_a_500(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "alerts-secret").write_text("short\n")  # under the 16 characters required
    with web_site(engine, db_url, tmp_path, {}) as site:
        data = {"q": "OZG", "email": "gina@example.org", "mode": "daily"}
        answer = http(site.url + "abonnieren", data=data, origin=site.url.rstrip("/"))
        assert answer.status == 503 and "nicht eingerichtet" in answer.body
        assert http(site.url + "benachrichtigungen?token=a.b").status == 503
    assert _subs(engine) == []
