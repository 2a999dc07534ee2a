"""Drop items that cannot be an article (no URL, title or date), with the reason recorded;
cut fields longer than the database takes, with a note recorded.

Field caps hold on both databases: PostgreSQL refuses a value longer than its ``VARCHAR``
column (and with it the whole batch), SQLite stores anything. So every field is cut here,
before the store: a ``VARCHAR`` field to its column's length, a ``TEXT`` field to a cap far
above any real article (a 100 KB "title" is a broken page, and it would be mailed whole).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

from scrapy.crawler import Crawler

from kn_crawl.crawling.signals import page_failed
from kn_crawl.dates import BERLIN, is_future_date
from kn_crawl.db.models import Article, ArticleUrl
from kn_crawl.items import ArticleItem
from kn_crawl.urls import canonicalize_url, is_http_url
from pipelines.drops import Rejected


def _column_length(column: Any) -> int:
    length = column.type.length
    assert isinstance(length, int), column
    return length


URL_CAP = min(_column_length(Article.__table__.c.url), _column_length(ArticleUrl.__table__.c.url))

# Characters kept per text field. VARCHAR columns: their length. TEXT columns: measured on
# the K21 sites, the longest title has ~150 characters, kicker ~60, teaser ~600, body ~25,000.
FIELD_CAPS: dict[str, int] = {
    "title": 1000,
    "kicker": 500,
    "teaser": 5000,
    "body": 1_000_000,
    "image_caption": 2000,
    "image_credit": 500,
    "section": _column_length(Article.__table__.c.section),
    "type_label": _column_length(Article.__table__.c.type_label),
}
# Identifiers: a cut one would be another identifier, so one that is too long is left out.
ID_CAPS: dict[str, int] = {
    "site_article_id": _column_length(Article.__table__.c.site_article_id),
    "image_url": _column_length(Article.__table__.c.image_url),
}


@dataclass(frozen=True, slots=True)
class Note:
    """Something changed on the way to the store; the article is still stored."""

    reason: str
    detail: str


def cap_fields(item: ArticleItem) -> list[Note]:
    """Cut ``item``'s fields to what the database takes, in place; a note for each field
    changed. A canonical URL longer than its column (it cannot be cut and still lead to the
    page) gives way to the fetched URL when that fits; the item's URL is checked again by
    :func:`rejection`."""
    notes: list[Note] = []
    for name, cap in FIELD_CAPS.items():
        value = getattr(item, name)
        if value is not None and len(value) > cap:
            setattr(item, name, value[: cap - 1].rstrip() + "…")
            notes.append(Note("field_truncated", f"{name}: {len(value)} characters cut to {cap}"))
    for name, cap in ID_CAPS.items():
        value = getattr(item, name)
        if value is not None and len(value) > cap:
            setattr(item, name, None)
            notes.append(
                Note(
                    "field_truncated",
                    f"{name}: {len(value)} characters, longer than {cap}; left out",
                )
            )
    if len(item.url) > URL_CAP:
        fetched = canonicalize_url(item.fetched_url)
        if len(fetched) <= URL_CAP:
            notes.append(
                Note(
                    "field_truncated",
                    f"url: the canonical URL has {len(item.url)} characters, more than "
                    f"{URL_CAP}; stored under the fetched URL",
                )
            )
            item.url = fetched
    aliases = [u for u in item.alias_urls if len(u) <= URL_CAP and u != item.url]
    if len(aliases) < len([u for u in item.alias_urls if u != item.url]):
        notes.append(
            Note("field_truncated", f"alias_urls: URLs longer than {URL_CAP} characters left out")
        )
    item.alias_urls = aliases
    return notes


def rejection(item: ArticleItem, *, now: datetime | None = None) -> Rejected | None:
    """Why ``item`` cannot be stored, or None when it can. ``now``: the crawl's time, for
    dates in the future (None: not checked)."""
    if not is_http_url(item.url):
        return Rejected("no_url", f"no usable URL ({item.url!r})")
    if len(item.url) > URL_CAP:
        return Rejected(
            "url_too_long", f"URL of {len(item.url)} characters, the database takes {URL_CAP}"
        )
    if not item.title:
        return Rejected("no_title", f"no title found on {item.fetched_url}")
    if item.published_at is None:
        hint = "; ".join(item.warnings) if item.warnings else "no date signal on the page"
        return Rejected("no_date", f"no publication date found ({hint})")
    if item.published_at.tzinfo is None:
        return Rejected("bad_date", f"publication date without timezone: {item.published_at}")
    if now is not None and is_future_date(item.published_at, now=now, tz=BERLIN):
        return Rejected(
            "future_date",
            f"publication date {item.published_at.isoformat()} is later than tomorrow",
        )
    return None


class ValidatePipeline:
    def __init__(self, crawler: Crawler | None = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            notes = cap_fields(item)
            if notes:
                item.kept = None  # changed since it was read: the store sends it whole
            for note in notes:
                self._note(item, note)
            problem = rejection(item, now=datetime.now(UTC))
            if problem is not None:
                raise problem
        return item

    def _note(self, item: ArticleItem, note: Note) -> None:
        if self.crawler is None:
            return
        self.crawler.signals.send_catch_log(
            signal=page_failed,
            url=item.fetched_url,
            stage="validate",
            reason=note.reason,
            detail=note.detail,
        )
