"""Alert channels through Apprise against a real HTTP receiver on 127.0.0.1, on both backends:
what each service receives, refusals (4xx: final), failures (5xx, hanging: retried with the
same idempotency key), masked secrets, and health notices through the same seam."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from kn_crawl.alerts.channels import ChannelError, channel_key, check_channel, classify, mask
from kn_crawl.alerts.delivery import SendResult, send_due, write_dry_run
from kn_crawl.alerts.matching import match
from kn_crawl.alerts.models import AlertEmail
from kn_crawl.alerts.outbox import status
from kn_crawl.alerts.smtp import Outcome
from kn_crawl.alerts.subscriptions import (
    SubscriptionError,
    SubscriptionSpec,
    list_subscriptions,
    shown_recipient,
    subscribe,
    validate,
)
from kn_crawl.alerts.vocabulary import load_vocabulary
from kn_crawl.db.models import table_of
from kn_crawl.settings import Settings, redact_secrets
from tests.alerts_support import Desk, Receiver, item, settings_for

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
SECRET = "T0KEN-s3cr3t-4711"
ARTICLE_URL = "https://www.kommune21.de/k21-meldungen/ozg-startet/"
BODY = (
    "OZG-Portal startet\n"
    "01.03.2025 · Kommune21\n"
    f"{ARTICLE_URL}\n"
    "Teaser zu OZG-Portal startet.\n"
    "Warum: Stichwort „OZG“\n"
    "\n"
    "-- \n"
    "Abonniert: Stichwörter OZG (sofort nach jedem Crawl)\n"
    "\n"
    "Abbestellen: beim Betreiber dieser Benachrichtigungen (Abonnement Nr. 1)"
)


@dataclass
class World:
    engine: Engine
    receiver: Receiver
    db_url: str
    tmp: Path

    def settings(self, **env: str) -> Settings:
        return settings_for(self.db_url, self.tmp / "data", **({"KN_CHANNEL_TIMEOUT": "1"} | env))

    def url(self, scheme: str = "json", path: str = f"hook/{SECRET}") -> str:
        return f"{scheme}://127.0.0.1:{self.receiver.port}/{path}"

    def subscribe(self, channel: str, **kw: Any) -> int:
        kw.setdefault("tags", ("OZG",))
        spec = validate(SubscriptionSpec("", channel=channel, **kw), ["kommune21"], now=T0)
        return subscribe(self.engine, spec, now=T0).id

    def publish(self) -> None:
        desk = Desk(self.engine)
        desk.crawl("kommune21", [item("kommune21", "Alt", ["OZG"])], now=T0)  # the backfill
        new = item("kommune21", "OZG-Portal startet", ["OZG"], url=ARTICLE_URL)
        desk.crawl("kommune21", [new], now=T0)
        match(self.engine, now=T0, vocabulary=load_vocabulary())

    def send(self, now: datetime = T0) -> SendResult:
        return send_due(self.engine, self.settings(), now=now)

    def messages(self) -> list[Any]:
        t = table_of(AlertEmail)
        with self.engine.connect() as conn:
            return list(conn.execute(select(t).order_by(t.c.id)).all())


@pytest.fixture
def world(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[World]:
    with Receiver() as receiver:
        yield World(engine, receiver, db_url, tmp_path)


def test_a_json_webhook_gets_the_alert_in_german_with_its_idempotency_key(world: World) -> None:
    url = f"json://user:{SECRET}@127.0.0.1:{world.receiver.port}/hook"
    world.subscribe(url)
    world.publish()
    (message,) = world.messages()
    assert (message.recipient, message.channel) == (channel_key(url), url)
    result = world.send()
    assert (result.sent, result.retry, result.failed) == (1, 0, 0)
    (got,) = world.receiver.received
    assert got.path == "/hook"
    # The delivery key is channel-neutral: no e-mail Message-ID (no brackets, no domain).
    assert len(message.message_id) == 32 and int(message.message_id, 16) >= 0
    assert got.headers["Idempotency-Key"] == message.message_id
    assert got.headers["Authorization"].startswith("Basic ")
    data = json.loads(got.body)
    assert data["title"] == "1 neue Meldung zu OZG"
    # The whole message: no unsubscribe token a reader of the channel could use.
    assert data["message"] == BODY
    assert [m.status for m in world.messages()] == ["sent"]
    assert world.send(T0 + timedelta(hours=1)).sent == 0  # sent once


@pytest.mark.parametrize(
    ("scheme", "path", "expected_path", "field"),
    [
        ("ntfy", "alerts-topic", "/", "message"),
        ("gotify", SECRET, "/message", "message"),
        ("mmost", SECRET, f"/hooks/{SECRET}", "text"),
        ("form", "hook", "/hook", None),
    ],
)
def test_other_services_get_the_same_content(
    world: World, scheme: str, path: str, expected_path: str, field: str | None
) -> None:
    world.subscribe(world.url(scheme, path))
    world.publish()
    assert world.send().sent == 1
    (got,) = world.receiver.received
    assert got.path == expected_path
    if field is None:  # form://: url-encoded fields
        from urllib.parse import parse_qs

        text = parse_qs(got.body.decode())["message"][0]
    else:
        text = json.loads(got.body)[field]
    assert BODY.split("\n-- ")[0] in text.replace("\r\n", "\n")


def test_a_4xx_answer_is_a_recorded_final_failure(world: World) -> None:
    world.subscribe(world.url())
    world.publish()
    world.receiver.status = 401
    result = world.send()
    assert (result.sent, result.retry, result.failed) == (0, 0, 1)
    assert result.errors == [f"json://127.0.0.1:{world.receiver.port}/…: HTTP 401"]
    with world.engine.connect() as conn:
        st = status(conn, now=T0)
    (failed,) = st.failed
    assert (failed.recipient, failed.last_error) == (mask(world.url()), "HTTP 401")
    assert world.send(T0 + timedelta(days=1)).failed == 0  # not tried again


@pytest.mark.parametrize("trouble", ["503", "hang"])
def test_a_5xx_or_a_hanging_receiver_is_retried_with_backoff(world: World, trouble: str) -> None:
    world.subscribe(world.url())
    world.publish()
    if trouble == "hang":
        world.receiver.hang = True
    else:
        world.receiver.status = 503
    result = world.send()
    assert (result.sent, result.retry, result.failed) == (0, 1, 0)
    (message,) = world.messages()
    detail = "HTTP 503" if trouble == "503" else "no answer (connection failed or timed out)"
    assert (message.status, message.attempts, message.last_error) == ("pending", 1, detail)
    assert message.next_attempt_at == T0 + timedelta(minutes=1)
    assert world.send(T0 + timedelta(seconds=30)).retry == 0  # backing off
    world.receiver.hang, world.receiver.status = False, 200
    assert world.send(T0 + timedelta(minutes=1)).sent == 1
    keys = {r.headers["Idempotency-Key"] for r in world.receiver.received}
    assert keys == {message.message_id}
    assert [m.status for m in world.messages()] == ["sent"]


def test_a_dry_run_with_retry_now_writes_messages_in_backoff(world: World) -> None:
    world.subscribe(world.url())
    world.publish()
    world.receiver.status = 503
    assert world.send().retry == 1  # now in backoff until T0 + 1 min
    later = T0 + timedelta(seconds=30)
    assert write_dry_run(world.engine, world.settings(), world.tmp / "a", now=later) == []
    paths = write_dry_run(
        world.engine, world.settings(), world.tmp / "b", now=later, retry_now=True
    )
    (message,) = world.messages()
    assert paths == [world.tmp / "b" / f"alert-{message.id:06d}.txt"]
    assert (message.status, message.attempts) == ("pending", 1)  # nothing changed


def test_secrets_never_reach_logs_or_listings(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    url = world.url(path=f"hook/{SECRET}")
    world.subscribe(url)
    world.publish()
    world.receiver.status = 500
    with caplog.at_level(logging.DEBUG):
        world.send()
        world.receiver.status = 404
        world.send(T0 + timedelta(minutes=5))
    assert SECRET not in caplog.text
    assert f"json://127.0.0.1:{world.receiver.port}/… deferred: HTTP 500" in caplog.text
    assert f"json://127.0.0.1:{world.receiver.port}/… refused: HTTP 404" in caplog.text
    with world.engine.connect() as conn:
        (row,) = list_subscriptions(conn)
    assert shown_recipient(row) == f"json://127.0.0.1:{world.receiver.port}/…"
    assert SECRET not in row.email
    # A dry run shows the channel masked too.
    world.subscribe(world.url("ntfy", "topic2"), tags=("OZG",), queries=("Portal",))
    match(world.engine, now=T0, vocabulary=load_vocabulary())
    paths = write_dry_run(world.engine, world.settings(), world.tmp / "dry", now=T0)
    assert all(SECRET not in p.read_text() for p in paths)


def test_health_notices_go_through_the_same_seam(world: World) -> None:
    from kn_crawl.alerts.health_notices import queue_health_events
    from kn_crawl.db.state_models import HealthEvent

    url = world.url(path=f"ops/{SECRET}")
    settings = world.settings(KN_HEALTH_CHANNEL=url)
    assert settings.health_channels == (url,) and SECRET not in repr(settings)
    assert redact_secrets(f"refused {url}", {"KN_HEALTH_CHANNEL": url}) == "refused ***"
    source_id = Desk(world.engine).source_id("kommune21")
    with world.engine.begin() as conn:
        conn.execute(
            table_of(HealthEvent).insert().values(
                source_id=source_id, kind="failing", status="failing", previous_status="ok",
                evidence=[{"check": "articles", "message": "keine Artikel"}], created_at=T0,
                notified=False,
            )
        )  # fmt: skip
    queued = queue_health_events(world.engine, (), now=T0, channels=settings.health_channels)
    assert queued == 1
    assert send_due(world.engine, settings, now=T0).sent == 1
    (got,) = world.receiver.received
    data = json.loads(got.body)
    assert data["title"] == "kn-crawl: Quelle kommune21 ist failing"
    assert data["message"].startswith(
        "Quelle kommune21 ist failing (Kommune21)\nStatus: failing (vorher: ok)\n"
    )
    assert "- articles: keine Artikel\n" in data["message"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("hooks.example.org/abc", "is not a URL like json://host/path"),
        ("mailto://anna:pw@example.org", "unsupported service 'mailto'"),
        ("windows://", "unsupported service 'windows'"),
        ("json://host/a b", "must be one URL without spaces"),
        ("msteams://only-one-token", "msteams://… is not a valid msteams:// URL"),
    ],
)
def test_bad_channel_urls_are_refused_with_one_line(url: str, message: str) -> None:
    with pytest.raises(ChannelError) as exc:
        check_channel(url)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert "only-one-token" not in str(exc.value) and "anna:pw" not in str(exc.value)
    with pytest.raises(SubscriptionError):
        validate(SubscriptionSpec("", tags=("OZG",), channel=url), [], now=T0)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7F", "slack://…"),
        ("ntfys://user:pass@ntfy.example.org/topic", "ntfys://ntfy.example.org/…"),
        ("json://localhost:8080/hook?token=x", "json://localhost:8080/…"),
        ("matrixs://bot:token@matrix.example.org/#room", "matrixs://matrix.example.org/…"),
        ("gotify://gotify.example.org", "gotify://gotify.example.org"),
    ],
)
def test_mask_keeps_scheme_and_host_only(url: str, masked: str) -> None:
    assert mask(url) == masked


def test_the_cli_subscribes_a_channel_and_never_prints_its_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from kn_crawl.cli import main
    from kn_crawl.db.engine import get_engine

    for key in list(os.environ):
        if key.startswith("KN_"):
            monkeypatch.delenv(key)
    db = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    monkeypatch.setenv("KN_DATABASE_URL", db)
    monkeypatch.setenv("KN_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    url = f"ntfys://bot:{SECRET}@ntfy.example.org/kn-ozg"
    try:
        out = runner.invoke(main, ["subscribe", "--channel", url, "--tag", "OZG"])
        assert out.exit_code == 0, out.output
        assert out.output.startswith(
            "Subscription 1 for ntfys://ntfy.example.org/… created: Stichwörter OZG (sofort"
        )
        again = runner.invoke(main, ["subscribe", "--channel", url, "--tag", "OZG"])
        assert "Subscription 1 for ntfys://ntfy.example.org/… already exists" in again.output
        from_stdin = runner.invoke(
            main, ["subscribe", "--channel", "-", "--tag", "OZG"], input=url + "\n"
        )
        assert "Subscription 1 for ntfys://ntfy.example.org/… already exists" in from_stdin.output
        listing = runner.invoke(main, ["subscriptions"]).output
        as_json = json.loads(runner.invoke(main, ["subscriptions", "--json"]).output)
        assert "ntfys://ntfy.example.org/…" in listing
        assert as_json["channel"] == "ntfys://ntfy.example.org/…"
        assert as_json["email"] == channel_key(url)
        for args, message in [
            (["--channel", "sms://123"], "unsupported service 'sms'"),
            (["anna@example.org", "--channel", url], "not both"),
            ([], "give an e-mail address or --channel URL"),
        ]:
            bad = runner.invoke(main, ["subscribe", *args, "--tag", "OZG"])
            assert bad.exit_code == 2 and message in bad.output
            assert "Traceback" not in bad.output
        outputs = [
            out.output,
            again.output,
            from_stdin.output,
            listing,
            json.dumps(as_json),
            bad.output,
        ]
        assert [o for o in outputs if SECRET in o] == []
    finally:
        get_engine(db).dispose()
        get_engine.cache_clear()


def test_long_timeouts_claim_channel_messages_a_few_at_a_time(world: World) -> None:
    # 3 x 300 s of possible waiting exceed the 10-minute lease: one message per claim, all sent.
    for n in range(3):
        world.subscribe(world.url(path=f"hook/{n}"))
    world.publish()
    assert len(world.messages()) == 3
    result = send_due(world.engine, world.settings(KN_CHANNEL_TIMEOUT="300"), now=T0)
    assert (result.sent, result.retry, result.failed) == (3, 0, 0)
    assert sorted(r.path for r in world.receiver.received) == ["/hook/0", "/hook/1", "/hook/2"]


def test_retry_now_tries_each_channel_message_once_per_send(world: World) -> None:
    world.subscribe(world.url())
    world.publish()
    world.receiver.status = 503
    result = send_due(world.engine, world.settings(), now=T0, retry_now=True)
    assert (result.sent, result.retry) == (0, 1)
    assert len(world.receiver.received) == 1
    (message,) = world.messages()
    assert (message.attempts, message.claimed_by) == (1, None)


def test_the_installed_apprise_tells_the_status_code_both_ways() -> None:
    """Pins what ``deliver`` reads: urllib3's record of the answer, and the code in the
    installed Apprise's own failure line (the fallback). An Apprise upgrade that rewords it
    fails here, not silently as endless retries of a permanent 4xx."""
    import apprise

    from kn_crawl.alerts.channels import _CODE, _quiet_apprise

    with Receiver() as receiver:
        receiver.status = 404
        with _quiet_apprise() as capture:
            plugin = apprise.Apprise.instantiate(f"json://127.0.0.1:{receiver.port}/hook")
            assert plugin is not None
            assert plugin.notify(body="b", title="t") is False
    assert capture.statuses == [404]
    assert [int(c) for line in capture.lines for c in _CODE.findall(line)] == [404]
    assert classify([], capture.lines) == Outcome("permanent", "HTTP 404")


@pytest.mark.parametrize(
    ("statuses", "lines", "outcome"),
    [
        ([404], [], Outcome("permanent", "HTTP 404")),
        ([503], ["a reworded line"], Outcome("temporary", "HTTP 503")),
        ([429], [], Outcome("temporary", "HTTP 429")),
        # A service that answers 200 and still fails: Apprise's line tells.
        ([200], ["Failed to send: Forbidden, error=403."], Outcome("permanent", "HTTP 403")),
        ([], [], Outcome("temporary", "no answer (connection failed or timed out)")),
    ],
)
def test_a_failure_is_classified_by_the_answer_first(
    statuses: list[int], lines: list[str], outcome: Outcome
) -> None:
    assert classify(statuses, lines) == outcome


def test_channel_messages_need_no_alerts_secret(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only e-mails carry unsubscribe tokens: a bad KN_ALERTS_SECRET (too short) stops e-mail
    delivery with its one-line error, not the channel messages (nor, without SMTP, the
    after-run hook that sends them)."""
    monkeypatch.setenv("KN_ALERTS_SECRET", "short")
    world.subscribe(world.url())
    world.publish()
    result = world.send()
    assert (result.sent, result.retry, result.failed) == (1, 0, 0)
    assert len(world.receiver.received) == 1
