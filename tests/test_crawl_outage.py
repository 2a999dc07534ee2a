"""A database outage longer than a crawl's retries (about 8 s on the reactor thread): the
run cannot be closed, which is one line per run in the log, not a signal handler's
traceback; the run is left to the lease (``stale``)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from kn_crawl.db.engine import make_engine
from kn_crawl.mirror import Mirror
from tests.conftest import PostgresServer
from tests.crawling import background_crawl

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_a_long_outage_at_a_runs_end_is_one_line(postgres: PostgresServer) -> None:
    name = "kn_outage_at_close"
    url = postgres.create_database(name)
    admin = make_engine(postgres.url("postgres"), isolation_level="AUTOCOMMIT")
    db = make_engine(url)
    with (
        Mirror() as mirror,
        background_crawl(
            url, mirror, ["move"], env={"KN_DOWNLOAD_DELAY": "0.2", "KN_LEASE": "10"}
        ) as proc,
    ):
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never started"
            try:
                with db.connect() as conn:
                    # Mid-crawl: the run is open and has stored articles.
                    running = conn.execute(
                        text(
                            "SELECT count(*) FROM crawl_runs r WHERE r.status = 'running' "
                            "AND EXISTS (SELECT 1 FROM articles)"
                        )
                    ).scalar_one()
            except Exception:  # noqa: BLE001 - the schema may not be there yet
                running = 0
            if running:
                break
            time.sleep(0.2)
        db.dispose()
        # The outage: no new connection to the database, the open ones ended.
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": name},
            )
        try:
            _, stderr = proc.communicate(timeout=240)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    admin.dispose()
    assert "Error caught on signal handler" not in stderr, stderr[-4000:]
    assert "RunRecorder.spider_closed" not in stderr, stderr[-4000:]
    ends = [line for line in stderr.splitlines() if "is not recorded, the database is" in line]
    assert len(ends) == 1, stderr[-4000:]
    assert "crawl run 1 of move: its end (" in ends[0]
