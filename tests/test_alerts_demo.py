"""The demo's alerts are written to files and marked ``written``: a real sender started later
(``alerts send``, the web process's courier) never mails the sample subscriber."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from kn_crawl.alerts.delivery import send_due
from kn_crawl.alerts.demo import demo_alerts
from kn_crawl.alerts.models import AlertEmail
from kn_crawl.db.models import table_of
from tests.alerts_support import Desk, SmtpServer, item, settings_for

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def test_what_the_demo_wrote_is_never_sent_later(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    Desk(engine).crawl("kommune21", [item("kommune21", "OZG-Portal startet", ["OZG"])], now=T0)
    settings = settings_for(db_url, tmp_path / "data")
    shown = demo_alerts(engine, settings, now=T0)
    assert shown.subscription_created and shown.queued == 1
    t = table_of(AlertEmail)
    with engine.connect() as conn:
        (row,) = conn.execute(select(t)).all()
    assert shown.files == [tmp_path / "data" / "demo-alerts" / f"alert-{row.id:06d}.eml"]
    assert (row.recipient, row.status, row.sent_at) == ("analyst@example.org", "written", T0)

    with SmtpServer() as server:
        real = settings_for(db_url, tmp_path / "data", **server.env())
        result = send_due(engine, real, now=T0 + timedelta(days=1), retry_now=True)
    assert (result.sent, result.retry, result.failed) == (0, 0, 0)
    assert server.recorder.delivered == []
    # A second demo: nothing new, nothing rewritten, still nothing to send.
    again = demo_alerts(engine, settings, now=T0 + timedelta(days=1))
    assert (again.subscription_created, again.queued, again.files) == (False, 0, [])


def test_the_demo_leaves_real_subscribers_messages_alone(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """On a database with subscriptions of its own, the demo adds no sample, and whatever it
    matches for the real subscribers stays pending for the real sender: never written to
    demo-alerts, never marked done."""
    from kn_crawl.alerts.subscriptions import SubscriptionSpec, subscribe

    subscribe(engine, SubscriptionSpec(email="bob@example.org", tags=("OZG",)), now=T0)
    Desk(engine).crawl("kommune21", [item("kommune21", "OZG-Portal startet", ["OZG"])], now=T0)
    settings = settings_for(db_url, tmp_path / "data")
    shown = demo_alerts(engine, settings, now=T0)
    assert (shown.subscription_created, shown.queued, shown.files) == (False, 1, [])
    t = table_of(AlertEmail)
    with engine.connect() as conn:
        (row,) = conn.execute(select(t)).all()
    assert (row.recipient, row.status, row.sent_at) == ("bob@example.org", "pending", None)
