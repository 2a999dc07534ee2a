"""Drop second copies of an article within one run.

Keys: the canonical URL, the site's article id, and the fingerprint (source + normalised
title + day). Across runs the store recognises articles by the same keys in the database.
Legacy copies (an old URL served without redirect) are left to the store.

The canonical URL alone makes a second copy. The weaker keys do only when the content agrees
(``identity.same_article``, the store's rule): two articles that share a site id but not
their title and date both go on, and the store records the conflict.
"""

from __future__ import annotations

from typing import Any

from kn_crawl.identity import Likeness, fingerprint, same_article, site_ids_compatible
from kn_crawl.items import ArticleItem
from pipelines.drops import Duplicate


def identity_keys(item: ArticleItem) -> list[str]:
    keys = [f"url:{item.url}"]
    if item.site_article_id:
        keys.append(f"id:{item.source}:{item.site_article_id}")
    if item.title and item.published_at:
        keys.append(f"fp:{fingerprint(item.source, item.title, item.published_at, item.teaser)}")
    return keys


def likeness(item: ArticleItem) -> Likeness | None:
    if not item.title or not item.published_at:
        return None
    return Likeness(title=item.title, published_at=item.published_at, teaser=item.teaser)


class DedupePipeline:
    def __init__(self) -> None:
        # key -> (URL of the copy we kept, its site id, what it looked like)
        self.seen: dict[str, tuple[str, str | None, Likeness | None]] = {}

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        if item.legacy_url:
            # Legacy copies go on: the store records their URL as an alias of the article
            # and never lets them replace the current page's content.
            return item
        keys = identity_keys(item)
        looks = likeness(item)
        for key in keys:
            earlier = self.seen.get(key)
            if earlier is None:
                continue
            earlier_url, earlier_id, earlier_looks = earlier
            if key.startswith("fp:") and not site_ids_compatible(item.site_article_id, earlier_id):
                continue  # same title on the same day, but two articles
            if (
                not key.startswith("url:")
                and looks is not None
                and earlier_looks is not None
                and not same_article(earlier_looks, looks)
            ):
                continue  # a shared key, but another article: the store decides
            raise Duplicate(f"same article as {earlier_url} ({key.split(':', 1)[0]})")
        for key in keys:
            self.seen.setdefault(key, (item.url, item.site_article_id, looks))
        return item
