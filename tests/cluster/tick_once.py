"""``python -m tests.cluster.tick_once AT``: one cluster tick (``kn_crawl.cluster.tick``) with
this process's KN_* settings, started at the epoch time AT, its result printed as JSON; so
that two processes tick at the same moment. ``--sync``: write the catalogue into ``sources``
and exit (once, before the ticks)."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from kn_crawl.cli.common import open_engine
from kn_crawl.cluster.app import ensure_queue_schema, make_app
from kn_crawl.cluster.tick import tick
from kn_crawl.settings import Settings


async def _tick(settings: Settings, at: float) -> dict[str, object]:
    app = make_app(settings, tick=False)
    async with app.open_async():
        await asyncio.sleep(max(0.0, at - time.time()))
        return await tick(app, settings)


def main(argv: list[str]) -> None:
    settings = Settings.from_env()
    if argv[:1] == ["--sync"]:
        ensure_queue_schema(open_engine(settings, sync=True))
        return
    print(json.dumps(asyncio.run(_tick(settings, float(argv[0]))), default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
