"""One benchmark crawl in its own process (a Twisted reactor runs once per process).

    crawl_child.py real  DB_URL URLS_OUT  SOURCE=BASE_URL ...
    crawl_child.py noop  URLS_IN          SOURCE=BASE_URL ...

``real`` runs the real spiders and pipelines into DB_URL and writes the URL of every request
it sent to URLS_OUT — redirect hops included (an old ``meldung_N`` link answers 301, and the
crawl then fetches the target). ``noop`` sends exactly those requests, with redirects not
followed (the targets are in the list already) and a callback that does nothing: Scrapy's own
ceiling for the same HTTP work on this machine. Both count every response downloaded. Prints
one JSON line of figures.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.settings import Settings as ScrapySettings

from kn_crawl.crawling.scrapy_config import scrapy_settings
from kn_crawl.crawling.worker import page_worker
from kn_crawl.db.engine import get_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.settings import Settings
from kn_crawl.sources import spider_for


class NoopSpider(scrapy.Spider):
    name = "noop"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: Response) -> None:
        return None


def main(argv: list[str]) -> None:
    mode = argv[0]
    settings = Settings.from_env()
    values = scrapy_settings(settings)
    values.update({"LOG_LEVEL": "ERROR", "AUTOTHROTTLE_START_DELAY": 0.0})
    fetched: list[str] = []

    def record(response: Response, request: scrapy.Request, **_: Any) -> None:
        fetched.append(request.url)

    if mode == "real":
        db_url, urls_out, pairs = argv[1], Path(argv[2]), argv[3:]
        os.environ["KN_DATABASE_URL"] = db_url
        upgrade(get_engine(db_url))
    else:
        urls_in, pairs = Path(argv[1]), argv[2:]
        values.update(
            {
                "ITEM_PIPELINES": {},
                "EXTENSIONS": {},
                "ROBOTSTXT_OBEY": False,
                "REDIRECT_ENABLED": False,
                "HTTPERROR_ALLOW_ALL": True,
            }
        )
    bases = dict(pair.split("=", 1) for pair in pairs)
    process = CrawlerProcess(ScrapySettings(values))
    crawlers = []
    if mode == "real":
        for name, base in bases.items():
            crawler = process.create_crawler(spider_for(name))
            crawler.signals.connect(record, signal=signals.response_downloaded)
            process.crawl(crawler, base_url=base)
            crawlers.append(crawler)
    else:
        urls = urls_in.read_text().split()
        crawler = process.create_crawler(NoopSpider)
        process.crawl(crawler, urls=urls)
        crawlers.append(crawler)
    started_at = time.time()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    process.start()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    ended_at = time.time()
    pages = sum(int(c.stats.get_value("downloader/response_count", 0)) for c in crawlers)
    if mode == "real":
        urls_out.write_text("\n".join(fetched))
    # The page worker (a process of its own, stopped by now) did the parsing and storing.
    worker = page_worker().usage
    stats = {
        "mode": mode,
        "pages": pages,
        "wall_s": round(wall, 3),
        "started_at": started_at,
        "ended_at": ended_at,
        "cpu_s": round(cpu, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "worker_cpu_s": worker.get("cpu_s", 0.0),
        "worker_peak_rss_mb": worker.get("peak_rss_mb", 0.0),
        "items": sum(int(c.stats.get_value("item_scraped_count", 0)) for c in crawlers),
        "new": sum(int(c.stats.get_value("kn/articles_new", 0)) for c in crawlers),
    }
    print(json.dumps(stats))


if __name__ == "__main__":
    main(sys.argv[1:])
