"""Scrapy glue: settings, run recording, robots.txt policy, and the crawl runner."""
