"""Drop items that cannot be an article (no URL, title or date), with the reason recorded."""

from __future__ import annotations

from typing import Any

from kn_crawl.items import ArticleItem
from kn_crawl.urls import is_http_url
from pipelines.drops import Rejected


def rejection(item: ArticleItem) -> Rejected | None:
    """Why ``item`` cannot be stored, or None when it can."""
    if not is_http_url(item.url):
        return Rejected("no_url", f"no usable URL ({item.url!r})")
    if not item.title:
        return Rejected("no_title", f"no title found on {item.fetched_url}")
    if item.published_at is None:
        hint = "; ".join(item.warnings) if item.warnings else "no date signal on the page"
        return Rejected("no_date", f"no publication date found ({hint})")
    if item.published_at.tzinfo is None:
        return Rejected("bad_date", f"publication date without timezone: {item.published_at}")
    return None


class ValidatePipeline:
    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            problem = rejection(item)
            if problem is not None:
                raise problem
        return item
