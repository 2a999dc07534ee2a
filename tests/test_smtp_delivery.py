"""Delivery to a real SMTP server (aiosmtpd on 127.0.0.1), parsing what arrives: immediate and
digest e-mails, nothing twice, and the faults — server down, 451, 550 for one recipient, a
server that never answers, TLS with certificate checks, and hostile scraped text."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from kn_crawl.alerts.delivery import SendResult, send_due, write_dry_run
from kn_crawl.alerts.matching import match
from kn_crawl.alerts.models import AlertEmail
from kn_crawl.alerts.outbox import status
from kn_crawl.alerts.subscriptions import SubscriptionSpec, subscribe, validate
from kn_crawl.alerts.vocabulary import load_vocabulary
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import table_of
from kn_crawl.settings import ConfigError, Settings
from tests.alerts_support import Desk, Recorder, SmtpServer, item, make_ca, settings_for

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Berlin
ANNA, BOB = "anna@example.org", "bob@example.org"


@dataclass
class World:
    engine: Engine
    desk: Desk
    server: SmtpServer
    tmp: Path
    db_url: str

    def settings(self, **env: str) -> Settings:
        return settings_for(
            self.db_url, self.tmp / "data", **(self.server.env() | {"KN_SMTP_TIMEOUT": "5"} | env)
        )

    def subscribe(self, email: str = ANNA, **kw: Any) -> int:
        spec = validate(SubscriptionSpec(email=email, **kw), ["kommune21", "move"], now=T0)
        return subscribe(self.engine, spec, now=T0).id

    def publish(self, *items: Any, now: datetime = T0) -> None:
        by_source: dict[str, list[Any]] = {}
        for i in items:
            by_source.setdefault(i.source, []).append(i)
        for source, its in by_source.items():
            self.desk.crawl(source, its, now=now)
        match(self.engine, now=now, vocabulary=load_vocabulary())

    def send(self, now: datetime = T0, **kw: Any) -> SendResult:
        return send_due(self.engine, kw.pop("settings", None) or self.settings(), now=now, **kw)

    def email_rows(self) -> list[Any]:
        t = table_of(AlertEmail)
        with self.engine.connect() as conn:
            return list(conn.execute(select(t).order_by(t.c.id)).all())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    engine = make_engine(db_url)
    upgrade(engine)
    desk = Desk(engine)
    # Each source's first crawl is its backfill: after it, everything is news.
    desk.crawl("kommune21", [item("kommune21", "Alt", ["OZG", "Dortmund"])], now=T0)
    desk.crawl("move", [item("move", "Alt", ["OZG"])], now=T0)
    match(engine, now=T0, vocabulary=load_vocabulary())
    with SmtpServer() as server:
        yield World(engine, desk, server, tmp_path, db_url)
    engine.dispose()


def test_immediate_email_with_items_reasons_and_headers(world: World) -> None:
    world.subscribe(tags=("OZG", "Dortmund"), queries=("Glasfaser",))
    world.publish(
        item("kommune21", "OZG-Bilanz in Dortmund", ["Onlinezugangsgesetz", "Dortmund"],
             kicker="Dortmund", teaser="Die Stadt zieht Bilanz.",
             published=datetime(2025, 3, 9, 8, 0, tzinfo=UTC)),
        item("move", "Glasfasernetz wächst", ["Breitband"], kicker="Netze"),
        item("kommune21", "Nicht gemeint", ["Haushalt"]),
    )  # fmt: skip
    assert world.send().sent == 1
    (d,) = world.server.recorder.delivered
    msg = d.message
    assert d.rcpt_tos == [ANNA]
    assert msg["Subject"] == "2 neue Meldungen zu OZG, Dortmund, Glasfaser"
    # The row holds the channel-neutral delivery key; the e-mail channel makes the Message-ID.
    key = world.email_rows()[0].message_id
    assert len(key) == 32 and int(key, 16) >= 0
    assert msg["Message-ID"] == f"<kn-alert.{key}@kn-crawl.invalid>"
    assert msg["List-Unsubscribe"].startswith("<mailto:alerts@kn-crawl.invalid?subject=")
    assert "List-Unsubscribe-Post" not in msg
    assert msg["Auto-Submitted"] == "auto-generated"
    text = d.text
    assert "OZG-Bilanz in Dortmund" in text and "09.03.2025 · Kommune21" in text
    assert "Die Stadt zieht Bilanz." in text
    assert "Warum: Stichwort „OZG“, Stichwort „Dortmund“" in text
    assert "*Glasfaser*netz wächst" in text and "Warum: Suche „Glasfaser“" in text
    assert "Nicht gemeint" not in text
    assert "kn-crawl unsubscribe --token 1." in text
    html = d.html
    assert '<a href="https://www.kommune21.de/k21-meldungen/' in html
    assert "<mark>Glasfaser</mark>netz" in html
    # Sending again delivers nothing; matching again queues nothing.
    world.publish()
    assert world.send(T0 + timedelta(hours=1)).sent == 0
    assert len(world.server.recorder.delivered) == 1


def test_daily_and_weekly_digests_wait_for_their_time(world: World) -> None:
    world.subscribe(tags=("OZG",), mode="daily", digest_time="07:00")
    world.subscribe(BOB, tags=("OZG",), mode="weekly", digest_weekday=4, digest_time="18:00")
    for hour in range(3):
        world.publish(item("kommune21", f"OZG Nummer {hour}", ["OZG"]),
                      now=T0 + timedelta(hours=hour))  # fmt: skip
    assert world.send(T0 + timedelta(hours=3)).sent == 0
    tuesday_7 = datetime(2025, 3, 11, 6, 0, tzinfo=UTC)
    assert world.send(tuesday_7 - timedelta(minutes=1)).sent == 0
    assert world.send(tuesday_7).sent == 1
    (daily,) = world.server.recorder.to(ANNA)
    assert daily.message["Subject"] == "Tagesübersicht: 3 neue Meldungen zu OZG"
    assert all(f"OZG Nummer {h}" in daily.text for h in range(3))
    assert "täglich um 07:00" in daily.text
    friday_18 = datetime(2025, 3, 14, 17, 0, tzinfo=UTC)
    assert world.send(friday_18).sent == 1
    (weekly,) = world.server.recorder.to(BOB)
    assert weekly.message["Subject"].startswith("Wochenübersicht: 3 neue Meldungen")
    assert world.send(friday_18 + timedelta(days=7)).sent == 0


def test_new_stichwort_alert_names_it_and_the_introducing_article(world: World) -> None:
    world.subscribe(new_tags=True)
    world.publish(item("move", "LoRaWAN für alle", ["LoRaWAN", "OZG"], kicker="Funk"))
    world.publish(item("kommune21", "Wieder LoRaWAN", ["lorawan"]))
    assert world.send().sent == 1
    (d,) = world.server.recorder.delivered
    assert d.message["Subject"] == "Neues Stichwort LoRaWAN"
    assert "Neues Stichwort: LoRaWAN" in d.text
    assert "Zum ersten Mal gesehen in:" in d.text and "LoRaWAN für alle" in d.text


def test_server_down_keeps_everything_pending_until_it_is_back(world: World) -> None:
    world.subscribe(tags=("OZG",))
    world.publish(item("kommune21", "N", ["OZG"]))
    world.server.stop()
    result = world.send()
    assert (result.sent, result.retry) == (0, 1)
    (row,) = world.email_rows()
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 1, None)
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at == T0 + timedelta(minutes=1)
    world.server.start()
    assert world.send(T0 + timedelta(seconds=30)).sent == 0  # backoff
    assert world.send(T0 + timedelta(minutes=1)).sent == 1
    (d,) = world.server.recorder.delivered
    assert d.message["Message-ID"] == f"<kn-alert.{row.message_id}@kn-crawl.invalid>"


def test_451_is_retried_and_550_fails_only_that_recipient(world: World) -> None:
    carl = "carl@example.org"
    for who in (ANNA, BOB, carl):
        world.subscribe(who, tags=("OZG",))
    world.server.recorder.answers = {
        BOB: "451 4.7.1 Greylisted, try again later",
        carl: "550 5.1.1 <carl@example.org>: mailbox unknown",
    }
    world.publish(item("kommune21", "N", ["OZG"]))
    result = world.send()
    assert (result.sent, result.retry, result.failed) == (1, 1, 1)
    rows = {r.recipient: r for r in world.email_rows()}
    assert rows[BOB].status == "pending" and rows[BOB].last_error.startswith("451 4.7.1")
    assert rows[carl].status == "failed"
    assert rows[carl].last_error == "550 5.1.1 <carl@example.org>: mailbox unknown"
    with world.engine.connect() as conn:
        st = status(conn, now=T0)
    assert [(f.recipient, f.last_error) for f in st.failed] == [(carl, rows[carl].last_error)]
    assert [r.recipient for r in st.retrying] == [BOB]

    world.server.recorder.answers.pop(BOB)
    assert world.send(T0 + timedelta(minutes=1)).sent == 1
    assert [len(world.server.recorder.to(w)) for w in (ANNA, BOB, carl)] == [1, 1, 0]
    assert world.server.recorder.to(BOB)[0].message["Message-ID"] == (
        f"<kn-alert.{rows[BOB].message_id}@kn-crawl.invalid>"
    )
    assert world.send(T0 + timedelta(days=1)).sent == 0


def test_scraped_html_and_header_injection_arrive_escaped(world: World) -> None:
    world.subscribe(tags=("OZG",), new_tags=True)
    evil = "<script>alert(1)</script>\r\nBcc: victim@evil.example"
    world.publish(
        item("kommune21", evil, ["OZG", "Neu\r\nBcc: victim@evil.example"], kicker=evil,
             teaser='<img src=x onerror="alert(2)">',
             url="https://www.kommune21.de/k21-meldungen/a/?q=<b>"),
    )  # fmt: skip
    assert world.send().sent == 1
    (d,) = world.server.recorder.delivered
    assert d.rcpt_tos == [ANNA]
    msg = d.message
    assert msg.get_all("Bcc") is None
    assert "victim" not in str(msg.get_all("To")) and "\n" not in msg["Subject"]
    raw_headers = d.raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in raw_headers
    html = d.html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert "q=&lt;b&gt;" in html


def test_dry_run_writes_eml_files_and_changes_nothing(world: World) -> None:
    world.subscribe(tags=("OZG",))
    world.publish(item("kommune21", "N", ["OZG"]))
    settings = world.settings(KN_SMTP_HOST="", KN_UNSUBSCRIBE_URL="https://kn.example/u")
    paths = write_dry_run(world.engine, settings, world.tmp / "out", now=T0)
    assert [p.name for p in paths] == ["alert-000001.eml"]
    content = paths[0].read_bytes()
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in content
    assert b"<https://kn.example/u?token=1." in content
    assert world.email_rows()[0].status == "pending"
    assert write_dry_run(world.engine, settings, world.tmp / "out", now=T0) == paths


def test_a_server_that_never_answers_times_out(world: World) -> None:
    world.subscribe(tags=("OZG",))
    world.publish(item("kommune21", "N", ["OZG"]))
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the TCP connection, never says hello
        port = str(silent.getsockname()[1])
        result = world.send(settings=world.settings(KN_SMTP_PORT=port, KN_SMTP_TIMEOUT="0.5"))
    assert result.retry == 1
    assert "timed out" in world.email_rows()[0].last_error


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_tls_verifies_the_certificate(
    world: World, tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = make_ca(tmp_path / "ca")
    other = make_ca(tmp_path / "other", "some other CA")
    options: dict[str, Any] = (
        {"tls_context": ca.server_context(), "require_starttls": True}
        if mode == "starttls"
        # aiosmtpd does not count implicit TLS as TLS when it decides to offer AUTH.
        else {"ssl_context": ca.server_context(), "auth_require_tls": False}
    )
    recorder = Recorder(password="s3cret-for-tls")
    world.subscribe(tags=("OZG",))
    world.publish(item("kommune21", "N", ["OZG"]))
    with SmtpServer(recorder, **options) as server:
        monkeypatch.setenv("KN_SMTP_PASSWORD", "s3cret-for-tls")
        env = server.env(mode) | {"KN_SMTP_USER": "kn"}
        untrusted = world.send(settings=world.settings(**env, KN_SMTP_CA_FILE=str(other.ca_file)))
        assert untrusted.retry == 1 and "CERTIFICATE_VERIFY_FAILED" in untrusted.errors[0]
        trusted = world.settings(**env, KN_SMTP_CA_FILE=str(ca.ca_file))
        assert world.send(T0 + timedelta(minutes=1), settings=trusted).sent == 1
    assert recorder.logins == ["kn"] and len(recorder.delivered) == 1


def test_plain_is_only_used_when_configured(world: World) -> None:
    world.subscribe(tags=("OZG",))
    world.publish(item("kommune21", "N", ["OZG"]))
    # Default mode is STARTTLS: a server without it is refused rather than spoken to in clear.
    result = world.send(settings=world.settings(KN_SMTP_TLS="starttls"))
    assert result.retry == 1 and "does not offer STARTTLS" in result.errors[0]
    assert world.server.recorder.delivered == []


def test_password_from_a_file(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(password="from-a-file")
    secret = tmp_path / "smtp-password"
    secret.write_text("from-a-file\n")
    monkeypatch.delenv("KN_SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("KN_SMTP_PASSWORD_FILE", str(secret))
    world.subscribe(tags=("OZG",))
    world.publish(item("kommune21", "N", ["OZG"]))
    with SmtpServer(recorder, auth_require_tls=False) as server:
        settings = world.settings(**server.env("plain"), KN_SMTP_USER="kn")
        assert world.send(settings=settings).sent == 1
    assert recorder.logins == ["kn"]


def test_a_password_smtp_cannot_send_is_one_line_without_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KN_SMTP_PASSWORD", "gehëim-pw")
    world.subscribe(tags=("OZG",))
    world.publish(item("kommune21", "N", ["OZG"]))
    with SmtpServer(Recorder(password="x"), auth_require_tls=False) as server:
        settings = world.settings(**server.env("plain"), KN_SMTP_USER="kn")
        with pytest.raises(ConfigError) as caught:
            world.send(settings=settings)
    assert str(caught.value) == (
        "KN_SMTP_USER or the SMTP password holds characters other than ASCII, "
        "which SMTP login cannot send"
    )
    assert [row.status for row in world.email_rows()] == ["pending"]


def test_the_message_id_derives_from_the_delivery_key() -> None:
    from kn_crawl.alerts.smtp import message_id_for

    assert message_id_for("0123abcd", "kn.example") == "<kn-alert.0123abcd@kn.example>"
    # Rows queued before keys were channel-neutral hold a whole Message-ID: kept as it is.
    assert message_id_for("<kn-alert.77@old.example>", "kn.example") == "<kn-alert.77@old.example>"
