"""The counters every source's crawl provides, whatever its family: the generic news spider
(``spiders.news``) counts them, so health checks (``kn_crawl.health``) read the same numbers
for every source. They are Scrapy stats, saved with the run (``crawl_runs.stats``); README
("Source health") lists them."""

from __future__ import annotations

LISTING_PAGES_PARSED = "kn/listing_pages_parsed"
"""Listing and feed pages read (not 304 or unchanged)."""
LISTING_ENTRIES = "kn/listing_entries"
"""Article entries on them (teasers, feed entries) that the family classifies as articles."""
LISTING_ENTRIES_DATED = "kn/listing_entries_dated"
"""Of those, entries that showed a publication date."""
ARTICLE_PAGES_PARSED = "kn/article_pages_parsed"
"""Article pages read into an item (before validation)."""
FEED_ONLY = "kn/feed_only"
"""Feed entries stored alone because robots.txt disallows their page."""

HEALTH_COUNTERS = (
    LISTING_PAGES_PARSED,
    LISTING_ENTRIES,
    LISTING_ENTRIES_DATED,
    ARTICLE_PAGES_PARSED,
    FEED_ONLY,
)
