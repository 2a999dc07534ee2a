"""RSS/Atom feeds as listings (feedparser does the format work)."""

from __future__ import annotations

from datetime import datetime

import feedparser
from lxml.html import fragment_fromstring

from kn_crawl.dates import parse_date
from kn_crawl.items import Listing, ListingEntry
from kn_crawl.text import clean_text, split_kicker, strip_more


class FeedError(ValueError):
    """The document is not a usable feed."""


def _plain(html: str | None) -> str | None:
    if not html:
        return None
    if "<" not in html:
        return clean_text(html)
    try:
        return clean_text(fragment_fromstring(html, create_parent="div").text_content())
    except (ValueError, TypeError):
        return clean_text(html)


def parse_feed(body: bytes, url: str, *, now: datetime | None = None) -> Listing:
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.entries:
        if parsed.get("bozo"):
            raise FeedError(f"not a feed: {parsed.get('bozo_exception')}")
        if not parsed.get("feed") and not parsed.get("version"):
            raise FeedError("not a feed: no channel")
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        kicker, title = split_kicker(clean_text(entry.get("title")))
        published = parse_date(entry.get("published") or entry.get("updated"), now=now)
        entries.append(
            ListingEntry(
                url=link,
                title=title,
                kicker=kicker,
                teaser=strip_more(_plain(entry.get("summary"))),
                published_at=published,
            )
        )
    return Listing(url=url, entries=entries)


def looks_like_feed(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith(b"<?xml") or b"<rss" in head or b"<feed" in head
