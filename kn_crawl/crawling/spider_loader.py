"""Scrapy's spider loader for our sources: ``scrapy crawl kommune21`` finds the spider that
``kn_crawl.sources.spider_for`` makes for the source (there is no spider class per source)."""

from __future__ import annotations

import builtins
from typing import Self

from scrapy import Request, Spider
from scrapy.settings import BaseSettings

from kn_crawl.settings import ConfigError
from kn_crawl.sources import source_entry, source_names, spider_for


class SourceSpiderLoader:
    """Implements Scrapy's ``ISpiderLoader``."""

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls()

    def load(self, spider_name: str) -> type[Spider]:
        try:
            return spider_for(spider_name)
        except ConfigError as exc:
            raise KeyError(str(exc)) from None

    def list(self) -> list[str]:
        return source_names(enabled_only=False)

    def find_by_request(self, request: Request) -> builtins.list[str]:
        return [n for n in self.list() if request.url.startswith(source_entry(n).base_url)]
