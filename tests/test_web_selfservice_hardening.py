"""Self-service alerts under attack (review 13): the confirmation e-mail repeats no stranger's
link, the per-address limit counts mailboxes, the web process sends only confirmations, a
channel's token does not end it from the web, expired requests are forgotten, a locked
database is a German 503, and the CSRF check holds for every form."""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from kn_crawl.alerts import selfservice
from kn_crawl.alerts.courier import send_confirmations
from kn_crawl.alerts.models import AlertEmail, AlertOutbox, AlertSubscription
from kn_crawl.alerts.preview import WEB_SCAN_LIMIT
from kn_crawl.alerts.render import unlinked
from kn_crawl.alerts.subscriptions import SubscriptionSpec, subscribe, validate
from kn_crawl.alerts.tokens import load_secret, make_manage_token, make_token
from kn_crawl.alerts.web_models import WebWrite
from kn_crawl.dates import BERLIN
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import table_of
from kn_crawl.settings import ConfigError, Settings
from tests.alerts_support import SmtpServer, item, wait_for
from tests.selfservice_support import SECRET, backfill_and_news, http, link, web_site

subs_t = table_of(AlertSubscription)
emails_t = table_of(AlertEmail)
outbox_t = table_of(AlertOutbox)
UTC = dt.UTC


def _subs(engine: Engine) -> list[tuple[str, bool, bool]]:
    """(email, active, confirmed) of every subscription."""
    with engine.connect() as conn:
        return [
            (r.email, r.active, r.confirmed_at is not None)
            for r in conn.execute(select(subs_t).order_by(subs_t.c.id))
        ]


