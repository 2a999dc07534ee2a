"""Every PostgreSQL advisory-lock key kn-crawl takes, in one place, so a new one cannot collide
with an old one by accident (two rooms taking the same key would serialise each other, or
worse, one would wait on a lock it thinks is its own).

Two-integer keys ``(class, n)``: the class names the room, ``n`` the thing inside it. Class
2121's ``n`` is a source id (1 and up) for the store's per-source writers; 0 and -1 are taken
by the job-queue schema set-up and migrations. The scheduler's single-key lock (``SCHEDULER``)
lives in PostgreSQL's other key space (one bigint), apart from all of these.

On SQLite there is nothing to take: its writers are serialised by ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

STORE_SOURCE = 2121
"""Class of the store's per-source lock: ``(2121, source_id)``."""
JOB_QUEUE_SCHEMA = (2121, 0)
"""Applying procrastinate's schema (kn_crawl.cluster), session-scoped."""
MIGRATIONS = (2121, -1)
"""``kn-crawl migrate`` / ``upgrade`` on several nodes at once, session-scoped."""
STORIES = (2122, 0)
"""The clustering step (kn_crawl.stories.clustering)."""
MATCHING = (2122, 1)
"""Alert matching: one matcher at a time (kn_crawl.alerts.matching)."""
SELF_SERVICE = (2123, 1)
"""Web self-service limits checked and written at once (kn_crawl.alerts.selfservice)."""
SCHEDULER = 21_2021
"""The scheduler's single bigint key (kn_crawl.scheduler.lock), session-scoped."""

PAIRS = {
    "JOB_QUEUE_SCHEMA": JOB_QUEUE_SCHEMA,
    "MIGRATIONS": MIGRATIONS,
    "STORIES": STORIES,
    "MATCHING": MATCHING,
    "SELF_SERVICE": SELF_SERVICE,
}
"""The fixed two-integer keys (the store's are ``(STORE_SOURCE, id)`` with ids from 1)."""


def source_key(source_id: int) -> tuple[int, int]:
    if source_id < 1:
        raise ValueError(f"source id {source_id} would take a reserved lock key")
    return (STORE_SOURCE, source_id)


def xact_lock(conn: Connection, key: tuple[int, int]) -> None:
    """Hold ``key`` until the transaction ends (PostgreSQL; nothing on SQLite)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": key[0], "b": key[1]})


def session_lock(conn: Connection, key: tuple[int, int]) -> None:
    """Hold ``key`` until ``session_unlock`` (PostgreSQL only; callers check the dialect)."""
    conn.execute(text("SELECT pg_advisory_lock(:a, :b)"), {"a": key[0], "b": key[1]})


def session_unlock(conn: Connection, key: tuple[int, int]) -> None:
    conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), {"a": key[0], "b": key[1]})
