"""The after-run hook: queue the source health events for the operators, match what the
crawl brought, then send what is due."""

from __future__ import annotations

import logging

from kn_crawl.alerts.delivery import send_due
from kn_crawl.alerts.health_notices import queue_health_events
from kn_crawl.alerts.matching import match
from kn_crawl.alerts.vocabulary import load_vocabulary
from kn_crawl.hooks import RunContext

logger = logging.getLogger(__name__)


def after_run(ctx: RunContext) -> None:
    settings = ctx.settings
    # The health hook runs before this one, so this run's events are already recorded.
    health = queue_health_events(
        ctx.engine, settings.admin_emails, now=ctx.now, channels=settings.health_channels
    )
    if health:
        logger.info("alerts: %d source health e-mails queued for the operators", health)
    result = match(
        ctx.engine,
        now=ctx.now,
        vocabulary=load_vocabulary(settings.tag_aliases_file),
    )
    logger.info(
        "alerts: %d articles and %d Stichwörter looked at (%d held back as backfill), "
        "%d entries queued",
        result.articles, result.tags, result.held_back, result.queued,
    )  # fmt: skip
    if not settings.smtp.host:
        # Channel messages still go (send_due claims only those then).
        logger.info("alerts: no SMTP server configured (KN_SMTP_HOST); e-mails stay queued")
    sent = send_due(ctx.engine, settings, now=ctx.now)
    logger.info("alerts: %d sent, %d to retry, %d failed", sent.sent, sent.retry, sent.failed)
