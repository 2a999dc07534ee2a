"""The alert commands: one-line errors, offline unsubscribe, listings, status, and the demo."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kn_crawl.cli import main
from kn_crawl.db.engine import get_engine

REPO = Path(__file__).resolve().parent.parent


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for key in list(os.environ):
        if key.startswith("KN_"):
            monkeypatch.delenv(key)
    url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    monkeypatch.setenv("KN_DATABASE_URL", url)
    monkeypatch.setenv("KN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    get_engine(url).dispose()
    get_engine.cache_clear()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["anna"], "'anna' is not an e-mail address like name@example.org"),
        (["anna@example.org"], "nothing to follow"),
        (["anna@example.org", "-q", '"offen'], "keyword query '\"offen'"),
        (["anna@example.org", "-t", "OZG", "-s", "zeitung"], "unknown source 'zeitung'"),
        (["anna@example.org", "-t", "OZG", "--mode", "daily", "--at", "7 Uhr"], "not HH:MM"),
        (["anna@example.org", "-t", "OZG", "--mode", "weekly", "--weekday", "xx"], "not a weekday"),
    ],
)
def test_subscribe_errors_are_one_line(env: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["subscribe", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_subscribe_list_and_unsubscribe_with_the_token(env: Path) -> None:
    out = invoke("subscribe", "anna@example.org", "-t", "OZG", "-t", "Dortmund",
                 "--mode", "weekly", "--weekday", "fr", "--at", "8:15").output  # fmt: skip
    assert "Subscription 1 for anna@example.org created" in out
    assert "Stichwörter OZG, Dortmund (wöchentlich am Freitag um 08:15)" in out
    token = out.split("--token ")[1].split()[0]
    assert "already exists" in invoke("subscribe", "anna@example.org", "-t", "OZG", "-t",
                                      "Dortmund", "--mode", "weekly", "--weekday", "fr",
                                      "--at", "08:15").output  # fmt: skip
    (row,) = [json.loads(line) for line in invoke("subscriptions", "--json").output.splitlines()]
    assert row["tags"] == ["OZG", "Dortmund"] and row["digest_weekday"] == 4

    forged = CliRunner().invoke(main, ["unsubscribe", "--token", token[:-2] + "AA"])
    assert forged.exit_code == 2 and "invalid" in forged.output
    assert "Unsubscribed: 1" in invoke("unsubscribe", "--token", token).output
    assert "anna@example.org" not in invoke("subscriptions").output
    assert "ended" in invoke("subscriptions", "--all").output


def test_send_needs_a_server_or_dry_run(env: Path) -> None:
    invoke("db", "upgrade")
    # Without KN_SMTP_HOST only channel messages go; queued e-mails make it fail (below).
    assert invoke("alerts", "send").output == "Sent 0, to retry 0, failed 0\n"
    from tests.alerts_support import Desk, item

    invoke("subscribe", "anna@example.org", "-t", "OZG")
    engine = get_engine(os.environ["KN_DATABASE_URL"])
    now = datetime.now(UTC)
    for title in ("Alt", "Neu"):
        Desk(engine).crawl("kommune21", [item("kommune21", title, ["OZG"])], now=now)
    invoke("alerts", "match")
    result = CliRunner().invoke(main, ["alerts", "send"])
    assert result.exit_code == 2
    assert "no SMTP server configured (set KN_SMTP_HOST): 1 e-mails stay queued" in result.output
    ok = invoke("alerts", "send", "--dry-run", str(env / "out"))
    assert f"Wrote 1 messages to {env / 'out'} (1 e-mails, 0 channel messages)\n" in ok.output


def test_status_shows_failures_with_the_server_answer(env: Path) -> None:
    from sqlalchemy import update

    from kn_crawl.alerts.outbox import emails_t
    from tests.alerts_support import Desk, item

    invoke("subscribe", "anna@example.org", "-t", "OZG")
    engine = get_engine(os.environ["KN_DATABASE_URL"])
    now = datetime.now(UTC)
    Desk(engine).crawl("kommune21", [item("kommune21", "Alt", ["OZG"])], now=now)
    Desk(engine).crawl("kommune21", [item("kommune21", "Neu", ["OZG"])], now=now)
    assert "queued 1 alerts" in invoke("alerts", "match").output
    with engine.begin() as conn:
        conn.execute(update(emails_t).values(status="failed", last_error="550 5.1.1 unknown"))
    out = invoke("alerts", "status").output
    assert out.startswith(
        "Messages: 0 sent, 0 due now, 0 waiting (digest time or retry), 1 failed; "
        "1 alerts queued in total\n"
    )
    assert "550 5.1.1 unknown" in out


@pytest.mark.slow
def test_demo_writes_the_sample_alerts_as_eml(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATA_DIR"] = str(tmp_path / "data")
    out = subprocess.run(
        [sys.executable, "-m", "kn_crawl", "demo", "--port", "0"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Alerts: sample subscription for analyst@example.org" in out.stdout
    folder = tmp_path / "data" / "demo-alerts"
    assert f"written as e-mails (not sent) to {folder}" in out.stdout
    (eml,) = folder.glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "analyst@example.org"
    assert re.fullmatch(r"\d+ neue Meldungen zu .*OZG.*", msg["Subject"])
    assert "Warum: Stichwort „OZG“" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