def test_the_confirmation_email_carries_no_strangers_link(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    query = 'OZG "Ihr Konto wird gesperrt. Jetzt entsperren unter https://evil.example/login"'
    with SmtpServer() as smtp, web_site(engine, db_url, tmp_path, smtp.env()) as site:
        data = {"q": query, "email": "erin@example.org", "mode": "immediate"}
        assert http(site.url + "abonnieren", data=data, origin=site.url.rstrip("/")).status == 200
        wait_for(lambda: len(smtp.recorder.to("erin@example.org")) == 1)
        (mail,) = smtp.recorder.to("erin@example.org")
        # 60 characters of the query, cut inside the URL; nothing a mail client would link.
        shown = 'Suche OZG "Ihr Konto wird gesperrt. Jetzt entsperren unter https:…'
        assert f"- {shown} (sofort nach jedem Crawl)" in mail.text
        assert shown in html.unescape(mail.html)
        for part in (mail.text, mail.html):
            assert "evil" not in part and "https://" not in part.replace(site.url, "")
        # The page the link opens shows the whole query.
        page = http(link(mail.text, "bestaetigen"))
        assert page.status == 200 and query in html.unescape(page.body)


def test_unlinked_shortens_and_defangs() -> None:
    assert unlinked("OZG") == "OZG"
    assert unlinked("see https://evil.example/x") == "see https[:]//evil[.]example/x"
    assert unlinked("mail me: a@evil.example") == "mail me: a[at]evil[.]example"
    assert unlinked("x" * 61) == "x" * 59 + "…"
    assert unlinked("x" * 60) == "x" * 60
    assert unlinked("Version 2.0 und 3 . 4") == "Version 2[.]0 und 3 . 4"


def test_the_address_limit_counts_mailboxes_not_spellings(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with web_site(engine, db_url, tmp_path, {}) as site:
        origin = site.url.rstrip("/")
        answers = [
            http(site.url + "abonnieren", data={"q": f"Thema{i}", "email": address,
                                                "mode": "daily"}, origin=origin).status
            for i, address in enumerate(["bob@example.org", "bob+1@example.org",
                                         "BOB+news@Example.org", "bob+2@example.org",
                                         "Bob@example.org", "bobby@example.org"])
        ]  # fmt: skip
        assert answers == [200, 200, 200, 429, 429, 200]
    assert selfservice.mailbox("Bob+a+b@Example.ORG") == "bob@example.org"
    assert selfservice.mailbox("bob@example.org") == "bob@example.org"


def test_ipv6_clients_are_their_64_and_mapped_ipv4_is_ipv4() -> None:
    key = selfservice.client_key
    secret = b"k" * 32
    assert key(secret, "2001:db8::1") == key(secret, "2001:db8::ffff:ab:1")
    assert key(secret, "2001:db8::1") != key(secret, "2001:db8:0:1::1")
    assert key(secret, "::ffff:192.0.2.1") == key(secret, "192.0.2.1")
    assert key(secret, "192.0.2.1") != key(secret, "192.0.2.2")
    assert key(secret, "-") == key(secret, "-")


def test_the_same_request_twice_is_one_subscription_once_confirmed(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with SmtpServer() as smtp, web_site(engine, db_url, tmp_path, smtp.env()) as site:
        origin = site.url.rstrip("/")
        data = {"q": "OZG", "email": "alice@example.org", "mode": "daily"}
        for n in (1, 2):
            assert http(site.url + "abonnieren", data=data, origin=origin).status == 200
            wait_for(lambda n=n: len(smtp.recorder.to("alice@example.org")) == n)  # type: ignore[misc]
        tokens = [link(m.text, "bestaetigen").split("token=")[1]
                  for m in smtp.recorder.to("alice@example.org")]  # fmt: skip
        for token in tokens:
            done = http(site.url + "bestaetigen", data={"token": token}, origin=origin)
            assert done.status == 200 and "Abonnement bestätigt" in done.body
        # The second confirmation ended its copy: one active subscription.
        assert _subs(engine) == [
            ("alice@example.org", True, True),
            ("alice@example.org", False, False),
        ]


def test_the_web_process_sends_only_confirmations(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    now = dt.datetime.now(UTC)
    with SmtpServer() as smtp, web_site(engine, db_url, tmp_path, smtp.env()) as site:
        backfill_and_news(site, now)
        site.match()
        spec = SubscriptionSpec(email="analyst@example.org", queries=("Breitband",))
        subscribe(engine, validate(spec, (), now=now), now=now)
        site.desk.crawl("kommune21", [item("kommune21", "Breitband für alle", ["Breitband"],
                                           published=now)], now=now)  # fmt: skip
        assert site.match().queued == 1  # an alert digest waits for `kn-crawl alerts send`
        data = {"q": "OZG", "email": "visitor@example.org", "mode": "daily"}
        assert http(site.url + "abonnieren", data=data, origin=site.url.rstrip("/")).status == 200
        wait_for(lambda: len(smtp.recorder.to("visitor@example.org")) == 1)
        assert send_confirmations(engine, site.settings, now=dt.datetime.now(UTC)).sent == 0
        assert smtp.recorder.to("analyst@example.org") == []
        with engine.connect() as conn:
            digest = conn.execute(
                select(emails_t.c.status, emails_t.c.claimed_by, emails_t.c.attempts).where(
                    emails_t.c.recipient == "analyst@example.org"
                )
            ).all()
        assert [tuple(r) for r in digest] == [("pending", None, 0)]
        # The scheduler's sender still delivers it.
        assert site.send() == 1
        assert len(smtp.recorder.to("analyst@example.org")) == 1


def test_a_channels_token_does_not_end_it_from_the_web(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    now = dt.datetime.now(UTC)
    spec = SubscriptionSpec(email="", channel="json://127.0.0.1:9/hook", queries=("OZG",))
    made = subscribe(engine, validate(spec, (), now=now), now=now)
    with web_site(engine, db_url, tmp_path, {}) as site:
        with engine.connect() as conn:
            key = conn.execute(select(subs_t.c.email).where(subs_t.c.id == made.id)).scalar_one()
        token = make_token(load_secret(site.settings), [made.id], key)
        answer = http(site.url + "abbestellen?token=" + token, data="List-Unsubscribe=One-Click")
        assert answer.status == 400
        assert "lässt sich nur beim Betreiber abbestellen" in answer.body
    with engine.connect() as conn:
        assert conn.execute(select(subs_t.c.active).where(subs_t.c.id == made.id)).scalar_one()


def test_expired_requests_are_forgotten(engine: Engine, db_url: str, tmp_path: Path) -> None:
    now = dt.datetime.now(UTC)
    with web_site(engine, db_url, tmp_path, {}) as site:
        origin = site.url.rstrip("/")
        for address in ("old@example.org", "kept@example.org"):
            data = {"q": "OZG", "email": address, "mode": "daily"}
            assert http(site.url + "abonnieren", data=data, origin=origin).status == 200
        with engine.begin() as conn:
            # old@'s request is eight days old (its link expired after seven); kept@'s six,
            # and a CLI subscription of nine days stays of course.
            for address, days in (("old@example.org", 8),
                                             ("kept@example.org", 6)):  # fmt: skip
                conn.execute(update(subs_t).where(subs_t.c.email == address).values(
                    created_at=now - dt.timedelta(days=days)))  # fmt: skip
        spec = SubscriptionSpec(email="cli@example.org", queries=("OZG",))
        subscribe(engine, validate(spec, (), now=now - dt.timedelta(days=9)),
                  now=now - dt.timedelta(days=9))  # fmt: skip
        data = {"q": "Breitband", "email": "new@example.org", "mode": "daily"}
        assert http(site.url + "abonnieren", data=data, origin=origin).status == 200
    assert [s[0] for s in _subs(engine)] == [
        "kept@example.org", "cli@example.org", "new@example.org",
    ]  # fmt: skip
    with engine.connect() as conn:
        recipients = conn.execute(select(emails_t.c.recipient).order_by(emails_t.c.id)).scalars()
        assert list(recipients) == ["kept@example.org", "new@example.org"]
        assert conn.execute(select(func.count()).select_from(outbox_t)).scalar_one() == 2


def _post(url: str, data: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url, data=data.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"} | headers,
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_csrf_origin_null_referer_fallback_and_every_form(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with web_site(engine, db_url, tmp_path, {}) as site:
        own = site.url.rstrip("/")
        form = "q=OZG&email=hans%40example.org&mode=daily"
        url = site.url + "abonnieren"
        assert _post(url, form, {"Origin": "null"}) == 403
        assert _post(url, form, {"Referer": "http://evil.example/abonnieren"}) == 403
        assert _post(url, form, {"Origin": "null", "Referer": site.url + "abonnieren"}) == 403
        assert _post(url, form, {"Origin": own.replace("127.0.0.1", "localhost")}) == 403
        assert _subs(engine) == []
        assert _post(url, form, {"Referer": site.url + "abonnieren?q=OZG"}) == 200
        assert _subs(engine) == [("hans@example.org", True, False)]
        for path in ("bestaetigen", "benachrichtigungen"):
            body = "token=x.y&id=1&action=end"
            assert _post(site.url + path, body, {}) == 403
            assert _post(site.url + path, body, {"Origin": "null"}) == 403
            assert _post(site.url + path, body, {"Origin": "http://evil.example"}) == 403
            # From our own page the request is checked further (a bad token: 400, 403).
            assert _post(site.url + path, body, {"Origin": own}) in (400, 403)


def test_a_locked_database_is_a_german_503_and_one_log_line(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    path = sqlite_url.removeprefix("sqlite:///")
    with web_site(engine, sqlite_url, tmp_path, {}) as site:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            with caplog.at_level(logging.WARNING, logger="kn_crawl.web.selfservice"):
                data = {"q": "Breitband", "email": "gustav@example.org", "mode": "daily"}
                answer = http(site.url + "abonnieren", data=data, origin=site.url.rstrip("/"))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert answer.status == 503
        assert "Der Server ist gerade beschäftigt; bitte in einer Minute erneut." in answer.body
        assert [r.getMessage() for r in caplog.records] == [
            "self-service write not done: database is locked"
        ]
        assert "gustav" not in caplog.text
        # Unlocked, the same request goes through.
        answer = http(site.url + "abonnieren", data=data, origin=site.url.rstrip("/"))
        assert answer.status == 200
    engine.dispose()


def test_the_preview_of_an_old_database_counts_back_from_its_newest_article(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    now = dt.datetime.now(UTC)
    newest = now - dt.timedelta(days=400)
    with web_site(engine, db_url, tmp_path, {}) as site:
        site.desk.crawl("kommune21", [
            item("kommune21", "OZG alt", ["OZG"], published=newest - dt.timedelta(days=5)),
            item("kommune21", "OZG älter", ["OZG"], published=newest - dt.timedelta(days=40)),
            item("kommune21", "Breitband alt", ["Breitband"], published=newest),
        ], now=newest)  # fmt: skip
        page = html.unescape(http(site.url + "abonnieren?q=OZG").body)
    day = "%d.%m.%Y"
    until = newest.astimezone(BERLIN)
    since = (newest - dt.timedelta(days=30)).astimezone(BERLIN)
    assert "Vorschau: die 30 Tage bis zur neuesten Meldung" in page
    assert (
        f"Die neueste Meldung ist vom {until:{day}}; in den letzten 30 Tagen erschien keine."
        in page
    )
    assert (
        f"1 Meldung vom {since:{day}} bis zum {until:{day}} hätte eine Benachrichtigung ausgelöst."
        in page
    )
    assert "OZG alt" in page and "OZG älter" not in page


def test_the_web_preview_scans_fewer_articles(engine: Engine, db_url: str, tmp_path: Path) -> None:
    now = dt.datetime.now(UTC)
    assert WEB_SCAN_LIMIT == 5_000
    with web_site(engine, db_url, tmp_path, {}) as site:
        backfill_and_news(
            site, now
        )  # three articles of the last 30 days, two tagged OZG (or its synonym)
        page = html.unescape(http(site.url + "abonnieren?stichwort=OZG").body)
        assert "2 Meldungen vom " in page and "gezählt über" not in page
        site.app.config["KN_PREVIEW_SCAN_LIMIT"] = 2
        page = html.unescape(http(site.url + "abonnieren?stichwort=OZG").body)
        assert "Vorschau: die letzten 30 Tage" in page
        assert (
            "hätte eine Benachrichtigung ausgelöst (gezählt über die neuesten 2 Meldungen)." in page
        )


def test_errors_are_german_in_pages_and_api(engine: Engine, db_url: str, tmp_path: Path) -> None:
    with web_site(engine, db_url, tmp_path, {}) as site:
        tag = http(site.url + "stichwort/Unbekannt")
        assert tag.status == 404 and "Dieses Stichwort gibt es nicht." in tag.body
        missing = http(site.url + "nirgends")
        assert missing.status == 404 and "Diese Seite gibt es nicht." in missing.body
        request = urllib.request.Request(site.url + "abbestellen?token=1.x", method="PUT")
        with pytest.raises(urllib.error.HTTPError) as put:
            urllib.request.urlopen(request, timeout=30)
        body = put.value.read().decode()
        assert put.value.code == 405 and "Nicht erlaubt" in body
        assert "Diese Methode ist für diese Adresse nicht erlaubt." in body
        assert put.value.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
        api = http(site.url + "api/nirgends")
        assert api.status == 404
        assert json.loads(api.body) == {"error": "Diese Seite gibt es nicht.", "status": 404}
        for answer in (tag, missing, api):
            assert "requested URL" not in answer.body and "server" not in answer.body


def test_the_manage_redirect_body_is_german(engine: Engine, db_url: str, tmp_path: Path) -> None:
    now = dt.datetime.now(UTC)
    made = subscribe(engine, validate(SubscriptionSpec(email="ida@example.org", tags=("OZG",)),
                                      (), now=now), now=now)  # fmt: skip
    with web_site(engine, db_url, tmp_path, {}) as site:
        token = make_manage_token(load_secret(site.settings), "ida@example.org")
        data = f"token={token}&id={made.id}&action=pause".encode()
        request = urllib.request.Request(site.url + "benachrichtigungen", data=data, headers={
            "Origin": site.url.rstrip("/"),
            "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip

        class Stay(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        with pytest.raises(urllib.error.HTTPError) as seen:
            urllib.request.build_opener(Stay).open(request, timeout=30)
        location = seen.value.headers["Location"]
        assert seen.value.code == 303 and location.endswith("&erledigt=pause")
        body = seen.value.read().decode()
        assert body == (
            '<!doctype html><html lang="de"><title>Weiter</title><p>Weiter zur '
            f'<a href="{html.escape(location)}">Verwaltung Ihrer Abonnements</a>.</p>'
        )


def _serve_and_post(sqlite_url: str, tmp_path: Path, extra: dict[str, str]) -> set[str]:
    """``kn-crawl serve`` (waitress) with ``extra`` settings; two subscribe POSTs said to be
    forwarded for two readers; the client keys the rate limit stored."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env |= {"KN_DATABASE_URL": sqlite_url, "KN_DATA_DIR": str(tmp_path),
            "KN_ALERTS_SECRET": SECRET} | extra  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "kn_crawl", "serve", "--port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split(" on ", 1)[1].split(" ", 1)[0]
        for i, reader in enumerate(("2001:db8::1", "192.0.2.7")):
            form = f"q=OZG&email=r{i}%40example.org&mode=daily"
            headers = {"Origin": url.rstrip("/"), "X-Forwarded-For": f"10.9.9.9, {reader}"}
            assert _post(url + "abonnieren", form, headers) == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    with engine.connect() as conn:
        clients = set(conn.execute(select(table_of(WebWrite).c.client)).scalars())
    engine.dispose()
    return clients


def test_a_trusted_proxy_forwards_the_readers_address(sqlite_url: str, tmp_path: Path) -> None:
    secret = SECRET.encode()  # what load_secret makes of KN_ALERTS_SECRET
    readers = {selfservice.client_key(secret, a) for a in ("2001:db8::1", "192.0.2.7")}
    trusted = _serve_and_post(sqlite_url, tmp_path, {"KN_TRUSTED_PROXY": "127.0.0.1"})
    assert trusted == readers


def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(
    sqlite_url: str, tmp_path: Path
) -> None:
    secret = SECRET.encode()  # what load_secret makes of KN_ALERTS_SECRET
    assert _serve_and_post(sqlite_url, tmp_path, {}) == {
        selfservice.client_key(secret, "127.0.0.1")
    }
    with pytest.raises(ConfigError) as bad:
        Settings.from_env({"KN_TRUSTED_PROXY": "proxy.example.org"})
    assert str(bad.value) == (
        "KN_TRUSTED_PROXY='proxy.example.org' is not an IP address (e.g. 127.0.0.1)"
    )


def test_engines_keep_parameters_out_of_error_text(db_url: str, engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    made = make_engine(db_url)
    secret_url = "json://user:S3cretTok3n@127.0.0.1/hook"
    with pytest.raises(IntegrityError) as failed, made.begin() as conn:
        # The same id twice: the second INSERT fails, naming its statement.
        for _ in range(2):
            conn.execute(subs_t.insert().values(id=999, email=secret_url, channel=secret_url,
                                                created_at=dt.datetime.now(UTC)))  # fmt: skip
    made.dispose()
    assert "S3cretTok3n" not in str(failed.value)
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(failed.value)
