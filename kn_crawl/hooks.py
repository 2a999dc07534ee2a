"""After-run hooks: what runs after each crawl (health checks, alert matching and sending).

Hooks run in order, each in its own try: a failing hook is logged and recorded and does not
stop the others or the scheduler. A hook is a function ``after_run(ctx: RunContext) -> None``
named by a dotted path in AFTER_RUN_HOOKS, imported when it is needed.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunContext:
    engine: Engine
    settings: Settings
    run_ids: tuple[int, ...]
    """The crawl runs that just ended (any status)."""
    now: datetime


Hook = Callable[[RunContext], None]

# In order. A feature adds its hook here.
AFTER_RUN_HOOKS: tuple[str, ...] = (
    "kn_crawl.health:after_run",
    "kn_crawl.alerts.hooks:after_run",
)


@dataclass(frozen=True, slots=True)
class HookOutcome:
    name: str
    ok: bool
    error: str | None = None


def load_hook(path: str) -> Hook:
    module_name, _, attr = path.partition(":")
    hook: Hook = getattr(importlib.import_module(module_name), attr)
    return hook


def run_hooks(ctx: RunContext, hooks: Sequence[str] = AFTER_RUN_HOOKS) -> list[HookOutcome]:
    outcomes = []
    for path in hooks:
        try:
            load_hook(path)(ctx)
        except Exception as exc:  # one hook must not stop the others (logged with traceback)
            logger.exception("after-run hook %s failed", path)
            outcomes.append(HookOutcome(path, False, f"{type(exc).__name__}: {exc}"))
        else:
            outcomes.append(HookOutcome(path, True))
    return outcomes


def run_after_run_hooks(
    engine: Engine,
    settings: Settings,
    run_ids: Sequence[int],
    *,
    hooks: Sequence[str] | None = None,
) -> list[HookOutcome]:
    """Run the hooks after crawl runs ``run_ids``; failures are recorded in
    ``hook_failures`` (with the error) and never raised."""
    from kn_crawl.db.models import table_of
    from kn_crawl.db.state_models import HookFailure

    now = datetime.now(UTC)
    ctx = RunContext(engine=engine, settings=settings, run_ids=tuple(run_ids), now=now)
    outcomes = run_hooks(ctx, AFTER_RUN_HOOKS if hooks is None else hooks)
    failures = [
        {"hook": o.name, "run_ids": list(run_ids), "error": o.error or "", "created_at": now}
        for o in outcomes
        if not o.ok
    ]
    if failures:
        try:
            with engine.begin() as conn:
                conn.execute(table_of(HookFailure).insert(), failures)
        except Exception:  # the database may be what failed; the log has it either way
            logger.exception("could not record %d hook failures", len(failures))
    return outcomes
