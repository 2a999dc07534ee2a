"""End to end: the zoo sites that carry planted stories, crawled over HTTP from the mirror into
SQLite and PostgreSQL. Each republished press release is one story with exactly its copies; the
rewrite and the follow-ups are stories of their own; every other article is alone in its
story; a rebuild ends where the crawl's incremental clustering did."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from kn_crawl.db.engine import make_engine
from kn_crawl.db.models import Article, Source
from kn_crawl.mirror import Mirror
from kn_crawl.mirror.zoo.planted import (
    LOOK_ALIKES,
    PLANTED,
    SAME_STORIES,
    TRIPLE_PUBLISHED,
    story_groups,
)
from kn_crawl.stories.maintenance import rebuild
from kn_crawl.stories.models import Story
from tests.crawling import crawled_planted_zoo

pytestmark = pytest.mark.slow

SOURCES = tuple(sorted({c.source for c in PLANTED}))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def crawled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Mirror, str]]:
    with crawled_planted_zoo(request, tmp_path_factory, "stories") as (mirror, db_url):
        yield mirror, db_url


def _rows(db_url: str) -> dict[str, Any]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return {
                r.url: r
                for r in conn.execute(
                    select(Article.url, Article.story_id, Source.name).join(
                        Source, Source.id == Article.source_id
                    )
                )
            }
    finally:
        engine.dispose()


def _stories(db_url: str) -> dict[int, Any]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return {r.id: r for r in conn.execute(select(Story))}
    finally:
        engine.dispose()


def test_every_planted_story_is_found_and_nothing_else_is_joined(
    crawled: tuple[Mirror, str],
) -> None:
    mirror, db_url = crawled
    rows = _rows(db_url)
    truth = story_groups({s: mirror.expected_articles(s) for s in SOURCES})
    assert len(rows) == sum(len(mirror.expected_articles(s)) for s in SOURCES)
    stories = _stories(db_url)
    for key in SAME_STORIES:
        ids = {rows[a.url].story_id for _, a in truth[key]}
        assert len(ids) == 1, key
        story = stories[ids.pop()]
        assert (story.article_count, story.source_count) == (3, 3), key
    # Every other article (look-alikes included) is a story of its own.
    joined = {a.url for key in SAME_STORIES for _, a in truth[key]}
    alone = [r for url, r in rows.items() if url not in joined]
    assert all(stories[r.story_id].article_count == 1 for r in alone)
    assert len({r.story_id for r in alone}) == len(alone)
    assert len(stories) == len(rows) - 2 * len(SAME_STORIES)
    assert all(key in truth for key in LOOK_ALIKES)


def test_the_triple_published_release_is_one_story_of_three_sources(
    crawled: tuple[Mirror, str],
) -> None:
    mirror, db_url = crawled
    rows = _rows(db_url)
    copies = story_groups({s: mirror.expected_articles(s) for s in SOURCES})[TRIPLE_PUBLISHED]
    assert [s for s, _ in copies] == ["dstgb", "behoerdenspiegel", "egovernment"]
    assert {rows[a.url].name for _, a in copies} == {"dstgb", "behoerdenspiegel", "egovernment"}
    story = _stories(db_url)[rows[copies[0][1].url].story_id]
    assert story.first_published_at == copies[0][1].published.astimezone(UTC)


def test_a_rebuild_ends_where_the_crawl_did(crawled: tuple[Mirror, str]) -> None:
    _, db_url = crawled
    before = _partition(_rows(db_url))
    engine = make_engine(db_url)
    try:
        result = rebuild(engine, now=datetime(2025, 3, 1, tzinfo=UTC))
    finally:
        engine.dispose()
    assert _partition(_rows(db_url)) == before
    assert result.multi_source == len(SAME_STORIES)


def _partition(rows: dict[str, Any]) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for url, r in rows.items():
        groups.setdefault(r.story_id, set()).add(url)
    return {frozenset(g) for g in groups.values()}
