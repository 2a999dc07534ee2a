"""Normalise extracted items: canonical URLs, clean text, unique clean Stichwörter."""

from __future__ import annotations

from typing import Any

from kn_crawl.items import ArticleItem
from kn_crawl.tags import clean_tag, tag_key
from kn_crawl.text import clean_text
from kn_crawl.urls import canonicalize_url

TEXT_FIELDS = (
    "title",
    "kicker",
    "teaser",
    "section",
    "type_label",
    "image_caption",
    "image_credit",
)


def normalize_article(item: ArticleItem) -> ArticleItem:
    """Return ``item`` normalised in place (idempotent)."""
    for name in TEXT_FIELDS:
        setattr(item, name, clean_text(getattr(item, name)))
    # The body keeps its paragraph breaks; only each paragraph is cleaned.
    if item.body is not None:
        paragraphs = [clean_text(p) for p in item.body.split("\n\n")]
        item.body = "\n\n".join(p for p in paragraphs if p) or None
    item.url = canonicalize_url(item.url)
    aliases = {canonicalize_url(u) for u in [item.fetched_url, *item.alias_urls]}
    aliases.discard(item.url)
    item.alias_urls = sorted(aliases)
    if item.image_url:
        item.image_url = canonicalize_url(item.image_url)
    tags: list[str] = []
    keys: set[str] = set()
    origins: dict[str, str] = {}
    for raw in item.tags:
        cleaned = clean_tag(raw)
        key = tag_key(cleaned) if cleaned else ""
        if cleaned and key and key not in keys:
            keys.add(key)
            tags.append(cleaned)
            # The origin follows the tag to its clean spelling (missing: the site).
            if raw in item.tag_origins:
                origins[cleaned] = item.tag_origins[raw]
    item.tags = tags
    item.tag_origins = origins
    item.normalized = True
    return item


class NormalizePipeline:
    def process_item(self, item: Any) -> Any:
        # Items from the page worker come normalised (the same function, in its process).
        if isinstance(item, ArticleItem) and not item.normalized:
            normalize_article(item)
        return item
