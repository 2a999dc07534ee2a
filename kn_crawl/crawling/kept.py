"""Articles kept where they were read, so each crosses the page worker's pipe once.

The page worker reads an article page (``reading.crawl_article``) and keeps the item; the
crawl process gets a copy for its pipelines (validate, dedupe), which decide whether it is
stored. The store pipeline then sends only the item's key (:class:`Kept`) with its batch, and
the keys of items the pipelines dropped (to forget); :func:`save_batch` stores the kept items.
An item changed in the crawl process after it was read (validation cut a field) is sent
whole, as is every item read elsewhere than where the batch is stored (a worker that died,
feed-only items built by the spider).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kn_crawl.db.store import StoreCounts, StoreDrop, StoreFailure
from kn_crawl.db.store import save_batch as store_batch
from kn_crawl.items import ArticleItem

_kept: dict[int, ArticleItem] = {}
_numbers = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Kept:
    """A reference to an item kept by process ``pid``."""

    pid: int
    number: int
    url: str
    """The fetched URL, for the record if the item is gone."""


def keep(item: ArticleItem) -> None:
    """Keep ``item`` in this process and mark it with its key (``item.kept``)."""
    number = next(_numbers)
    item.kept = (os.getpid(), number)
    _kept[number] = item


def reference(item: ArticleItem, pid: int) -> ArticleItem | Kept:
    """What to send of ``item`` to a store task running in process ``pid``."""
    if item.kept is not None and item.kept[0] == pid:
        return Kept(pid, item.kept[1], item.fetched_url)
    return item


def save_batch(
    source_id: int,
    source: str,
    items: Sequence[ArticleItem | Kept],
    now: datetime,
    run_id: int | None,
    forget: Sequence[int] = (),
) -> StoreCounts | StoreFailure:
    """The store pipeline's task: the batch, kept items taken by their keys, into the
    database; ``forget``: keys of kept items the pipelines dropped."""
    for number in forget:
        _kept.pop(number, None)
    whole: list[ArticleItem] = []
    missing: list[StoreDrop] = []
    for entry in items:
        if isinstance(entry, Kept):
            item = _kept.pop(entry.number, None) if entry.pid == os.getpid() else None
            if item is None:  # cannot happen while keys go only where items are kept
                missing.append(StoreDrop(entry.url, "store_failed", "the read item was lost"))
                continue
            whole.append(item)
        else:
            whole.append(entry)
    if not whole:
        return StoreCounts(drops=missing)
    result = store_batch(source_id, source, whole, now, run_id)
    if isinstance(result, StoreCounts):
        result.drops.extend(missing)
    return result


def kept_count() -> int:
    """Items kept in this process (for tests: nothing is left behind)."""
    return len(_kept)
