"""Settings module named in scrapy.cfg, so ``scrapy crawl <source>`` works from the repo root.

It only translates our ``KN_*`` configuration; the values live in kn_crawl.settings.
"""

from kn_crawl.crawling.scrapy_config import scrapy_settings
from kn_crawl.settings import Settings

globals().update(scrapy_settings(Settings.from_env()))
