"""The page worker: a helper process beside the crawl that parses pages and writes batches.

Why: Scrapy runs callbacks and item pipelines on its one reactor thread. Parsing an article
page and storing it cost about as much CPU as Scrapy's own work for the page, so a crawl in
one process was CPU-bound at about half of Scrapy's ceiling. In a second process that work
runs on another core; the reactor only ships a page's bytes out and gets a small result back.

The spiders and the store pipeline call ``await page_worker().call(task, *args)``. The task is
a plain module-level function (sent to the worker by its ``module:qualname``) and runs the
same either way: in the worker
process, or — with ``KN_CRAWL_WORKER=0``, or after the worker failed — in the crawl process
itself. Calls run one at a time and in order, so batches are stored in the order they were
sent. A worker that dies is logged as an error and fails the calls it had (the crawl records
them against their pages and batches); later calls run in the crawl process.

One worker serves every spider of a crawl process: spiders ``acquire`` it when they open and
``release`` it when they close; the last release stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, cast

from kn_crawl.crawling.worker.frames import decode_all, encode, run_task, task_name

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0
MAX_PENDING = 8
PIPE_BYTES = 1 << 20


class PageWorkerError(Exception):
    """A task raised in the worker; the message is ``"ExceptionType: message"``."""


class PageWorkerDied(PageWorkerError):
    """The worker process ended while the call was pending."""


class _Pipe(asyncio.SubprocessProtocol):
    def __init__(self, worker: PageWorker) -> None:
        self.worker = worker
        self.buffer = bytearray()
        self.output_closed = False
        self.exited = False

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd != 1:
            return
        self.buffer += data
        for call_id, ok, value in decode_all(self.buffer):
            self.worker._reply(call_id, ok, value)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == 1:
            self.output_closed = True
            self.worker._ended("its output closed")

    def process_exited(self) -> None:
        self.exited = True
        self.worker._ended("it exited")


class PageWorker:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.users = 0
        self.broken: str | None = None
        """Why calls run in the crawl process although the worker is enabled."""
        self._transport: asyncio.SubprocessTransport | None = None
        self._pipe: _Pipe | None = None
        self._starting: asyncio.Future[None] | None = None
        self._stopping = False
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        # A bounded queue: callers wait here, so pages wait in Scrapy (which stops
        # downloading while too many responses are in processing), not in our memory.
        self._slots = asyncio.Semaphore(MAX_PENDING)
        self.usage: dict[str, float] = {}
        """The last worker's calls, CPU seconds and peak RSS (MB), once it has stopped."""

    @property
    def pid(self) -> int:
        """The process a call made now runs in: the worker's, or this one's."""
        if self.running and self._transport is not None:
            return int(self._transport.get_pid())
        return os.getpid()

    @property
    def running(self) -> bool:
        return self._transport is not None and self.broken is None and not self._stopping

    async def acquire(self) -> None:
        self.users += 1
        if not self.enabled or self.broken is not None or self._transport is not None:
            return
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        await asyncio.shield(self._starting)

    async def release(self) -> None:
        self.users = max(0, self.users - 1)
        if self.users == 0:
            await self._stop()

    async def call(self, task: Callable[..., Any], *args: Any) -> Any:
        """``task(*args)``, in the worker process when it runs, else here."""
        if self._starting is not None and not self._starting.done():
            await asyncio.shield(self._starting)
        if not self.running:
            return run_task(task, args)
        async with self._slots:
            if not self.running:  # it failed while we waited for a slot
                return run_task(task, args)
            assert self._transport is not None
            call_id = next(self._ids)
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._pending[call_id] = future
            stdin = cast(asyncio.WriteTransport, self._transport.get_pipe_transport(0))
            stdin.write(encode((call_id, task_name(task), args)))
            return await future

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            transport, pipe = await loop.subprocess_exec(
                lambda: _Pipe(self),
                sys.executable,
                "-m",
                "kn_crawl.crawling.worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=None,
                # A process group of its own: Ctrl-C in a terminal reaches the crawl, which
                # finishes its pages (with the worker's help) and then closes our stdin.
                process_group=0,
            )
        except OSError as exc:
            self._break(f"could not start it: {exc}")
            return
        self._transport, self._pipe = transport, pipe
        _widen(transport.get_pipe_transport(0))
        self._stopping = False
        logger.debug("page worker started (pid %s)", transport.get_pid())

    async def _stop(self) -> None:
        transport, self._transport = self._transport, None
        self._starting = None
        if transport is None:
            return
        self._stopping = True
        stdin = transport.get_pipe_transport(0)
        if stdin is not None:
            stdin.close()  # the worker finishes its calls, then exits at the end of input
        pipe = self._pipe
        for _ in range(int(STOP_TIMEOUT_S / 0.01)):
            # Exited, and everything it wrote (its last words too) has been read.
            if pipe is None or (pipe.exited and pipe.output_closed):
                break
            await asyncio.sleep(0.01)
        else:
            logger.error("page worker did not exit within %.0f s: killed", STOP_TIMEOUT_S)
            transport.kill()
        transport.close()
        self._fail_pending("it was stopped")

    def _reply(self, call_id: int, ok: bool, value: Any) -> None:
        if call_id == 0:  # the worker's last words: what it cost
            self.usage = value
            logger.info(
                "page worker: %(calls)d calls, CPU %(cpu_s).1f s, peak RSS %(peak_rss_mb).0f MB, "
                "%(kept)d read items left unstored",
                value,
            )
            return
        future = self._pending.pop(call_id, None)
        if future is None or future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(PageWorkerError(value))

    def _ended(self, how: str) -> None:
        if self._stopping or self._transport is None:
            return
        code = self._transport.get_returncode()
        self._break(f"{how} (exit code {code})" if code is not None else how)

    def _break(self, why: str) -> None:
        if self.broken is None:
            self.broken = why
            logger.error(
                "page worker failed: %s; %d pending pages or batches are recorded as failed, "
                "the rest is parsed and stored in the crawl process",
                why,
                len(self._pending),
            )
        self._fail_pending(why)

    def _fail_pending(self, why: str) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(PageWorkerDied(f"page worker failed: {why}"))


def _widen(pipe: asyncio.BaseTransport | None) -> None:
    """Make the pipe hold every call that may wait (8 pages of up to ~100 KB), so a page is
    written in one go instead of in pieces as the worker reads (Linux; elsewhere as is)."""
    fd = pipe.get_extra_info("pipe").fileno() if pipe is not None else None
    if fd is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


_worker: PageWorker | None = None


def page_worker() -> PageWorker:
    """This process's worker (``KN_CRAWL_WORKER`` says whether it is a process of its own)."""
    global _worker
    if _worker is None:
        from kn_crawl.settings import Settings

        _worker = PageWorker(enabled=Settings.from_env().crawl_worker)
    return _worker
