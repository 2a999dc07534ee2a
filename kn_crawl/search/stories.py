"""Stories as analysts read them: one story with its articles, stories listed, trending
stories, and the story of each hit of a result list (to collapse it).

Part of the read side: everything here only reads ``stories`` and ``articles.story_id``,
which the store keeps up to date (``kn_crawl.stories``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Row

from kn_crawl.db.models import Article, Source
from kn_crawl.stories.models import Story

StoryOrder = Literal["recent", "sources"]
H = TypeVar("H")
# Trending stories: the last week of collected news unless asked otherwise.
TRENDING_DAYS = 7


@dataclass(frozen=True, slots=True)
class StoryArticle:
    id: int
    source: str
    source_title: str
    title: str
    url: str
    published_at: datetime
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class StoryDetail:
    id: int
    first_seen_at: datetime
    first_published_at: datetime
    last_published_at: datetime
    article_count: int
    source_count: int
    articles: list[StoryArticle]
    """The first article first, then the others by publication (then by when seen)."""

    @property
    def title(self) -> str:
        return self.articles[0].title if self.articles else ""


def _articles(conn: Connection, story_ids: Sequence[int]) -> dict[int, list[StoryArticle]]:
    """Each story's articles in reading order: by publication, then first seen, then id."""
    out: dict[int, list[StoryArticle]] = {i: [] for i in story_ids}
    if not story_ids:
        return out
    rows = conn.execute(
        select(
            Article.story_id,
            Article.id,
            Source.name,
            Source.title,
            Article.title,
            Article.url,
            Article.published_at,
            Article.first_seen_at,
        )
        .join(Source, Source.id == Article.source_id)
        .where(Article.story_id.in_(list(story_ids)))
        .order_by(Article.published_at, Article.first_seen_at, Article.id)
    )
    for sid, aid, source, source_title, title, url, published, seen in rows:
        out[int(sid or 0)].append(
            StoryArticle(aid, source, source_title or source, title, url, published, seen)
        )
    return out


def _first_first(articles: list[StoryArticle], first_id: int | None) -> list[StoryArticle]:
    """The story's first article (as the store names it) at the top, the rest in order."""
    first = [a for a in articles if a.id == first_id]
    return first + [a for a in articles if a.id != first_id]


def story_detail(conn: Connection, story_id: int) -> StoryDetail | None:
    s = conn.execute(select(Story).where(Story.id == story_id)).first()
    if s is None:
        return None
    return _detail(s, _articles(conn, [s.id])[s.id])


def _detail(s: Row[Any], articles: list[StoryArticle]) -> StoryDetail:
    return StoryDetail(
        id=s.id,
        first_seen_at=s.first_seen_at,
        first_published_at=s.first_published_at,
        last_published_at=s.last_published_at,
        article_count=s.article_count,
        source_count=s.source_count,
        articles=_first_first(articles, s.first_article_id),
    )


def list_stories(
    conn: Connection,
    *,
    since: datetime | None = None,
    min_sources: int = 1,
    limit: int = 20,
    offset: int = 0,
    order: StoryOrder = "recent",
) -> list[StoryDetail]:
    """Stories whose newest article was published on or after ``since``, told by at least
    ``min_sources`` sources; newest first (``recent``) or most sources first (``sources``)."""
    stmt = select(Story).where(Story.source_count >= min_sources)
    if since is not None:
        stmt = stmt.where(Story.last_published_at >= since)
    if order == "sources":
        stmt = stmt.order_by(Story.source_count.desc(), Story.last_published_at.desc())
    else:
        stmt = stmt.order_by(Story.last_published_at.desc())
    stories = conn.execute(stmt.order_by(Story.id.desc()).limit(limit).offset(offset)).all()
    members = _articles(conn, [s.id for s in stories])
    return [_detail(s, members[s.id]) for s in stories]


@dataclass(frozen=True, slots=True)
class Trending:
    start: datetime
    """The period's start: ``days`` before the newest article (not before now: a database
    that was not crawled for a while still shows its last busy week)."""
    end: datetime
    """The newest article's publication."""
    days: int
    stories: list[tuple[StoryDetail, int]]
    """Each trending story with the number of sources that told it within the period."""


def trending_stories(
    conn: Connection, *, days: int = TRENDING_DAYS, top: int = 10, min_sources: int = 2
) -> Trending | None:
    """The stories told by the most sources within the last ``days`` days of the newest
    data; ties by the newest article. None when there are no articles.

    Counts the articles published in the period (one indexed range of
    ``articles.published_at``), so a story that began before it counts only its sources
    since."""
    end = conn.execute(select(func.max(Article.published_at))).scalar_one_or_none()
    if end is None:
        return None
    start = end - timedelta(days=days)
    sources = func.count(Article.source_id.distinct()).label("sources")
    newest = func.max(Article.published_at).label("newest")
    ranked = conn.execute(
        select(Article.story_id, sources, newest)
        .where(Article.published_at > start, Article.story_id.is_not(None))
        .group_by(Article.story_id)
        .having(sources >= min_sources)
        .order_by(sources.desc(), newest.desc(), Article.story_id.desc())
        .limit(top)
    ).all()
    counts = [(int(sid or 0), int(n)) for sid, n, _ in ranked]
    ids = [sid for sid, _ in counts]
    by_id = {row.id: row for row in conn.execute(select(Story).where(Story.id.in_(ids)))}
    members = _articles(conn, [i for i in ids if i in by_id])
    found = [(_detail(by_id[sid], members[sid]), n) for sid, n in counts if sid in by_id]
    return Trending(start=start, end=end, days=days, stories=found)


@dataclass(frozen=True, slots=True)
class StoryOf:
    """The story of a hit in a result list."""

    story_id: int
    source_count: int
    article_count: int


def stories_of(conn: Connection, article_ids: Iterable[int]) -> dict[int, StoryOf]:
    """article id → its story (only clustered articles of stories with more than one article:
    a story of one article has nothing to collapse or link)."""
    ids = list(article_ids)
    if not ids:
        return {}
    rows = conn.execute(
        select(Article.id, Story.id, Story.source_count, Story.article_count)
        .join(Story, Story.id == Article.story_id)
        .where(Article.id.in_(ids), Story.article_count > 1)
    )
    return {int(a): StoryOf(int(s), int(n), int(c)) for a, s, n, c in rows}


@dataclass(frozen=True, slots=True)
class Collapsed(Generic[H]):
    hit: H
    story: StoryOf | None
    hidden: int
    """How many hits of this page with the same story were folded into this one."""


def collapse_hits(
    hits: Sequence[H], article_id: Callable[[H], int], stories: dict[int, StoryOf]
) -> list[Collapsed[H]]:
    """A page of hits with each story's hits folded into its first (best ranked) one.

    Folding works within the page: a story's article on the next page shows there again
    (collapsing across pages would rank stories, not articles, a different search)."""
    seen: dict[int, int] = {}
    out: list[Collapsed[H]] = []
    for hit in hits:
        story = stories.get(article_id(hit))
        if story is not None and story.story_id in seen:
            at = seen[story.story_id]
            out[at] = Collapsed(out[at].hit, out[at].story, out[at].hidden + 1)
            continue
        if story is not None:
            seen[story.story_id] = len(out)
        out.append(Collapsed(hit, story, 0))
    return out
