"""Feed entries as articles: what a feed says fills what the page lacks, and where the page
may not be read the entry alone is the article."""

from __future__ import annotations

from kn_crawl.items import ArticleItem, ListingEntry

FEED = "feed"
"""The origin of a Stichwort a feed entry gave (``ArticleItem.tag_origins``)."""


def item_from_entry(source: str, entry: ListingEntry) -> ArticleItem:
    """The article as its feed entry tells it, marked ``feed_only`` (its page was not read)."""
    return ArticleItem(
        source=source,
        url=entry.url,
        fetched_url=entry.url,
        title=entry.title,
        kicker=entry.kicker,
        teaser=entry.teaser,
        body=entry.body,
        published_at=entry.published_at,
        date_signal="feed" if entry.published_at is not None else None,
        tags=list(entry.tags),
        tag_origins=dict.fromkeys(entry.tags, FEED),
        type_label=entry.type_label,
        author=entry.author,
        feed_only=True,
    )


def merge_entry(item: ArticleItem, entry: ListingEntry) -> None:
    """Fill what the page did not show from the feed entry that linked it; the feed's
    categories are added to the page's Stichwörter."""
    for name in ("title", "kicker", "teaser", "author", "type_label"):
        if getattr(item, name) is None and getattr(entry, name) is not None:
            setattr(item, name, getattr(entry, name))
    if item.published_at is None and entry.published_at is not None:
        item.published_at = entry.published_at
        item.date_signal = "feed"
    if item.body is None and entry.body:
        item.body = entry.body
    own = set(item.tags)
    for tag in entry.tags:
        if tag not in own:  # the page shows it too: the site's
            item.tag_origins.setdefault(tag, FEED)
    item.tags = list(dict.fromkeys([*item.tags, *entry.tags]))
