"""The source registry: every spider in ``spiders/`` with a name is a source.

Adding a site means adding a spider class (one module per site family); nothing else lists
sources, so the CLI, the scheduler and the database all learn about it from here.
"""

from __future__ import annotations

from functools import cache

from scrapy.settings import Settings as ScrapySettings
from scrapy.spiderloader import SpiderLoader

from kn_crawl.settings import ConfigError
from spiders.base import NewsSpider


@cache
def spider_classes() -> dict[str, type[NewsSpider]]:
    loader = SpiderLoader.from_settings(ScrapySettings({"SPIDER_MODULES": ["spiders"]}))
    found: dict[str, type[NewsSpider]] = {}
    for name in sorted(loader.list()):
        cls = loader.load(name)
        if issubclass(cls, NewsSpider):
            found[name] = cls
    return found


def source_names() -> list[str]:
    return list(spider_classes())


def spider_for(name: str) -> type[NewsSpider]:
    try:
        return spider_classes()[name]
    except KeyError:
        known = ", ".join(source_names())
        raise ConfigError(f"unknown source {name!r} (known: {known})") from None
