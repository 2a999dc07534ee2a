"""Prometheus metrics, read from the database when Prometheus scrapes them.

The database is the one source of truth shared by crawler processes, the scheduler and the web
process, so counters kept in one process's memory would miss the others. A custom collector
asks the database instead: a handful of grouped counts over indexed columns (runs by status,
articles and last success per source, drops by reason, source health, the alert messages), the
same figures ``kn-crawl stats``, ``health`` and ``alerts status`` show.

Served at ``/metrics`` by ``kn-crawl serve`` and, with ``KN_METRICS_PORT``, by the scheduler.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from kn_crawl.alerts.models import AlertEmail
from kn_crawl.db.models import Article, CrawlRun, DroppedItem, Source
from kn_crawl.db.state_models import SourceHealth

log = logging.getLogger(__name__)

HEALTH_STATES = ("healthy", "degraded", "failing", "unknown")
"""``unknown``: a source never checked yet (no run finished)."""
OUTBOX_STATES = ("pending", "failed")
"""Alert messages (e-mails and channel messages) waiting or given up; sent ones are history,
not a state to watch."""


CACHE_SECONDS = 10.0
"""A read is reused for this long. Counting the articles per source is an index scan: 0.7 s
at 1,000,000 articles on SQLite (busy 2-core machine). Prometheus scrapes every 15–60 s, but
``/metrics`` is as public as the web UI, and a client requesting it in a loop must not keep
the database counting."""


class DatabaseCollector(Collector):
    """Every metric from one short read of the database per scrape (at most one read per
    ``cache_seconds``; concurrent scrapes wait for the one read)."""

    def __init__(
        self,
        engine: Engine,
        *,
        now: Callable[[], datetime] | None = None,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.engine = engine
        self.now = now or (lambda: datetime.now(UTC))
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < self.cache_seconds:
                metrics = self._cached[1]
            else:
                metrics = self._collect()
                self._cached = (time.monotonic(), metrics)
        yield from metrics

    def _collect(self) -> list[Metric]:
        up = GaugeMetricFamily(
            "kn_crawl_database_up", "1 when the database answered this scrape, else 0."
        )
        try:
            metrics = list(self._read())
        except SQLAlchemyError as exc:
            # One line in the log (without the URL), and a scrape Prometheus can alert on.
            log.warning("metrics: the database did not answer: %s", type(exc).__name__)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *metrics]

    def _read(self) -> Iterator[Metric]:
        now = self.now()
        with self.engine.connect() as conn:
            sources = dict(conn.execute(select(Source.id, Source.name)).all())

            runs = CounterMetricFamily(
                "kn_crawl_runs",
                "Crawl runs recorded, by source and status.",
                labels=["source", "status"],
            )
            for sid, status, n in conn.execute(
                select(CrawlRun.source_id, CrawlRun.status, func.count()).group_by(
                    CrawlRun.source_id, CrawlRun.status
                )
            ):
                runs.add_metric([sources.get(sid, "?"), status], n)
            yield runs

            articles = GaugeMetricFamily(
                "kn_crawl_articles", "Articles stored, by source.", labels=["source"]
            )
            per_source = dict(
                conn.execute(
                    select(Article.source_id, func.count()).group_by(Article.source_id)
                ).all()
            )
            for sid, name in sorted(sources.items(), key=lambda s: s[1]):
                articles.add_metric([name], per_source.get(sid, 0))
            yield articles

            drops = CounterMetricFamily(
                "kn_crawl_dropped_items",
                "Items dropped (not stored), by stage and reason; notes are left out.",
                labels=["stage", "reason"],
            )
            for stage, reason, n in conn.execute(
                select(DroppedItem.stage, DroppedItem.reason, func.count())
                .where(DroppedItem.note.is_(False))
                .group_by(DroppedItem.stage, DroppedItem.reason)
                .order_by(DroppedItem.stage, DroppedItem.reason)
            ):
                drops.add_metric([stage, reason], n)
            yield drops

            health = GaugeMetricFamily(
                "kn_crawl_source_health",
                "1 for the source's current health status, 0 for the others.",
                labels=["source", "status"],
            )
            statuses = dict(conn.execute(select(SourceHealth.source_id, SourceHealth.status)).all())
            for sid, name in sorted(sources.items(), key=lambda s: s[1]):
                current = statuses.get(sid, "unknown")
                for state in HEALTH_STATES:
                    health.add_metric([name, state], 1 if state == current else 0)
            yield health

            last_ok = dict(
                conn.execute(
                    select(CrawlRun.source_id, func.max(CrawlRun.finished_at))
                    .where(CrawlRun.status == "ok")
                    .group_by(CrawlRun.source_id)
                ).all()
            )
            stamp = GaugeMetricFamily(
                "kn_crawl_last_success_timestamp_seconds",
                "When the source's last successful run finished (Unix time).",
                labels=["source"],
            )
            age = GaugeMetricFamily(
                "kn_crawl_last_success_age_seconds",
                "Seconds since the source's last successful run finished.",
                labels=["source"],
            )
            for sid, name in sorted(sources.items(), key=lambda s: s[1]):
                finished = last_ok.get(sid)
                if finished is None:
                    continue  # never succeeded: no sample rather than a made-up age
                finished = finished if finished.tzinfo else finished.replace(tzinfo=UTC)
                stamp.add_metric([name], finished.timestamp())
                age.add_metric([name], max(0.0, (now - finished).total_seconds()))
            yield stamp
            yield age

            outbox = GaugeMetricFamily(
                "kn_crawl_alert_emails",
                "Alert messages (e-mails and channel messages) waiting to be sent (pending) or "
                "given up (failed), by mode.",
                labels=["mode", "status"],
            )
            for mode, status, n in conn.execute(
                select(AlertEmail.mode, AlertEmail.status, func.count())
                .where(AlertEmail.status.in_(OUTBOX_STATES))
                .group_by(AlertEmail.mode, AlertEmail.status)
                .order_by(AlertEmail.mode, AlertEmail.status)
            ):
                outbox.add_metric([mode, status], n)
            yield outbox


def registry_for(engine: Engine, *, cache_seconds: float = CACHE_SECONDS) -> CollectorRegistry:
    """A registry of its own (not the process-global one, which would also export Python's
    process and GC metrics and clash when two apps are made in one process, as in tests)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(engine, cache_seconds=cache_seconds))
    return registry


class MetricsServer:
    """``/metrics`` on 127.0.0.1 in a thread of its own, beside a long-running process (the
    scheduler): waitress like ``kn-crawl serve``, so no version banner either."""

    def __init__(self, engine: Engine, port: int) -> None:
        from prometheus_client import make_wsgi_app
        from waitress.server import create_server

        # Bound here, in the caller's thread: a port in use is an OSError at start.
        self.socket = socket.create_server(("127.0.0.1", port))
        self.port: int = self.socket.getsockname()[1]
        self.server = create_server(
            make_wsgi_app(registry_for(engine)), sockets=[self.socket], threads=2, ident=""
        )
        self.thread = threading.Thread(target=self.server.run, name="metrics", daemon=True)

    def __enter__(self) -> MetricsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()
        self.server.task_dispatcher.shutdown()
        self.thread.join(timeout=10)
        self.socket.close()
