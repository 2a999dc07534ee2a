"""The page worker process: ``python -m kn_crawl.crawling.worker``, started by the crawl.

Reads calls from stdin, runs them one at a time, in order, and writes each reply to what was
stdout; exits when stdin ends (the crawl closed it, or the crawl process is gone).
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import sys
from typing import BinaryIO

from kn_crawl.crawling.worker.frames import describe, encode, read_messages, run_task


def main() -> None:
    # The crawl starts us in a process group of our own; this is for a SIGINT sent to us
    # directly: the crawl decides when we stop, by closing our stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Background work: the crawl process's reactor (sending the next requests, reading the
    # responses) goes first when the cores are busy. Measured: 3 of 3 paired runs faster.
    os.nice(10)
    replies = os.fdopen(os.dup(1), "wb")
    # Whatever a library prints must not end up in the reply stream.
    os.dup2(2, 1)
    logging.basicConfig(level=logging.WARNING, format="page worker: %(levelname)s %(message)s")
    if os.environ.get("KN_LOG_FORMAT", "").strip().lower() == "json":
        # As the crawl that started us logs (kn_crawl.logs): one JSON object per line.
        from kn_crawl.logs import JsonFormatter

        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    # psycopg's "error ignored terminating <Pipeline>" repeats a failure the store already
    # reported in one line (a connection lost to a database restart, retried).
    logging.getLogger("psycopg").setLevel(logging.ERROR)
    # A broken pipe: the crawl process is gone, nobody waits for the replies.
    with contextlib.suppress(BrokenPipeError):
        serve(replies)


def serve(replies: BinaryIO) -> None:
    calls = 0
    for call_id, task, args in read_messages(sys.stdin.buffer):
        calls += 1
        try:
            reply = encode((call_id, True, run_task(task, args)))
        except Exception as exc:  # noqa: BLE001 -- the crawl records it with its page
            reply = encode((call_id, False, describe(exc)))
        replies.write(reply)
        replies.flush()
    # The end of input: a last reply (id 0) says what the worker cost.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    kept = sys.modules.get("kn_crawl.crawling.kept")  # imported by the first article read
    last_words = {
        "calls": calls,
        "kept": kept.kept_count() if kept is not None else 0,
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }
    replies.write(encode((0, True, last_words)))
    replies.flush()


if __name__ == "__main__":
    main()
