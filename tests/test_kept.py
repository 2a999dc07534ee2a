"""Articles kept where they were read: the store task takes them by key (kn_crawl.crawling.kept),
so an article crosses the page worker's pipe once."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from kn_crawl.crawling import kept
from kn_crawl.db.models import Article
from kn_crawl.db.store import StoreCounts, StoreDrop
from kn_crawl.items import ArticleItem
from tests.test_store import setup_source

NOW = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)


def article(slug: str) -> ArticleItem:
    url = f"https://www.move-online.de/k21-meldungen/{slug}/"
    return ArticleItem(
        source="kommune21",
        url=url,
        fetched_url=url,
        title=f"Meldung {slug}",
        teaser=f"Teaser {slug}",
        published_at=datetime(2025, 1, 30, 10, 0, tzinfo=UTC),
        normalized=True,
    )


def test_kept_items_are_stored_by_key_and_dropped_ones_forgotten(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KN_DATABASE_URL", db_url)
    source_id = setup_source(engine)
    before = kept.kept_count()
    stored, dropped, whole = article("a"), article("b"), article("c")
    kept.keep(stored)
    kept.keep(dropped)
    assert stored.kept is not None and dropped.kept is not None
    assert stored.kept[0] == os.getpid()
    assert kept.kept_count() == before + 2
    # What the store pipeline sends: a key for an item kept in the process the task runs
    # in; the item itself for one kept elsewhere or not kept (read by the spider).
    assert kept.reference(stored, os.getpid()) == kept.Kept(
        os.getpid(), stored.kept[1], stored.fetched_url
    )
    assert kept.reference(stored, os.getpid() + 1) is stored
    assert kept.reference(whole, os.getpid()) is whole
    refs = [kept.reference(stored, os.getpid()), whole]
    result = kept.save_batch(source_id, "kommune21", refs, NOW, None, [dropped.kept[1]])
    assert result == StoreCounts(new=2)
    assert kept.kept_count() == before
    with engine.connect() as conn:
        urls = sorted(conn.execute(select(Article.url)).scalars())
    assert urls == [stored.url, whole.url]


def test_a_key_without_its_item_is_a_store_failure_of_that_page(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KN_DATABASE_URL", db_url)
    source_id = setup_source(engine)
    lost = kept.Kept(os.getpid(), 10**9, "https://www.move-online.de/k21-meldungen/x/")
    result = kept.save_batch(source_id, "kommune21", [lost], NOW, None)
    assert result == StoreCounts(
        drops=[StoreDrop(lost.url, "store_failed", "the read item was lost")]
    )
