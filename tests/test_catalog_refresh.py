"""Who writes the catalogue into ``sources``: the schedule-owning processes write it all and
pick a change up at their tick; a crawl by hand writes the rows of its own sources only,
never the schedule or enabled state of the cluster."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from kn_crawl.catalog.refresh import write_catalog
from kn_crawl.catalog.sync import SCHEDULE_OFF, SyncResult
from kn_crawl.db.models import Source, table_of
from kn_crawl.scheduler.config import load_schedule
from kn_crawl.scheduler.service import Scheduler
from kn_crawl.settings import Settings
from tests.crawling import only_sources

sources_t = table_of(Source)
SOURCES = ("kommune21", "move", "stadtundwerk")


def state(engine: Engine) -> dict[str, tuple[object, ...]]:
    """Each source of the test: enabled, disabled reason, schedule, base URL."""
    with engine.connect() as conn:
        found = conn.execute(
            select(
                Source.name,
                Source.enabled,
                Source.disabled_reason,
                Source.schedule,
                Source.base_url,
            ).where(Source.name.in_(SOURCES))
        ).all()
    return {r.name: tuple(r)[1:] for r in found}


@pytest.fixture
def cluster_env(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A node's environment: a catalogue of the three test sources, kommune21 turned off."""
    for key in [k for k in os.environ if k.startswith("KN_")]:
        monkeypatch.delenv(key)
    catalog = tmp_path / "kn-sources.toml"
    catalog.write_text(only_sources(SOURCES))
    monkeypatch.setenv("KN_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("KN_SOURCES_FILE", str(catalog))
    monkeypatch.setenv("KN_SCHEDULE_KOMMUNE21", "off")
    monkeypatch.chdir(tmp_path)  # no ./kn-crawl.toml of the repository
    return catalog


def test_a_crawl_by_hand_writes_its_own_rows_only(
    engine: Engine, cluster_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_catalog(engine, Settings.from_env())
    before = state(engine)
    assert before == {
        "kommune21": (False, SCHEDULE_OFF, "2700s", "https://www.kommune21.de/"),
        "move": (True, None, "2700s", "https://www.move-online.de/"),
        "stadtundwerk": (True, None, "2700s", "https://www.stadt-und-werk.de/"),
    }
    # A shell with another environment crawls stadtundwerk by hand.
    monkeypatch.delenv("KN_SCHEDULE_KOMMUNE21")
    monkeypatch.setenv("KN_SCHEDULE_MOVE", "cron:0 3 * * *")
    monkeypatch.setenv("KN_SCHEDULE_STADTUNDWERK", "off")
    monkeypatch.setenv("KN_BASE_URL_STADTUNDWERK", "http://127.0.0.2:8080/")
    result = write_catalog(engine, Settings.from_env(), only=["stadtundwerk"])
    assert result == SyncResult(updated=("stadtundwerk",))
    assert state(engine) == {
        **before,
        # Its base URL as the crawl sees it; its schedule and enabled state untouched.
        "stadtundwerk": (True, None, "2700s", "http://127.0.0.2:8080/"),
    }
    # A source the table does not know yet gets its whole row (due now).
    with engine.begin() as conn:
        conn.execute(sources_t.delete().where(sources_t.c.name == "move"))
    assert write_catalog(engine, Settings.from_env(), only=["move"]) == SyncResult(added=("move",))
    assert state(engine)["move"] == (True, None, "cron:0 3 * * *", "https://www.move-online.de/")
    assert state(engine)["kommune21"] == before["kommune21"]


def test_the_scheduler_tick_writes_a_changed_catalogue_and_survives_a_bad_one(
    engine: Engine,
    cluster_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings.from_env()
    write_catalog(engine, settings)  # as `kn-crawl schedule` does at start
    with engine.begin() as conn:
        # Nothing due: the ticks of this test only sync, they start no batch.
        conn.execute(update(sources_t).values(next_due_at=datetime(2999, 1, 1, tzinfo=UTC)))
    scheduler = Scheduler(
        engine=engine,
        settings=settings,
        config=load_schedule(list(SOURCES)),
        watch_catalog=True,
    )
    caplog.set_level(logging.INFO, logger="kn_crawl.catalog.refresh")
    assert scheduler.tick() == []
    assert caplog.messages == []  # unchanged: nothing read from the table, nothing written
    before = state(engine)

    # The operator turns kommune21 on again and moves move to a cron schedule.
    monkeypatch.delenv("KN_SCHEDULE_KOMMUNE21")
    monkeypatch.setenv("KN_SCHEDULE_MOVE", "cron:0 3 * * *")
    assert scheduler.tick() == []
    assert state(engine) == {
        **before,
        "kommune21": (True, None, "2700s", "https://www.kommune21.de/"),
        "move": (True, None, "cron:0 3 * * *", "https://www.move-online.de/"),
    }
    assert caplog.messages == ["catalogue synced: 0 added, 2 updated, 0 retired"]
    good = state(engine)

    # A broken catalogue file: one line for any number of ticks, the last good state stays.
    caplog.clear()
    cluster_env.write_text("[sources.move\n")
    monkeypatch.setenv("KN_SCHEDULE_MOVE", "2h")
    assert scheduler.tick() == [] and scheduler.tick() == []
    assert state(engine) == good
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith("catalogue not synced, the last good one stays: ")
    assert str(cluster_env) in caplog.messages[0]

    # Repaired: the change made meanwhile arrives at the next tick.
    caplog.clear()
    cluster_env.write_text(only_sources(SOURCES))
    assert scheduler.tick() == []
    assert state(engine)["move"] == (True, None, "7200s", "https://www.move-online.de/")
    assert caplog.messages == ["catalogue synced: 0 added, 1 updated, 0 retired"]
