"""Source health events reach the operators (KN_ADMIN_EMAIL) through the alert outbox: real
crawl runs recorded in SQLite, the real after-run hooks, a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from kn_crawl.alerts.delivery import send_due, write_dry_run
from kn_crawl.alerts.health_notices import queue_health_events
from kn_crawl.alerts.models import AlertEmail, AlertOutbox
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import table_of
from kn_crawl.db.state_models import HealthEvent
from kn_crawl.health import Evidence, record
from kn_crawl.hooks import AFTER_RUN_HOOKS, RunContext, run_hooks
from kn_crawl.settings import ConfigError, Settings
from tests.alerts_support import Desk, SmtpServer, item, settings_for

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
OPS, ONCALL = "ops@example.org", "oncall@example.org"
events_t = table_of(HealthEvent)
emails_t = table_of(AlertEmail)
outbox_t = table_of(AlertOutbox)


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

    def after_run(self, run_id: int, settings: Settings, now: datetime) -> None:
        ctx = RunContext(engine=self.engine, settings=settings, run_ids=(run_id,), now=now)
        assert all(o.ok for o in run_hooks(ctx, AFTER_RUN_HOOKS))

    def notified(self) -> list[bool]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(events_t.c.notified).order_by(events_t.c.id)).scalars())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with SmtpServer() as server:
        yield World(engine, Desk(engine), server, tmp_path, db_url)
    engine.dispose()


def test_a_failing_source_is_mailed_once_to_each_admin_then_its_recovery(world: World) -> None:
    settings = world.settings(KN_ADMIN_EMAIL=f"{OPS}, OnCall@Example.org")
    run_id = world.desk.crawl("move", [], now=T0, status="failed")
    world.after_run(run_id, settings, T0)

    for admin in (OPS, ONCALL):
        [mail] = world.server.recorder.to(admin)
        assert mail.rcpt_tos == [admin]
        assert mail.message["Subject"] == "kn-crawl: Quelle move ist failing"
        assert mail.message["List-Unsubscribe"] is None  # no subscription behind it
        for body in (mail.text, mail.html):
            assert "the crawl run ended failed (finished)" in body
            assert "https://x/" in body  # the run's base URL, the evidence's sample
            assert f"Lauf: {run_id}" in body
            assert "10.03.2025 10:00" in body
    assert world.notified() == [True]

    # The same run looked at again, and a later run still failing within the day: no new
    # event, and nothing is queued or sent twice.
    world.after_run(run_id, settings, T0 + timedelta(minutes=5))
    again = world.desk.crawl("move", [], now=T0 + timedelta(hours=1), status="failed")
    world.after_run(again, settings, T0 + timedelta(hours=1))
    assert queue_health_events(world.engine, settings.admin_emails, now=T0) == 0
    assert len(world.server.recorder.delivered) == 2

    later = T0 + timedelta(hours=2)
    ok = world.desk.crawl("move", [item("move", "Wieder da")], now=later)
    world.after_run(ok, settings, later)
    recovered = [d for d in world.server.recorder.delivered[2:]]
    assert sorted(r for d in recovered for r in d.rcpt_tos) == [ONCALL, OPS]
    assert {d.message["Subject"] for d in recovered} == {"kn-crawl: Quelle move ist wieder gesund"}
    assert "Status: healthy (vorher: failing)" in recovered[0].text
    assert world.notified() == [True, True]
    with world.engine.connect() as conn:
        statuses = conn.execute(select(emails_t.c.status, emails_t.c.mode)).all()
    assert statuses == [("sent", "health")] * 4


def test_without_admin_addresses_events_stay_recorded_only(world: World) -> None:
    run_id = world.desk.crawl("move", [], now=T0, status="failed")
    world.after_run(run_id, world.settings(), T0)
    assert world.notified() == [False]
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(emails_t)).scalar_one() == 0
    assert world.server.recorder.delivered == []

    # Configured later: the recorded event is then told, once.
    assert queue_health_events(world.engine, (OPS,), now=T0) == 1
    assert queue_health_events(world.engine, (OPS,), now=T0) == 0
    assert world.notified() == [True]


def test_old_events_are_not_mailed_when_admin_mail_is_switched_on(world: World) -> None:
    run_id = world.desk.crawl("move", [], now=T0, status="failed")
    world.after_run(run_id, world.settings(), T0)  # no KN_ADMIN_EMAIL yet: recorded only
    later = T0 + timedelta(days=30)
    assert queue_health_events(world.engine, (OPS,), now=later) == 0
    assert world.notified() == [True]
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(emails_t)).scalar_one() == 0


def test_scraped_evidence_is_escaped_and_injects_no_header(world: World) -> None:
    hostile = "<script>alert(1)</script>\r\nBcc: evil@example.org"
    sid = world.desk.source_id("move")
    run_id = world.desk.crawl("move", [], now=T0)
    with world.engine.begin() as conn:
        record(
            conn,
            sid,
            run_id,
            [
                Evidence("coverage", "degraded", f"teaser missing {hostile}", 0.1, 0.9,
                         sample_url="https://www.move-online.de/a-1/\r\nBcc: evil@example.org"),
                Evidence("errors", "degraded", "2 of 3 requests failed",
                         sample_url="javascript:alert(1)"),
                Evidence("coverage", "degraded", "kicker", sample_url="https://m.example/?q=<b>"),
            ],
            now=T0,
        )  # fmt: skip
    settings = world.settings(KN_ADMIN_EMAIL=OPS)
    assert queue_health_events(world.engine, (OPS,), now=T0) == 1
    [path] = write_dry_run(world.engine, settings, world.tmp / "eml", now=T0)
    head = path.read_bytes().split(b"\r\n\r\n", 1)[0]
    assert b"Bcc" not in head and b"Subject: kn-crawl: Quelle move ist degraded" in head

    assert send_due(world.engine, settings, now=T0).sent == 1  # `kn-crawl alerts send`
    [mail] = world.server.recorder.delivered
    assert mail.rcpt_tos == [OPS]
    message = mail.message
    assert message["Bcc"] is None
    assert set(message.keys()) == {
        "From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "MIME-Version",
        "Content-Type",
    }  # fmt: skip
    assert message["Subject"] == "kn-crawl: Quelle move ist degraded"
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "https://m.example/?q=&lt;b&gt;" in mail.html
    assert "javascript:" not in mail.html + mail.text
    assert "https://www.move-online.de/a-1/" not in mail.html + mail.text  # not a clean URL
    # The message stays one line in the body, so nothing in it starts a line of its own.
    assert "teaser missing <script>alert(1)</script> Bcc: evil@example.org" in mail.text
    assert "Wert: 0.1 · üblich: 0.9" in mail.text


def test_admin_addresses_are_validated() -> None:
    with pytest.raises(ConfigError, match="KN_ADMIN_EMAIL"):
        Settings.from_env({"KN_ADMIN_EMAIL": "ops@example.org\r\nBcc: evil@example.org"})
    assert Settings.from_env(
        {"KN_ADMIN_EMAIL": " ,Ops@Example.org,ops@example.org"}
    ).admin_emails == ("ops@example.org",)
