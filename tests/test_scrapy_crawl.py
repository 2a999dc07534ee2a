"""`scrapy crawl <source>` from the repository root works as in any Scrapy project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kn_crawl.mirror import Mirror
from tests.crawling import REPO, Db


def test_scrapy_crawl_from_the_repository_root(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env |= {"KN_DATABASE_URL": db_url, "KN_AUTOTHROTTLE_START_DELAY": "0"}
    with Mirror() as mirror:
        out = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "move", "-a",
             f"base_url={mirror.base_urls['move']}"],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr
    db = Db(db_url)
    assert db.articles_by_source() == {"move": 35}
    assert [r.status for r in db.runs()] == ["ok"]
    db.close()
