"""The catalogue into ``sources``, from the processes that own the schedule: ``kn-crawl
schedule`` and ``kn-crawl worker`` at start and at every tick, and ``kn-crawl crawl`` for the
sources it crawls only.

A tick reads the catalogue and the schedule again (cheap: ``load_catalog`` caches by file
stamp) and writes the table only when their fingerprint differs from what this process last
wrote, so a catalogue or schedule change reaches a running node within one tick, and an
unchanged one costs no query. A bad catalogue or schedule file at a tick is one line in the
log and the table keeps the last good state: a typo never stops a node.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from kn_crawl.catalog.model import SourceEntry
from kn_crawl.catalog.sync import EffectiveSchedule, SyncResult, row_values, sync_catalog
from kn_crawl.settings import ConfigError, Settings, redact_secrets

logger = logging.getLogger(__name__)

_written: dict[str, str] = {}
"""Per database URL: the fingerprint this process last wrote (or found written)."""
_failed: dict[str, str] = {}
"""Per database URL: the last error logged at a tick, so a bad file is one line, not one per
tick."""
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Effective:
    catalog: Mapping[str, SourceEntry]
    schedules: Mapping[str, EffectiveSchedule]

    def fingerprint(self) -> str:
        """What the sync would write, hashed: catalogue values and effective schedules."""
        rows = {
            name: row_values(entry, self.schedules.get(name))
            for name, entry in sorted(self.catalog.items())
        }
        text = json.dumps(rows, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def load_effective(settings: Settings, schedule_file: Path | None = None) -> Effective:
    """The configured catalogue with each source's effective schedule (``KN_SCHEDULE_*`` or
    the schedule file over the catalogue's ``schedule``). Raises ConfigError."""
    from kn_crawl.catalog.load import load_catalog
    from kn_crawl.scheduler.config import load_schedule

    catalog = load_catalog(settings)
    config = load_schedule(
        {e.name: e.schedule for e in catalog.values()}, path=schedule_file, known=list(catalog)
    )
    schedules = {name: EffectiveSchedule(s.text, s.enabled) for name, s in config.sources.items()}
    return Effective(dict(catalog.items()), schedules)


def write_catalog(
    engine: Engine,
    settings: Settings,
    schedule_file: Path | None = None,
    *,
    only: Collection[str] | None = None,
) -> SyncResult:
    """Load and write the catalogue now (ConfigError, SQLAlchemyError raised). ``only``: the
    rows of these sources alone, without their schedule or enabled state (a crawl by hand;
    see ``sync_catalog``)."""
    effective = load_effective(settings, schedule_file)
    with engine.begin() as conn:
        result = sync_catalog(conn, effective.catalog, effective.schedules, only=only)
    if only is None:
        with _lock:
            _written[settings.database_url] = effective.fingerprint()
    return result


def refresh_catalog(
    engine: Engine, settings: Settings, schedule_file: Path | None = None
) -> SyncResult | None:
    """At a tick: write the catalogue when it changed since this process last wrote it
    (None: unchanged, or not written). Never raises for a bad file or a database error: one
    warning line, and the table keeps its last good state."""
    key = settings.database_url
    try:
        effective = load_effective(settings, schedule_file)
        fingerprint = effective.fingerprint()
        with _lock:
            if _written.get(key) == fingerprint:
                _failed.pop(key, None)
                return None
        with engine.begin() as conn:
            result = sync_catalog(conn, effective.catalog, effective.schedules)
    except (ConfigError, SQLAlchemyError) as exc:
        from kn_crawl.db.errors import db_error_line

        line = db_error_line(exc) if isinstance(exc, SQLAlchemyError) else str(exc)
        line = redact_secrets(" ".join(line.split()), os.environ)
        with _lock:
            repeated = _failed.get(key) == line
            _failed[key] = line
        if not repeated:
            logger.warning("catalogue not synced, the last good one stays: %s", line)
        return None
    with _lock:
        _written[key] = fingerprint
        _failed.pop(key, None)
    if result.added or result.updated or result.retired:
        logger.info(
            "catalogue synced: %d added, %d updated, %d retired",
            len(result.added),
            len(result.updated),
            len(result.retired),
        )
    return result
