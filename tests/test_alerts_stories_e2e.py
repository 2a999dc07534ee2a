"""End to end, in real processes, on SQLite and PostgreSQL: the mirror's triple-published
press release (three sources, three titles) is crawled, clustered into one story by the store,
and a channel subscriber gets ONE alert for it naming all three sources — delivered to a JSON
webhook on 127.0.0.1 whose token never shows in any output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from kn_crawl.alerts.models import AlertOutbox
from kn_crawl.db.engine import make_engine
from kn_crawl.db.models import Source, table_of
from kn_crawl.mirror import Mirror
from kn_crawl.mirror.zoo.planted import STORY_COPIES, TRIPLE_PUBLISHED
from tests.alerts_support import Receiver
from tests.crawling import crawl

pytestmark = pytest.mark.slow

SOURCES = tuple(STORY_COPIES)  # dstgb, behoerdenspiegel, egovernment
TOKEN = "hook-T0KEN-9d2e51"


def test_the_triple_published_release_alerts_once_with_its_three_sources(
    db_url: str, tmp_path: Path
) -> None:
    with Mirror(zoo=True) as mirror, Receiver() as receiver:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")} | {
            "KN_DATABASE_URL": db_url,
            "KN_DATA_DIR": str(tmp_path / "data"),
            "KN_CHANNEL_TIMEOUT": "5",
        }
        outputs: list[str] = []

        def kn(*args: str) -> str:
            out = subprocess.run(
                [sys.executable, "-m", "kn_crawl", *args],
                env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            outputs.extend([out.stdout, out.stderr])
            assert out.returncode == 0, out.stderr[-3000:]
            return out.stdout

        url = f"json://127.0.0.1:{receiver.port}/alerts/{TOKEN}"
        kn("subscribe", "--channel", url, "--tag", "Deutschland-Stack")
        done = crawl(db_url, mirror, SOURCES, env={"KN_DATA_DIR": str(tmp_path / "data")})
        outputs.extend([done.stdout, done.stderr])
        assert done.returncode == 0, done.stderr[-3000:]
        # The first crawl is a backfill; the test wants its articles alerted.
        assert "queued 1 alerts in 1 new messages" in kn("alerts", "match", "--include-backfill")
        assert kn("alerts", "send").startswith("Sent 1, to retry 0, failed 0")
        listing = kn("subscriptions")
        assert f"json://127.0.0.1:{receiver.port}/…" in listing

    engine = make_engine(db_url)
    with engine.connect() as conn:
        (entry,) = conn.execute(select(table_of(AlertOutbox))).all()
        titles = dict(conn.execute(select(Source.name, Source.title)).all())
    engine.dispose()
    assert entry.item_key.startswith("story:")
    (got,) = receiver.received
    assert got.path == f"/alerts/{TOKEN}"
    data = json.loads(got.body)
    assert data["title"] == "1 neue Meldung zu Deutschland-Stack"
    text = data["message"]
    first = STORY_COPIES["dstgb"]
    assert text.startswith(f"{first['title']}\n27.01.2025 · {titles['dstgb']}\n")
    others = f"{titles['behoerdenspiegel']}, {titles['egovernment']}"
    assert f"\nAuch berichtet von: {others}\n" in text
    assert TRIPLE_PUBLISHED == "deutschland-stack-2025-01"
    assert [o for o in outputs if TOKEN in o] == []
