"""Scrapy settings derived from our Settings. No secrets here: Scrapy logs its settings."""

from __future__ import annotations

from typing import Any

from kn_crawl.settings import Settings


def scrapy_settings(settings: Settings) -> dict[str, Any]:
    return {
        "BOT_NAME": "kn-crawl",
        # One spider class per catalogue source, made by kn_crawl.sources.spider_for.
        "SPIDER_LOADER_CLASS": "kn_crawl.crawling.spider_loader.SourceSpiderLoader",
        "USER_AGENT": settings.user_agent,
        # Politeness: robots.txt (5xx or unreachable = disallow all, see robots.py), few
        # concurrent requests per site, AutoThrottle, bounded time and size per response.
        "ROBOTSTXT_OBEY": True,
        "DOWNLOADER_MIDDLEWARES": {
            # First of all: every request, each hop of a redirect or meta refresh included,
            # is checked against the source's origins and refused addresses before anything
            # (robots.txt included) is fetched for it. See origin_guard.py.
            "kn_crawl.crawling.origin_guard.OriginGuardMiddleware": 40,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "kn_crawl.crawling.robots.StrictRobotsTxtMiddleware": 100,
            # Below HttpCompressionMiddleware (590): responses reach it decompressed, so the
            # body hash is of the page, not of its gzip encoding.
            "kn_crawl.crawling.conditional.ConditionalRequestsMiddleware": 580,
            # Above RetryMiddleware (550): sees a 429/503 first, to honour Retry-After.
            "kn_crawl.crawling.ratelimit.RetryAfterMiddleware": 560,
            # Last before the downloader: at most CONCURRENT_REQUESTS_PER_DOMAIN requests in
            # flight per web host across all crawlers of the process (a batch); see host_gate.
            "kn_crawl.crawling.host_gate.HostGateMiddleware": 990,
        },
        # Scrapy's HTTP handler behind a lease check: a crawl whose heartbeat has not reached
        # the database for half its lease sends nothing more (kn_crawl.cluster.lease).
        "DOWNLOAD_HANDLERS": {
            "http": "kn_crawl.cluster.download.FencedDownloadHandler",
            "https": "kn_crawl.cluster.download.FencedDownloadHandler",
        },
        "CONCURRENT_REQUESTS": 16,
        # Scrapy starts this many asyncio workers for the output of every callback; ours
        # return one item and a few requests, and 100 idle workers per page cost more CPU
        # than parsing the page (measured).
        "CONCURRENT_ITEMS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.concurrent_per_site,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": settings.autothrottle_start_delay,
        "AUTOTHROTTLE_MAX_DELAY": settings.autothrottle_max_delay,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(settings.concurrent_per_site),
        "DOWNLOAD_DELAY": settings.download_delay,
        "DOWNLOAD_TIMEOUT": settings.download_timeout,
        "DOWNLOAD_MAXSIZE": settings.max_response_bytes,
        "DOWNLOAD_WARNSIZE": settings.max_response_bytes // 4,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": settings.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "REDIRECT_ENABLED": True,
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19's remote control: an HTTP server on localhost that runs Python code
        # sent to it (token-protected, the token written to a file in the home directory).
        # A crawler in production has no use for it; off, like the telnet console.
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": settings.log_level,
        "STATS_DUMP": False,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "DEFAULT_DROPITEM_LOG_LEVEL": "INFO",
        "LOG_FORMATTER": "kn_crawl.crawling.logformat.QuietLogFormatter",
        "ITEM_PIPELINES": {
            "pipelines.normalize.NormalizePipeline": 100,
            "pipelines.validate.ValidatePipeline": 200,
            "pipelines.vocabulary.VocabularyPipeline": 250,
            "pipelines.dedupe.DedupePipeline": 300,
            "pipelines.store.StorePipeline": 400,
        },
        "EXTENSIONS": {
            "kn_crawl.crawling.recorder.RunRecorder": 100,
            "kn_crawl.crawling.backfill.BackfillRecorder": 110,
        },
        "KN_STORE_BATCH_SIZE": settings.store_batch_size,
        # How long a robots.txt answer is kept in the database (robots.py); 0: not at all.
        "KN_ROBOTS_CACHE": settings.robots_cache,
        # A path, never a secret; the page worker reads the same variable (reading.py).
        "KN_VOCABULARY_FILE": str(settings.vocabulary_file) if settings.vocabulary_file else "",
    }
