"""Pure parts of alerts: digest times, addresses, tokens, header and link safety, subjects."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kn_crawl.alerts.matching import is_backfill
from kn_crawl.alerts.outbox import BACKOFF_CAP, backoff
from kn_crawl.alerts.render import (
    EmailView,
    ItemView,
    ReasonView,
    header_safe,
    safe_url,
    unsubscribe_link,
)
from kn_crawl.alerts.schedule import due_at, parse_weekday
from kn_crawl.alerts.subscriptions import (
    SubscriptionError,
    SubscriptionSpec,
    check_email,
    validate,
)
from kn_crawl.alerts.tokens import load_secret, make_token, token_ids, token_valid
from kn_crawl.dates import BERLIN
from kn_crawl.settings import ConfigError, Settings, SmtpSettings

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin


def berlin(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@pytest.mark.parametrize(
    ("mode", "now", "at", "weekday", "expected"),
    [
        ("immediate", NOW, "07:00", 0, NOW),
        ("daily", NOW, "07:00", 0, berlin(2025, 3, 11, 7, 0)),
        ("daily", NOW, "18:30", 0, berlin(2025, 3, 10, 18, 30)),
        ("daily", berlin(2025, 3, 10, 7, 0), "07:00", 0, berlin(2025, 3, 10, 7, 0)),
        ("weekly", NOW, "07:00", 0, berlin(2025, 3, 17, 7, 0)),
        ("weekly", NOW, "07:00", 4, berlin(2025, 3, 14, 7, 0)),
        # Across the change to summer time (30 March 2025): still 07:00 on the wall clock.
        ("daily", berlin(2025, 3, 29, 8, 0), "07:00", 0, berlin(2025, 3, 30, 7, 0)),
    ],
)
def test_due_at(mode: str, now: datetime, at: str, weekday: int, expected: datetime) -> None:
    assert due_at(mode, now=now, digest_time=at, weekday=weekday) == expected


@pytest.mark.parametrize(
    ("text", "day"), [("mo", 0), ("Montag", 0), ("fri", 4), ("So", 6), ("7", 6), ("x", None)]
)
def test_parse_weekday(text: str, day: int | None) -> None:
    assert parse_weekday(text) == day


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("anna@example.org", "anna@example.org"),
        (" Anna.Schaefer+ozg@Example.ORG ", "Anna.Schaefer+ozg@Example.ORG"),
        ("jörg@müller.de", None),
        ("joerg@müller.de", "joerg@xn--mller-kva.de"),
    ],
)
def test_check_email_accepts(raw: str, clean: str | None) -> None:
    if clean is None:
        with pytest.raises(SubscriptionError):
            check_email(raw)
    else:
        assert check_email(raw) == clean


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "anna",
        "anna@",
        "@example.org",
        "anna@example",
        "anna@@example.org",
        "anna@example.org\r\nBcc: x@evil.example",
        "Anna <anna@example.org>",
        "a@example.org, b@example.org",
        "anna..b@example.org",
        ".anna@example.org",
        "x" * 250 + "@example.org",
    ],
)
def test_check_email_refuses(raw: str) -> None:
    with pytest.raises(SubscriptionError, match="e-mail address"):
        check_email(raw)


def spec(**kw: object) -> SubscriptionSpec:
    return SubscriptionSpec(**({"email": "anna@example.org"} | kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({}, "nothing to follow"),
        ({"tags": ("",)}, "empty or too long"),
        ({"tags": ("OZG",), "sources": ("nope",)}, "unknown source 'nope'"),
        ({"tags": ("OZG",), "mode": "hourly"}, "mode 'hourly'"),
        ({"tags": ("OZG",), "mode": "daily", "digest_time": "25:00"}, "not HH:MM"),
        ({"queries": ('"digitale Verwaltung',)}, "keyword query"),
        ({"queries": ("  ",)}, "empty"),
    ],
)
def test_validation_errors_say_what_to_change(kw: dict[str, object], message: str) -> None:
    with pytest.raises(SubscriptionError, match=message):
        validate(spec(**kw), ["kommune21", "move"], now=NOW)


def test_validation_cleans() -> None:
    cleaned = validate(
        spec(tags=("„OZG“", "OZG", "Dortmund"), queries=(" Glasfaser   -Bayern ",), mode="daily",
             digest_time="7:05"),
        ["kommune21"],
        now=NOW,
    )  # fmt: skip
    assert cleaned.tags == ("OZG", "Dortmund")
    assert cleaned.queries == ("Glasfaser -Bayern",)
    assert cleaned.digest_time == "07:05"


def test_tokens_are_signed_and_bound_to_the_address(tmp_path: Path) -> None:
    settings = Settings.from_env({"KN_DATA_DIR": str(tmp_path)})
    secret = load_secret(settings, env={})
    path = tmp_path / "alerts-secret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_secret(settings, env={}) == secret  # generated once, then reused
    token = make_token(secret, [15, 12], "Anna@Example.org")
    assert token_ids(token) == [12, 15]
    assert token_valid(secret, token, "anna@example.org")
    assert not token_valid(secret, token, "bob@example.org")
    assert not token_valid(b"another secret of enough length", token, "anna@example.org")
    forged = token.replace("12-15", "12-16")
    assert not token_valid(secret, forged, "anna@example.org")
    assert token_ids("garbage") is None
    assert load_secret(settings, env={"KN_ALERTS_SECRET": "s" * 32}) == b"s" * 32
    with pytest.raises(ConfigError, match="at least"):
        load_secret(settings, env={"KN_ALERTS_SECRET": "short"})


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("Neu\r\nBcc: victim@evil.example", "Neu Bcc: victim@evil.example"),
        ("a\x00b\tc\u2028d", "a b c d"),
        ("x" * 300, "x" * 199 + "…"),
    ],
)
def test_header_safe(raw: str, safe: str) -> None:
    assert header_safe(raw) == safe


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.kommune21.de/a/", True),
        ("http://127.0.0.1:8021/a/", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example/", False),
        ("https://a.example/\r\nx", False),
        ("ftp://a.example/", False),
        (None, False),
    ],
)
def test_safe_url(url: str | None, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


def view(mode: str, *items: ItemView) -> EmailView:
    return EmailView(1, "anna@example.org", mode, "<x@y>", list(items), [(1, "OZG")])


def art(*reasons: tuple[str, str], source: str = "Kommune21") -> ItemView:
    return ItemView(
        "article", [ReasonView(k, label) for k, label in reasons], title=[("T", False)],
        source=source,
    )  # fmt: skip


def test_subjects() -> None:
    ozg, dortmund = ("tag", "OZG"), ("tag", "Dortmund")
    assert view("immediate", art(ozg)).subject == "1 neue Meldung zu OZG"
    three = view("immediate", art(ozg), art(ozg, dortmund), art(dortmund, ozg))
    assert three.subject == "3 neue Meldungen zu OZG, Dortmund"
    new_tag = ItemView("new_tag", [ReasonView("new_tag", "Open Data")], tag="Open Data")
    assert view("daily", art(ozg), new_tag).subject == (
        "Tagesübersicht: 1 neue Meldung zu OZG und neues Stichwort Open Data"
    )
    assert view("weekly", new_tag).subject == "Wochenübersicht: Neues Stichwort Open Data"
    assert view("immediate", art(("source", "move"), source="move")).subject == (
        "1 neue Meldung von move"
    )
    evil = ItemView("new_tag", [], tag="X\r\nBcc: victim@evil.example")
    assert "\n" not in view("immediate", evil).subject


def test_unsubscribe_link() -> None:
    header, url = unsubscribe_link(SmtpSettings(), "1.abc")
    assert header == "<mailto:alerts@kn-crawl.invalid?subject=unsubscribe%201.abc>"
    assert url is None
    one_click = SmtpSettings(unsubscribe_url="https://kn.example/unsubscribe")
    assert unsubscribe_link(one_click, "1.abc") == (
        "<https://kn.example/unsubscribe?token=1.abc>",
        "https://kn.example/unsubscribe?token=1.abc",
    )


def test_backfill_is_up_to_the_first_successful_run() -> None:
    first_ok = {1: 5}
    assert is_backfill(1, 3, first_ok)  # a failed first attempt
    assert is_backfill(1, 5, first_ok)
    assert not is_backfill(1, 6, first_ok)
    assert is_backfill(2, 9, first_ok)  # no successful run yet
    assert not is_backfill(1, None, first_ok)


def test_backoff_doubles_up_to_a_cap() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30) == BACKOFF_CAP


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KN_SMTP_TLS": "ssl"}, "KN_SMTP_TLS"),
        ({"KN_SMTP_PORT": "70000"}, "not a port"),
        ({"KN_SMTP_FROM": "nobody"}, "KN_SMTP_FROM"),
        ({"KN_SMTP_HOST": "a\r\nb"}, "single line"),
        ({"KN_UNSUBSCRIBE_URL": "javascript:x"}, "http"),
    ],
)
def test_smtp_settings_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_smtp_settings_defaults_and_no_password_field() -> None:
    s = Settings.from_env({"KN_SMTP_TLS": "tls", "KN_SMTP_PASSWORD": "sentinel-pw-123"})
    assert (s.smtp.port, s.smtp.tls, s.smtp.timeout) == (465, "tls", 30.0)
    assert "sentinel-pw-123" not in repr(s)
    assert Settings.from_env({"KN_SMTP_TLS": "plain"}).smtp.port == 25
