"""Give every article the vocabulary's Stichwörter (``kn_crawl.vocabulary``), each marked
``tag_origins[tag] = "vocabulary"``; the tags the site or feed gave keep their origin.

Like normalisation, the page worker does this where it reads the page
(``reading.crawl_article``), off the reactor and before it keeps the item, so the store
still sends only the item's key; this pipeline tags the items that did not come that way
(feed-only items the spider builds, items read in the crawl process). Both call the one
function, ``apply_vocabulary``, with the vocabulary of ``KN_VOCABULARY_FILE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

from scrapy.crawler import Crawler

from kn_crawl.items import ArticleItem
from kn_crawl.vocabulary import Matcher, apply_vocabulary, load_matcher


class VocabularyPipeline:
    def __init__(self, path: Path | None) -> None:
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("KN_VOCABULARY_FILE") or None
        return cls(Path(path) if path else None)

    @property
    def matcher(self) -> Matcher:
        # Compiled when first needed (once per process): with the page worker on, the crawl
        # process rarely needs it. A bad file was refused when the command started.
        return load_matcher(self.path)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem) and not item.vocabulary_applied:
            apply_vocabulary(item, self.matcher)
            item.kept = None  # changed since it was read: the store sends it whole
        return item
