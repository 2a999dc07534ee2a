"""Story clustering in the store, against real SQLite and PostgreSQL: republished press
releases join one story, look-alikes stay apart, revisions move, deletions recount, a rebuild
ends where incremental clustering did, and concurrent writers make one story."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from kn_crawl.cli import main
from kn_crawl.db.models import Article
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.items import ArticleItem
from kn_crawl.mirror.story_pairs import judge, labelled_pairs
from kn_crawl.mirror.zoo.planted import BSI_RELEASE, PLANTED, STORY, PlantedCopy
from kn_crawl.stories.maintenance import forget, rebuild
from kn_crawl.stories.models import Story, StoryBucket, StorySignature
from kn_crawl.stories.sketch import BANDS

NOW = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)


def copy_of(story: str, source: str) -> PlantedCopy:
    return next(c for c in PLANTED if c.story == story and c.source == source)


def item_of(copy: PlantedCopy, **changes: object) -> ArticleItem:
    url = f"https://{copy.source}.example/{copy.story}"
    base = ArticleItem(
        source=copy.source,
        url=url,
        fetched_url=url,
        title=copy.title,
        kicker=copy.kicker,
        teaser=copy.teaser,
        body="\n\n".join(copy.body),
        published_at=copy.published,
        date_signal="visible",
        tags=list(copy.tags),
        section=copy.category,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


class World:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = ArticleStore(engine)
        self.ids: dict[str, int] = {}

    def source_id(self, name: str) -> int:
        if name not in self.ids:
            with self.engine.begin() as conn:
                self.ids[name] = ensure_source(
                    conn, name=name, family="generic", title=name, base_url=f"https://{name}/"
                )
        return self.ids[name]

    def save(self, *items: ArticleItem, now: datetime = NOW) -> None:
        by_source: dict[str, list[ArticleItem]] = {}
        for it in items:
            by_source.setdefault(it.source, []).append(it)
        for source, batch in by_source.items():
            counts = self.store.save(self.source_id(source), source, batch, now=now)
            assert counts.drops == []

    def story_of(self, it: ArticleItem) -> int:
        with self.engine.connect() as conn:
            sid = conn.execute(select(Article.story_id).where(Article.url == it.url)).scalar_one()
        assert sid is not None
        return int(sid)

    def article_id(self, it: ArticleItem) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(Article.id).where(Article.url == it.url)).scalar_one())

    def story(self, sid: int) -> Story:
        with self.engine.connect() as conn:
            row = conn.execute(select(Story).where(Story.id == sid)).one_or_none()
        assert row is not None, f"story {sid} is gone"
        return row  # type: ignore[no-any-return]

    def partition(self) -> set[frozenset[str]]:
        with self.engine.connect() as conn:
            groups: dict[int, set[str]] = {}
            for url, sid in conn.execute(select(Article.url, Article.story_id)):
                assert sid is not None, url
                groups.setdefault(sid, set()).add(url)
        return {frozenset(g) for g in groups.values()}

    def count(self, model: type) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
def world(engine: Engine) -> World:
    return World(engine)


def _triple() -> list[ArticleItem]:
    return [item_of(c) for c in PLANTED if c.story == STORY]


def test_a_republished_release_joins_the_first_ones_story(world: World) -> None:
    dstgb, bs, egov = _triple()
    world.save(dstgb)
    world.save(bs)
    world.save(egov)
    sid = world.story_of(dstgb)
    assert world.story_of(bs) == sid
    assert world.story_of(egov) == sid
    story = world.story(sid)
    assert (story.article_count, story.source_count) == (3, 3)
    assert story.first_article_id == world.article_id(dstgb)
    assert story.first_published_at == dstgb.published_at
    assert story.last_published_at == egov.published_at
    assert story.first_seen_at == NOW
    assert world.count(Story) == 1
    assert world.count(StorySignature) == 3
    assert world.count(StoryBucket) == 3 * BANDS


def test_one_batch_clusters_within_itself(world: World) -> None:
    first = item_of(copy_of(STORY, "dstgb"))
    same_source_copy = replace(
        item_of(copy_of(STORY, "behoerdenspiegel")), source="dstgb", url="https://dstgb.example/2"
    )
    world.save(first, same_source_copy)
    assert world.story_of(first) == world.story_of(same_source_copy)
    story = world.story(world.story_of(first))
    assert (story.article_count, story.source_count) == (2, 1)


def test_look_alikes_and_follow_ups_are_stories_of_their_own(world: World) -> None:
    everything = [item_of(c) for c in PLANTED]
    world.save(*everything)
    stories = {c.story: set[int]() for c in PLANTED}
    for c, it in zip(PLANTED, everything, strict=True):
        stories[c.story].add(world.story_of(it))
    assert all(len(ids) == 1 for ids in stories.values())
    assert len({next(iter(ids)) for ids in stories.values()}) == len(stories)
    assert world.count(Story) == 5
    assert world.story(next(iter(stories[BSI_RELEASE]))).article_count == 3


def test_a_release_published_again_after_the_window_is_a_new_story(world: World) -> None:
    first = item_of(copy_of(STORY, "dstgb"))
    late = item_of(
        copy_of(STORY, "behoerdenspiegel"),
        published_at=first.published_at + timedelta(days=30),
    )
    world.save(first, late)
    assert world.story_of(first) != world.story_of(late)


def test_a_story_does_not_chain_beyond_its_window(world: World) -> None:
    # Each copy is within the window of the one before, but the last is not within the window
    # of the story's first publication: it starts a story of its own.
    base = item_of(copy_of(STORY, "dstgb"))
    chain = [
        replace(
            base,
            source=f"site{k}",
            url=f"https://site{k}.example/a",
            fetched_url=f"https://site{k}.example/a",
            published_at=base.published_at + timedelta(days=10 * k),
        )
        for k in range(3)
    ]
    for it in chain:
        world.save(it)
    assert world.story_of(chain[0]) == world.story_of(chain[1])
    assert world.story_of(chain[2]) != world.story_of(chain[0])


def test_a_revision_that_becomes_other_news_moves_out(world: World) -> None:
    dstgb, bs, egov = _triple()
    world.save(dstgb, bs, egov)
    sid = world.story_of(dstgb)
    rewrite = copy_of("negz-umfrage-deutschland-stack", "negz")
    changed = replace(
        bs, title=rewrite.title, teaser=rewrite.teaser, body="\n\n".join(rewrite.body)
    )
    world.save(changed, now=NOW + timedelta(hours=2))
    assert world.story_of(dstgb) == sid
    moved = world.story_of(changed)
    assert moved != sid
    assert world.story(sid).article_count == 2
    assert world.story(sid).source_count == 2
    assert world.story(sid).updated_at == NOW + timedelta(hours=2)
    assert world.story(moved).article_count == 1
    assert world.count(Story) == 2
    # ... and back: the same copy again joins the release's story, its own story is removed.
    world.save(bs, now=NOW + timedelta(hours=3))
    assert world.story_of(bs) == sid
    assert world.story(sid).article_count == 3
    assert world.count(Story) == 1


def test_a_revision_of_the_first_article_keeps_the_story_right(world: World) -> None:
    dstgb, bs, egov = _triple()
    world.save(dstgb, bs, egov)
    sid = world.story_of(dstgb)
    rewrite = copy_of("deutschland-stack-zeitplan", "digitaleverwaltung")
    changed = replace(
        dstgb, title=rewrite.title, teaser=rewrite.teaser, body="\n\n".join(rewrite.body)
    )
    world.save(changed, now=NOW + timedelta(hours=1))
    assert world.story_of(bs) == sid
    story = world.story(sid)
    assert story.first_article_id == world.article_id(bs)
    assert story.first_published_at == bs.published_at
    assert (story.article_count, story.source_count) == (2, 2)


def test_forget_recounts_and_removes_an_empty_story(world: World) -> None:
    dstgb, bs, egov = _triple()
    world.save(dstgb, bs, egov)
    sid = world.story_of(dstgb)
    ids = [world.article_id(it) for it in (dstgb, bs, egov)]
    assert forget(world.engine, [ids[0], 999_999], now=NOW + timedelta(days=1)) == [ids[0]]
    story = world.story(sid)
    assert (story.article_count, story.source_count) == (2, 2)
    assert story.first_article_id == ids[1]
    assert story.first_published_at == bs.published_at
    assert world.count(StorySignature) == 2
    assert world.count(StoryBucket) == 2 * BANDS
    assert forget(world.engine, ids, now=NOW + timedelta(days=1)) == ids[1:]
    assert world.count(Story) == 0
    assert world.count(Article) == 0
    assert world.count(StoryBucket) == 0


def test_a_deleted_story_s_id_is_never_handed_out_again(world: World) -> None:
    """Alerts remember stories by id (``story:<id>``): on SQLite too, the id of the newest
    story, deleted with its last article, must not name the next new story."""
    dstgb, _bs, _egov = _triple()
    world.save(dstgb)
    sid = world.story_of(dstgb)
    forget(world.engine, [world.article_id(dstgb)], now=NOW + timedelta(days=1))
    assert world.count(Story) == 0
    world.save(dstgb, now=NOW + timedelta(days=2))
    assert world.story_of(dstgb) > sid


def test_rebuild_ends_where_incremental_clustering_did(world: World) -> None:
    everything = [item_of(c) for c in PLANTED]
    for it in everything:  # one batch each, as separate crawls would store them
        world.save(it)
    before = world.partition()
    result = rebuild(world.engine, now=NOW + timedelta(days=1))
    assert world.partition() == before
    assert (result.articles, result.stories, result.multi_source) == (len(PLANTED), 5, 2)
    assert world.count(StorySignature) == len(PLANTED)
    # Idempotent.
    rebuild(world.engine, now=NOW + timedelta(days=2))
    assert world.partition() == before


def test_an_unclustered_article_joins_its_story_when_seen_again(world: World) -> None:
    dstgb, bs, _ = _triple()
    world.save(dstgb, bs)
    with world.engine.begin() as conn:  # as migration 0014 leaves older articles
        conn.execute(Article.__table__.update().values(story_id=None))  # type: ignore[attr-defined]
        conn.execute(Story.__table__.delete())  # type: ignore[attr-defined]
        conn.execute(StoryBucket.__table__.delete())  # type: ignore[attr-defined]
        conn.execute(StorySignature.__table__.delete())  # type: ignore[attr-defined]
    world.save(dstgb, bs, now=NOW + timedelta(days=1))
    assert world.story_of(dstgb) == world.story_of(bs)
    assert world.story(world.story_of(dstgb)).article_count == 2


def test_concurrent_writers_of_one_release_make_one_story(world: World) -> None:
    copies = _triple()
    for c in copies:
        world.source_id(c.source)
    barrier = threading.Barrier(len(copies))

    def write(it: ArticleItem) -> None:
        barrier.wait()  # all three store at the same moment
        world.save(it)

    with ThreadPoolExecutor(len(copies)) as pool:
        for done in [pool.submit(write, it) for it in copies]:
            done.result()  # re-raises a writer's error here
    assert len({world.story_of(it) for it in copies}) == 1
    story = world.story(world.story_of(copies[0]))
    assert (story.article_count, story.source_count) == (3, 3)
    assert world.count(Story) == 1


def test_the_labelled_set_at_the_chosen_threshold() -> None:
    """Precision and recall of the store's judgement (LSH bucket, then the estimate) on the
    labelled set; ``bench/bench_stories.py`` shows the other thresholds and shingle kinds."""
    pairs = labelled_pairs()
    assert (len(pairs), sum(p.same for p in pairs)) == (2083, 11)
    verdicts = judge(pairs)
    assert (verdicts.true_same, verdicts.false_same, verdicts.missed) == (11, 0, 0)
    assert verdicts.true_other == 2072
    assert (verdicts.precision, verdicts.recall) == (1.0, 1.0)


def test_the_forget_command(world: World, db_url: str, tmp_path: Path) -> None:
    dstgb, bs, egov = _triple()
    world.save(dstgb, bs, egov)
    sid = world.story_of(dstgb)
    first = world.article_id(dstgb)
    env = {"KN_DATABASE_URL": db_url, "KN_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["forget", str(first), "999999"], env=env)
    assert result.exit_code == 1, result.output
    assert result.stdout == f"forgot 1 article: {first}\n"
    assert result.stderr == "kn-crawl: no such article: 999999\n"
    assert world.story(sid).article_count == 2
    assert world.story(sid).first_article_id == world.article_id(bs)
    bad = CliRunner().invoke(main, ["forget", "zero"], env=env)
    assert bad.exit_code == 2
    assert world.count(Article) == 2


def test_bare_titles_are_stories_of_their_own(world: World) -> None:
    # Two sources' "Pressemitteilung" entries without text: the same words, no shared news.
    bare = [
        ArticleItem(
            source=source,
            url=f"https://{source}.example/pm",
            fetched_url=f"https://{source}.example/pm",
            title="Pressemitteilung",
            published_at=NOW,
            date_signal="visible",
        )
        for source in ("one", "two")
    ]
    world.save(*bare)
    assert world.story_of(bare[0]) != world.story_of(bare[1])
    assert world.count(StoryBucket) == 0
    assert world.count(StorySignature) == 2
