"""robots.txt kept in the database (``robots_cache``) and shared by the crawlers of a process.

RFC 9309 §2.4 lets a crawler use a cached robots.txt for up to 24 hours; so an unchanged
refresh needs no robots.txt request, only its one conditional request. Only answers that
say something are kept: 2xx (the rules) and 4xx (no rules). A 5xx or a network error is
never cached: the run that saw it disallows the site (robots.py), the next run asks again.

Within one process (a batch), the sources of one origin share one fetch: the first crawler
to need it fetches; the others wait for its answer (or, when it failed, fetch themselves,
so each run records its own ``robots_unreachable``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from twisted.internet.defer import Deferred

from kn_crawl.db.models import table_of
from kn_crawl.db.state_models import RobotsCache
from kn_crawl.db.upsert import upsert

cache_t = table_of(RobotsCache)


@dataclass(frozen=True, slots=True)
class RobotsAnswer:
    status: int
    body: bytes
    """What is parsed: the file's head for a 2xx, nothing for a 4xx."""


def cacheable(status: int) -> bool:
    return 200 <= status < 300 or 400 <= status < 500


def read_fresh(engine: Engine, origin: str, *, now: datetime) -> RobotsAnswer | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(cache_t.c.status, cache_t.c.body).where(
                cache_t.c.origin == origin, cache_t.c.expires_at > now
            )
        ).first()
    return RobotsAnswer(row.status, bytes(row.body)) if row is not None else None


def store(engine: Engine, origin: str, answer: RobotsAnswer, *, now: datetime, keep: float) -> None:
    with engine.begin() as conn:
        upsert(
            conn,
            cache_t,
            [
                {
                    "origin": origin[:300],
                    "status": answer.status,
                    "body": answer.body,
                    "fetched_at": now,
                    "expires_at": now + timedelta(seconds=keep),
                }
            ],
            ("origin",),
        )


@dataclass
class _Shared:
    answer: RobotsAnswer | None = None
    done: bool = False
    waiters: list[Deferred[RobotsAnswer | None]] = field(default_factory=list)


class SharedFetches:
    """The origins whose robots.txt a crawler of this process fetched or is fetching."""

    def __init__(self) -> None:
        self._origins: dict[str, _Shared] = {}

    def known(self, origin: str) -> RobotsAnswer | None:
        shared = self._origins.get(origin)
        return shared.answer if shared is not None and shared.done else None

    def remember(self, origin: str, answer: RobotsAnswer) -> None:
        self._origins[origin] = _Shared(answer, done=True)

    def wait_or_fetch(self, origin: str) -> Deferred[RobotsAnswer | None] | None:
        """None: the caller fetches (and must call ``resolve``); else a Deferred of another
        crawler's answer (None when it failed)."""
        shared = self._origins.get(origin)
        if shared is None:
            self._origins[origin] = _Shared()
            return None
        waiter: Deferred[RobotsAnswer | None] = Deferred()
        if shared.done:
            waiter.callback(shared.answer)
        else:
            shared.waiters.append(waiter)
        return waiter

    def resolve(self, origin: str, answer: RobotsAnswer | None) -> None:
        shared = self._origins.get(origin)
        if shared is None or shared.done:
            return
        waiters = shared.waiters
        if answer is None:
            # Failed: not kept, the next crawler that needs it fetches again.
            del self._origins[origin]
        else:
            self._origins[origin] = _Shared(answer, done=True)
        for waiter in waiters:
            waiter.callback(answer)


SHARED = SharedFetches()
"""One per process: a batch's crawlers all run in it."""
