"""Drop second copies of an article within one run.

Keys: the canonical URL, the site's article id, and the fingerprint (source + normalised
title + day). Across runs the store recognises articles by the same keys in the database.
Legacy copies (an old URL served without redirect) are left to the store.
"""

from __future__ import annotations

from typing import Any

from kn_crawl.identity import fingerprint, site_ids_compatible
from kn_crawl.items import ArticleItem
from pipelines.drops import Duplicate


def identity_keys(item: ArticleItem) -> list[str]:
    keys = [f"url:{item.url}"]
    if item.site_article_id:
        keys.append(f"id:{item.source}:{item.site_article_id}")
    if item.title and item.published_at:
        keys.append(f"fp:{fingerprint(item.source, item.title, item.published_at, item.teaser)}")
    return keys


class DedupePipeline:
    def __init__(self) -> None:
        # key -> (URL of the copy we kept, its site id)
        self.seen: dict[str, tuple[str, str | None]] = {}

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        if item.legacy_url:
            # Legacy copies go on: the store records their URL as an alias of the article
            # and never lets them replace the current page's content.
            return item
        keys = identity_keys(item)
        for key in keys:
            earlier = self.seen.get(key)
            if earlier is None:
                continue
            earlier_url, earlier_id = earlier
            if key.startswith("fp:") and not site_ids_compatible(item.site_article_id, earlier_id):
                continue  # same title on the same day, but two articles
            raise Duplicate(f"same article as {earlier_url} ({key.split(':', 1)[0]})")
        for key in keys:
            self.seen.setdefault(key, (item.url, item.site_article_id))
        return item
