"""Host ownership on PostgreSQL: one session-level advisory lock per web host.

A batch process opens one dedicated connection for its whole life and takes
``pg_try_advisory_lock(key)`` for each web host of its sources; another process (on any
node) that tries the same host gets ``false`` and records its sources as ``skipped``
(``host_busy``). The locks live as long as the session: a crawl process that dies (kill -9,
a lost node) loses them with its connection, at once or when PostgreSQL notices the dead
peer; a frozen one keeps them until the reaper ends its session by name
(``application_name``, see ``kn_crawl.cluster.lease.lock_holder_name``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Sequence

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from kn_crawl.cluster.lease import lock_holder_name
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "kn-crawl host:"


def host_key(host: str) -> int:
    """A stable signed 64-bit advisory-lock key for a web host (the same on every node and
    Python version: not ``hash()``)."""
    digest = hashlib.blake2b((KEY_PREFIX + host).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_current: PgHostOwnership | None = None
"""This process's ownership (a batch process holds one), for :func:`hosts_lost`."""


def hosts_lost() -> list[str]:
    """Hosts this process owned whose locks went with their session (a database restart)
    and which another process took meanwhile: its crawls of them must stop. Called by each
    heartbeat; a session found dead is replaced and its hosts taken back where still free."""
    return _current.verify() if _current is not None else []


class PgHostOwnership:
    """The hosts one crawl process owns, held on a connection of their own."""

    def __init__(self, engine: Engine, node: str) -> None:
        self.engine = engine
        self.node = node
        self.conn: Connection | None = None
        self.owned: list[str] = []

    def _connection(self) -> Connection:
        if self.conn is None:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            # Named, so the reaper can end this very session when this process's runs go
            # stale (frozen): the name is the node and pid its runs record.
            conn.execute(
                text("SELECT set_config('application_name', :name, false)"),
                {"name": lock_holder_name(self.node, os.getpid())},
            )
            self.conn = conn
        return self.conn

    def acquire(self, hosts: Sequence[str]) -> tuple[list[str], list[str]]:
        """Try each host's lock; returns (owned, busy), each in the order given."""
        global _current
        _current = self
        conn = self._connection()
        owned: list[str] = []
        busy: list[str] = []
        for host in hosts:
            if host in self.owned:
                owned.append(host)
                continue
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": host_key(host)}
            ).scalar_one()
            (owned if got else busy).append(host)
            if got:
                self.owned.append(host)
        if busy:
            logger.info("hosts crawled by another process now: %s", ", ".join(busy))
        return owned, busy

    def verify(self) -> list[str]:
        """See :func:`hosts_lost`."""
        if not self.owned or self.conn is None:
            return []
        try:
            self.conn.execute(text("SELECT 1"))
            return []
        except SQLAlchemyError:
            pass
        hosts, self.owned = self.owned, []
        with contextlib.suppress(SQLAlchemyError):
            self.conn.close()
        self.conn = None
        try:
            _, busy = self.acquire(hosts)
        except SQLAlchemyError as exc:
            # Unreachable: nobody can take them now either; the next beat tries again (and
            # the lease stops the crawl if the database stays away).
            self.owned = hosts
            logger.warning("host locks not renewed: %s", " ".join(str(exc).split())[:200])
            return []
        if busy:
            logger.error("host locks lost to another process: %s", ", ".join(busy))
        else:
            logger.warning("host locks renewed on a new session: %s", ", ".join(hosts))
        return busy

    def release(self) -> None:
        """Give up every host (closing the session would too)."""
        if self.conn is None:
            return
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock_all()"))
        except SQLAlchemyError as exc:  # a dead session holds nothing anyway
            logger.debug("host locks not released explicitly: %s", exc)
        finally:
            self.conn.close()
            self.conn = None
            self.owned = []
            global _current
            if _current is self:
                _current = None


def postgres_ownership(engine: Engine, settings: Settings) -> PgHostOwnership:
    """The seam ``kn_crawl.batch.ownership.ownership_for`` plugs in on PostgreSQL."""
    return PgHostOwnership(engine, settings.node)
