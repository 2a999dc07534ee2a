"""Alerts in ``kn-crawl demo``: a sample subscription, matched including the first crawl, and
its e-mails written as ``.eml`` files (the ``--dry-run`` path), so nothing is sent — then or
later: what was written is marked ``written``, so a real sender started afterwards (``alerts
send``, ``serve`` with ``KN_SMTP_HOST``) never mails the sample subscriber."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from kn_crawl.alerts.delivery import write_dry_run
from kn_crawl.alerts.matching import match
from kn_crawl.alerts.subscriptions import SubscriptionSpec, list_subscriptions, subscribe
from kn_crawl.alerts.vocabulary import load_vocabulary
from kn_crawl.settings import Settings

SAMPLE = SubscriptionSpec(
    email="analyst@example.org",
    tags=("OZG", "Dortmund"),
    queries=('Glasfaser OR "Smart City"',),
)


@dataclass(frozen=True, slots=True)
class DemoAlerts:
    subscription_created: bool
    queued: int
    files: list[Path]
    folder: Path


def demo_alerts(engine: Engine, settings: Settings, *, now: datetime) -> DemoAlerts:
    with engine.connect() as conn:
        existing = list_subscriptions(conn)
    created = False
    if not existing:
        created = subscribe(engine, SAMPLE, now=now).created
    result = match(
        engine,
        now=now,
        vocabulary=load_vocabulary(settings.tag_aliases_file),
        include_backfill=True,
    )
    folder = settings.data_dir / "demo-alerts"
    # Nothing new (a second demo): the e-mails of the first stay as they are, not rewritten.
    files = (
        write_dry_run(engine, settings, folder, now=now, mark_written=True, recipient=SAMPLE.email)
        if result.queued
        else []
    )
    return DemoAlerts(created, result.queued, files, folder)
