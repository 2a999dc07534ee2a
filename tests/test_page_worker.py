"""The page worker: a real child process on real pipes (no Scrapy needed to drive it)."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import time
from pathlib import Path

import pytest

from kn_crawl.crawling.worker import MAX_PENDING, PageWorker, PageWorkerDied, PageWorkerError
from kn_crawl.crawling.worker.frames import decode_all, encode, read_messages

GETPID = os.getpid


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_frames_survive_arbitrary_splits() -> None:
    messages = [(1, "a:b", (b"\x00" * 70_000, "ä")), (2, True, None), (0, True, {"x": 1})]
    stream = b"".join(encode(m) for m in messages)
    for chunk in (1, 7, 4096, len(stream)):
        buffer = bytearray()
        received = []
        for start in range(0, len(stream), chunk):
            buffer += stream[start : start + chunk]
            received += decode_all(buffer)
        assert received == messages
        assert buffer == bytearray()


def test_a_truncated_stream_ends_the_messages() -> None:
    whole = encode((1, "x:y", ()))
    assert list(read_messages(io.BytesIO(whole + whole[:-3]))) == [(1, "x:y", ())]


def test_calls_run_in_the_worker_process_in_order_and_it_stops_on_release() -> None:
    async def scenario() -> tuple[list[int], int, dict[str, float]]:
        worker = PageWorker()
        await worker.acquire()
        pids = await asyncio.gather(*(worker.call(GETPID) for _ in range(3 * MAX_PENDING)))
        # One at a time, in the order sent (batches are stored in order).
        clock = await asyncio.gather(
            *(worker.call(time.monotonic_ns) for _ in range(3 * MAX_PENDING))
        )
        assert clock == sorted(set(clock))
        await worker.release()
        return pids, len(worker._pending), worker.usage

    pids, pending, usage = asyncio.run(scenario())
    assert len(set(pids)) == 1 and pids[0] != os.getpid()
    assert pending == 0
    assert not _alive(pids[0])
    assert usage["calls"] == 6 * MAX_PENDING and usage["peak_rss_mb"] > 0


def test_a_failing_task_fails_only_its_call() -> None:
    async def scenario() -> tuple[str, str, int]:
        worker = PageWorker()
        await worker.acquire()
        try:
            with pytest.raises(PageWorkerError) as bad_value:
                await worker.call(int, "zwölf")
            with pytest.raises(PageWorkerError) as no_task:
                await worker.call(not_importable)
            return str(bad_value.value), str(no_task.value), await worker.call(int, "12")
        finally:
            await worker.release()

    def not_importable() -> None:  # a task must be a module-level function
        pass

    bad_value, no_task, twelve = asyncio.run(scenario())
    assert bad_value.startswith("ValueError: invalid literal for int()")
    assert no_task == (
        "LookupError: no task 'tests.test_page_worker:"
        "test_a_failing_task_fails_only_its_call.<locals>.not_importable'"
    )
    assert twelve == 12


def test_a_killed_worker_fails_its_pending_calls_and_the_rest_runs_here(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> tuple[int, BaseException | None, int, str | None]:
        worker = PageWorker()
        await worker.acquire()
        pid = await worker.call(GETPID)
        slow = asyncio.ensure_future(worker.call(time.sleep, 30))
        await asyncio.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
        try:
            await asyncio.wait_for(slow, 10)
            failure = None
        except PageWorkerDied as exc:
            failure = exc
        after = await worker.call(GETPID)
        await worker.release()
        return pid, failure, after, worker.broken

    with caplog.at_level(logging.ERROR, logger="kn_crawl.crawling.worker"):
        pid, failure, after, broken = asyncio.run(scenario())
    assert isinstance(failure, PageWorkerDied)
    assert after == os.getpid() != pid
    assert broken is not None
    assert any("page worker failed" in r.getMessage() for r in caplog.records)


def test_ctrl_c_in_the_terminal_does_not_stop_the_worker() -> None:
    async def scenario() -> tuple[int, int]:
        worker = PageWorker()
        await worker.acquire()
        pid = await worker.call(GETPID)
        os.kill(pid, signal.SIGINT)  # what the terminal sends the whole process group
        await asyncio.sleep(0.2)
        again = await worker.call(GETPID)
        await worker.release()
        return pid, again

    pid, again = asyncio.run(scenario())
    assert again == pid != os.getpid()


def test_disabled_worker_runs_calls_here() -> None:
    async def scenario() -> int:
        worker = PageWorker(enabled=False)
        await worker.acquire()
        try:
            return int(await worker.call(GETPID))
        finally:
            await worker.release()

    assert asyncio.run(scenario()) == os.getpid()
