"""Exactly one scheduler per database: an OS file lock for SQLite, an advisory lock for
PostgreSQL (held by a dedicated connection for the scheduler's lifetime)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection, make_url

from kn_crawl.db.locks import SCHEDULER

# The advisory lock key of "the kn-crawl scheduler" (kn_crawl.db.locks holds them all).
PG_LOCK_KEY = SCHEDULER


class AlreadyRunning(RuntimeError):
    """Another scheduler holds the lock for this database."""


class SchedulerLock:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._file: IO[str] | None = None
        self._conn: Connection | None = None

    def acquire(self) -> None:
        url = make_url(str(self.engine.url))
        if url.get_backend_name() == "sqlite":
            database = url.database
            if not database or database == ":memory:":
                return
            path = Path(database + ".scheduler.lock")
            handle = open(path, "a+")  # noqa: SIM115 - held until release()
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise AlreadyRunning(
                    f"another scheduler ({holder}) is running for {database}"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            self._file = handle
        elif url.get_backend_name() == "postgresql":
            conn = self.engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY})
            if not got.scalar():
                conn.close()
                raise AlreadyRunning("another scheduler is running for this database")
            conn.commit()
            self._conn = conn

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._conn is not None:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
