"""What a crawl in this process shows while it runs: per source, pages read, articles new and
updated, errors (the counters its run will be closed with, read from the crawler's stats).

On a terminal: a block of one line per source, redrawn in place every second. Elsewhere (a
CI log, a pipe): a line for each source whose counters changed, every ``PLAIN_EVERY``
seconds, and one ``done`` line per source when its crawl ends, so that a log stays short and
readable. Written to stderr: stdout keeps the summary table for pipes.

Hand-written rather than ``rich``: a dozen lines of ANSI cursor movement for one block, where
the library would be a new dependency of every install for a progress line.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task

from kn_crawl.crawling.run import pages_lost

LIVE_EVERY = 1.0
PLAIN_EVERY = 10.0


@dataclass(frozen=True, slots=True)
class Counts:
    pages: int
    new: int
    updated: int
    errors: int

    @classmethod
    def of(cls, crawler: Crawler) -> Counts:
        values: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
        return cls(
            pages=int(values.get("response_received_count", 0)),
            new=int(values.get("kn/articles_new", 0)),
            updated=int(values.get("kn/articles_updated", 0)),
            errors=pages_lost(values),
        )

    def __str__(self) -> str:
        return f"{self.pages} pages, {self.new} new, {self.updated} updated, {self.errors} errors"


class Progress:
    """Attach with ``watch`` before the reactor starts; ``stop`` after it ended."""

    def __init__(self, crawlers: Sequence[tuple[str, Crawler]], out: IO[str] | None = None):
        self.crawlers = list(crawlers)
        self.out = out or sys.stderr
        self.live = self.out.isatty()
        self.width = max((len(name) for name, _ in self.crawlers), default=0)
        self.shown: dict[str, Counts] = {}
        self.done: set[str] = set()
        self.drawn = 0
        self.loop: task.LoopingCall | None = None
        self.handlers: list[Any] = []

    def watch(self) -> None:
        for name, crawler in self.crawlers:
            closer = self._closer(name, crawler)
            self.handlers.append(closer)  # signals hold their receivers weakly
            crawler.signals.connect(closer, signal=signals.spider_closed)
            # Started with the first engine, on the running reactor: a LoopingCall made
            # before Scrapy installed its reactor would install Twisted's default one.
            crawler.signals.connect(self._start, signal=signals.engine_started)

    def _start(self, **_: Any) -> None:
        if self.loop is None:
            self.loop = task.LoopingCall(self.tick)
            self.loop.start(LIVE_EVERY if self.live else PLAIN_EVERY, now=False)

    def _closer(self, name: str, crawler: Crawler) -> Any:
        def closed(**_: Any) -> None:
            self.done.add(name)
            if self.live:
                self.tick()
            else:
                self._line(f"{name} done: {Counts.of(crawler)}")

        return closed

    def tick(self) -> None:
        if self.live:
            self._redraw()
            return
        for name, crawler in self.crawlers:
            counts = Counts.of(crawler)
            if name not in self.done and counts != self.shown.get(name, Counts(0, 0, 0, 0)):
                self.shown[name] = counts
                self._line(f"{name}: {counts}")

    def _redraw(self) -> None:
        lines = [
            f"{name.ljust(self.width)}  {'done   ' if name in self.done else 'running'}  "
            f"{Counts.of(crawler)}"
            for name, crawler in self.crawlers
        ]
        # Up to the block's first line, then each line rewritten and cleared to its end.
        up = f"\x1b[{self.drawn}F" if self.drawn else ""
        self.out.write(up + "".join(f"{line}\x1b[K\n" for line in lines))
        self.out.flush()
        self.drawn = len(lines)

    def _line(self, text: str) -> None:
        self.out.write(f"  {text}\n")
        self.out.flush()

    def stop(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live:
            self._redraw()
