"""Who may crawl a web host now: the seam between a batch and the lock that keeps two
processes off one host.

A batch acquires the hosts of its sources before it creates any crawler and releases them
when it ends; sources of a host it could not get are recorded as ``skipped`` (``host_busy``).
On SQLite one scheduler serves a database (``kn_crawl.scheduler.lock``) and it never starts
two batches of one host, so every host is owned. On PostgreSQL the cluster's implementation
(advisory locks, ``kn_crawl.cluster.hosts``) is chosen in :func:`ownership_for` — the one
place to wire it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Engine

from kn_crawl.settings import Settings


class HostOwnership(Protocol):
    def acquire(self, hosts: Sequence[str]) -> tuple[list[str], list[str]]:
        """Try to own ``hosts`` for the rest of the batch: ``(owned, busy)``."""
        ...

    def release(self) -> None:
        """Give up every host owned (the batch ended)."""
        ...


class LocalOwnership:
    """One scheduler per database: every host is ours."""

    def __init__(self) -> None:
        self.owned: list[str] = []

    def acquire(self, hosts: Sequence[str]) -> tuple[list[str], list[str]]:
        self.owned = list(dict.fromkeys(hosts))
        return list(self.owned), []

    def release(self) -> None:
        self.owned = []


def ownership_for(engine: Engine, settings: Settings) -> HostOwnership:
    """The host ownership for ``engine``'s database."""
    if engine.dialect.name == "postgresql":
        try:
            # Part of the cluster (advisory locks per host); absent in a single-node build.
            from kn_crawl.cluster.hosts import (  # type: ignore[import-not-found,unused-ignore]
                postgres_ownership,
            )
        except ModuleNotFoundError as exc:
            if exc.name not in ("kn_crawl.cluster", "kn_crawl.cluster.hosts"):
                raise  # the cluster is there but broken: never crawl without host locks
            return LocalOwnership()
        ownership: HostOwnership = postgres_ownership(engine, settings)
        return ownership
    return LocalOwnership()
