"""A sender killed after the server accepted an e-mail but before it recorded "sent": the
e-mail is sent again after the lease, once, with the same Message-ID — nothing is lost.

The kill is real: ``kn-crawl alerts send`` runs in a subprocess; when the SMTP server gets the
message it takes the SQLite write lock before answering 250, so the sender (which got its 250)
blocks on recording "sent", and is SIGKILLed there."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from kn_crawl.alerts.delivery import send_due
from kn_crawl.alerts.matching import match
from kn_crawl.alerts.models import AlertEmail
from kn_crawl.alerts.subscriptions import SubscriptionSpec, subscribe
from kn_crawl.alerts.vocabulary import load_vocabulary
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import table_of
from tests.alerts_support import Desk, SmtpServer, item, settings_for

REPO = Path(__file__).resolve().parent.parent


def test_kill_between_smtp_success_and_mark_sent(tmp_path: Path) -> None:
    db_path = tmp_path / "kn.sqlite3"
    db_url = f"sqlite:///{db_path}"
    engine = make_engine(db_url)
    upgrade(engine)
    now = datetime.now(UTC)
    desk = Desk(engine)
    desk.crawl("kommune21", [item("kommune21", "Alt", ["OZG"])], now=now)  # backfill
    subscribe(engine, SubscriptionSpec("anna@example.org", tags=("OZG",)), now=now)
    desk.crawl("kommune21", [item("kommune21", "Neu", ["OZG"])], now=now)
    match(engine, now=now, vocabulary=load_vocabulary())

    blocker = sqlite3.connect(db_path, isolation_level=None, timeout=30, check_same_thread=False)
    accepted = threading.Event()

    def hold_the_database(_envelope: object) -> None:
        blocker.execute("BEGIN IMMEDIATE")
        accepted.set()

    with SmtpServer() as server:
        server.recorder.on_data = hold_the_database
        env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
        env |= server.env() | {"KN_DATABASE_URL": db_url, "KN_DATA_DIR": str(tmp_path / "data")}
        sender = subprocess.Popen(
            [sys.executable, "-m", "kn_crawl", "alerts", "send"],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            assert accepted.wait(30), sender.communicate(timeout=5)
            time.sleep(0.5)  # the 250 reaches the sender, which now waits to record "sent"
            assert sender.poll() is None, "the sender must still be waiting for the database"
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=10)
        finally:
            if sender.poll() is None:
                sender.kill()
            blocker.execute("ROLLBACK")
            blocker.close()
        server.recorder.on_data = None

        t = table_of(AlertEmail)
        with engine.connect() as conn:
            (row,) = conn.execute(select(t)).all()
        assert row.status == "pending" and row.claimed_by is not None  # the dead sender's lease
        settings = settings_for(db_url, tmp_path / "data", **server.env())
        assert send_due(engine, settings, now=datetime.now(UTC)).sent == 0  # lease still held
        later = datetime.now(UTC) + timedelta(minutes=11)
        assert send_due(engine, settings, now=later).sent == 1
        assert send_due(engine, settings, now=later + timedelta(minutes=11)).sent == 0

    first, second = server.recorder.delivered
    assert (
        first.message["Message-ID"]
        == second.message["Message-ID"]
        == (f"<kn-alert.{row.message_id}@kn-crawl.invalid>")
    )
    with engine.connect() as conn:
        assert conn.execute(select(t.c.status)).scalar_one() == "sent"
    engine.dispose()
