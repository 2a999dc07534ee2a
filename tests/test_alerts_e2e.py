"""The whole cycle against the mirror, in real processes: subscribe, crawl (a backfill that
alerts nobody), publish, crawl again, match and send over STARTTLS with AUTH — then a search
of every log, the database and every file written for the SMTP password."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kn_crawl.db.engine import make_engine
from kn_crawl.hooks import AFTER_RUN_HOOKS, RunContext, run_hooks
from kn_crawl.mirror import Mirror
from kn_crawl.settings import Settings
from tests.alerts_support import Recorder, SmtpServer, make_ca
from tests.crawling import crawl

SENTINEL = "Sentinel-SMTP-Passw0rd-7f3a9c"

pytestmark = pytest.mark.slow


def kn(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kn_crawl", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_crawl_match_send_cycle_never_leaks_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ca = make_ca(tmp_path / "ca")
    recorder = Recorder(password=SENTINEL)
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    logs: list[str] = []
    with (
        Mirror() as mirror,
        SmtpServer(recorder, tls_context=ca.server_context(), require_starttls=True) as server,
    ):
        kn_env = server.env("starttls") | {
            "KN_DATABASE_URL": db_url,
            "KN_DATA_DIR": str(tmp_path / "data"),
            "KN_SMTP_USER": "kn-alerts",
            "KN_SMTP_PASSWORD": SENTINEL,
            "KN_SMTP_CA_FILE": str(ca.ca_file),
            "KN_LOG_LEVEL": "DEBUG",
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")} | kn_env

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            out = kn(*args, env=env, cwd=tmp_path)
            logs.extend([out.stdout, out.stderr])
            assert out.returncode == 0, out.stderr[-3000:]
            return out

        run("subscribe", "anna@example.org", "--source", "kommune21")
        run("subscribe", "bob@example.org", "--tag", "OZG", "--new-tags", "--mode", "daily")
        first = crawl(db_url, mirror, env=kn_env)
        logs.extend([first.stdout, first.stderr])
        assert first.returncode == 0, first.stderr[-3000:]
        assert "queued 0 alerts" in run("alerts", "match").stdout
        run("alerts", "send")
        assert recorder.delivered == []  # the backfill alerted nobody

        new_urls = mirror.publish("kommune21", 2)
        second = crawl(db_url, mirror, ["kommune21"], env=kn_env)
        logs.extend([second.stdout, second.stderr])
        assert second.returncode == 0, second.stderr[-3000:]
        # This time through the after-run hook, as the scheduler runs it.
        for key, value in kn_env.items():
            monkeypatch.setenv(key, value)
        settings = Settings.from_env()
        engine = make_engine(db_url)
        caplog.set_level(logging.DEBUG)
        outcomes = run_hooks(RunContext(engine, settings, (), datetime.now(UTC)), AFTER_RUN_HOOKS)
        assert all(o.ok for o in outcomes), outcomes
        logs.append(caplog.text)
        engine.dispose()
        run("alerts", "send", "--dry-run", str(tmp_path / "eml"))
        status = run("alerts", "status").stdout
        assert "1 sent" in status

    (mail,) = recorder.delivered
    assert mail.rcpt_tos == ["anna@example.org"] and recorder.logins == ["kn-alerts"]
    assert mail.message["Subject"] == "2 neue Meldungen von Kommune21"
    assert all(url in mail.text for url in new_urls)

    leaks = [text for text in logs if SENTINEL in text]
    assert not leaks, leaks[0][:2000]
    with sqlite3.connect(tmp_path / "kn.sqlite3") as conn:
        dump = "\n".join(conn.iterdump())
    assert "anna@example.org" in dump and SENTINEL not in dump
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".eml" for p in written) or (tmp_path / "eml").exists()
    assert [p for p in written if SENTINEL.encode() in p.read_bytes()] == []
