"""``kn-crawl worker``: one node of the cluster.

Runs two procrastinate workers in one process, each on its own queue: ``tick`` (one job at a
time) and ``crawl`` (KN_BATCH_PROCESSES batch jobs at a time, each a child crawl process).
Every worker offers the periodic tick; the database takes one per tick time, so there is no
leader to lose.

Polling finds new jobs (every ``POLL_S`` seconds); LISTEN/NOTIFY (``KN_LISTEN_NOTIFY=1``)
only makes it quicker. A lost database connection (a PostgreSQL restart) stops a
procrastinate worker; it is started again here after a pause, without losing a job: a batch
running meanwhile goes on in its child process, and its runs reconnect by themselves.

SIGTERM/SIGINT: no new jobs; running batches get the grace (``KN_SCHEDULE_GRACE``), then are
stopped, and every run they left open gets a final status (``launch_batch``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
from typing import Any

from kn_crawl.cluster.app import CRAWL_QUEUE, TICK_QUEUE, make_app
from kn_crawl.cluster.tasks import WorkerState
from kn_crawl.cluster.tick import tick

logger = logging.getLogger(__name__)

POLL_S = 2.0
"""Seconds between two looks for new jobs (a cheap indexed query)."""
RESTART_MAX_S = 30.0
"""Longest pause before a worker that lost the database starts again."""


async def _keep_running(
    app: Any,
    stopping: asyncio.Event,
    *,
    name: str,
    once: bool,
    stop_timeout: float,
    **options: Any,
) -> None:
    """Run a procrastinate worker until ``stopping``; start it again when it ends on a lost
    database connection."""
    pause = 1.0
    while not stopping.is_set():
        run = asyncio.create_task(
            app.run_worker_async(name=name, install_signal_handlers=False, wait=not once, **options)
        )
        stop = asyncio.create_task(stopping.wait())
        done, _ = await asyncio.wait({run, stop}, return_when=asyncio.FIRST_COMPLETED)
        if run not in done:
            # Stopping: cancelling makes procrastinate stop fetching and wait for its
            # running jobs (which see the stop event and get their grace). Bounded: with the
            # database gone, procrastinate's own goodbye (unregistering) could wait for ever.
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                await asyncio.wait_for(run, timeout=stop_timeout)
            return
        stop.cancel()
        error = run.exception()
        if error is None and once:
            return
        if error is None:
            # A side task (heartbeat, listener) failed, and the worker stopped itself.
            logger.warning("%s worker stopped; starting it again in %.0f s", name, pause)
        else:
            logger.warning(
                "%s worker lost the database (%s: %s); starting it again in %.0f s",
                name,
                type(error).__name__,
                " ".join(str(error).split())[:200],
                pause,
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=pause)
        pause = min(pause * 2, RESTART_MAX_S)


LOST_JOB = re.compile(r'Job was not found or not in "doing"')
"""The queue's refusal to record the end of a job that is no longer ``doing``
(procrastinate's ``procrastinate_finish_job`` / ``retry_job``), raised to us as a
``ConnectorException("Database error.")`` whose cause holds it."""


def is_lost_job(error: BaseException | None) -> bool:
    """Whether ``error``, or an error it was raised from, is the queue's refusal to end a job
    that is no longer ``doing``."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if LOST_JOB.search(str(error)):
            return True
        error = error.__cause__ or error.__context__
    return False


def _quiet_lost_jobs(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A batch job the tick failed while its worker was frozen (SIGSTOP past the lease) ends
    later; procrastinate's attempt to record its end is refused ("not in "doing" status").
    One line for that, not an unretrieved task's traceback."""
    error = context.get("exception")
    if is_lost_job(error):
        logger.warning(
            "a batch job ended after the tick had failed it (its worker stopped beating); "
            "its end is not recorded in the queue, its runs are"
        )
        return
    loop.default_exception_handler(context)


async def serve(state: WorkerState, *, concurrency: int, once: bool, listen_notify: bool) -> None:
    """Run the node's workers until SIGTERM/SIGINT (``once``: one tick, then every batch job
    queued, then return)."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()

    def on_signal(signum: int) -> None:
        if state.stop.is_set():
            return
        logger.warning(
            "%s: no new jobs; running batches get %.0f s", signal.Signals(signum).name, state.grace
        )
        state.stop.set()
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    loop.set_exception_handler(_quiet_lost_jobs)
    app = make_app(state.settings, tick=not once)
    options = {
        "fetch_job_polling_interval": POLL_S,
        "listen_notify": listen_notify,
        # A batch gets its grace, then up to 30 s to be stopped (launch_batch's SIGKILL).
        "stop_timeout": state.grace + 45.0,
    }
    async with app.open_async():
        if once:
            await tick(app, state.settings)
            await _keep_running(
                app, stopping, name="crawl", once=True, queues=[CRAWL_QUEUE],
                concurrency=concurrency, **options,
            )  # fmt: skip
            return
        await asyncio.gather(
            _keep_running(
                app, stopping, name="tick", once=False, queues=[TICK_QUEUE], concurrency=1,
                **options,
            ),
            _keep_running(
                app, stopping, name="crawl", once=False, queues=[CRAWL_QUEUE],
                concurrency=concurrency, **options,
            ),
        )  # fmt: skip
    logger.info("worker stopped")
