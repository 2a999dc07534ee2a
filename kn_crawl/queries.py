"""Read-side queries used by the CLI (and later the web UI). Bound parameters only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Select, case, func, select
from sqlalchemy.engine import Connection

from kn_crawl.db.models import (
    Article,
    ArticleRevision,
    ArticleTag,
    CrawlRun,
    DroppedItem,
    Source,
    Tag,
    table_of,
)
from kn_crawl.tags import tag_key

RUNS = table_of(CrawlRun)
SOURCES = table_of(Source)


@dataclass(frozen=True, slots=True)
class ArticleRow:
    id: int
    source: str
    published_at: datetime
    kicker: str | None
    title: str
    url: str
    tags: list[str]
    tag_origins: list[str]
    """The origin of each tag (``site``, ``feed``, ``vocabulary``), in the order of ``tags``."""


def articles_query(
    *,
    tag: str | None = None,
    source: str | None = None,
    since: datetime | None = None,
    limit: int = 20,
) -> Select[int, str, datetime, str | None, str, str]:
    query = (
        select(
            Article.id,
            Source.name,
            Article.published_at,
            Article.kicker,
            Article.title,
            Article.url,
        )
        .join(Source, Source.id == Article.source_id)
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    if source:
        query = query.where(Source.name == source)
    if since:
        query = query.where(Article.published_at >= since)
    if tag:
        tagged = (
            select(ArticleTag.article_id)
            .join(Tag, Tag.id == ArticleTag.tag_id)
            .where(Tag.key == tag_key(tag))
        )
        query = query.where(Article.id.in_(tagged))
    return query


def list_articles(conn: Connection, **filters: object) -> list[ArticleRow]:
    rows = conn.execute(articles_query(**filters)).all()  # type: ignore[arg-type]
    tags = tags_with_origins(conn, [r[0] for r in rows])
    return [
        ArticleRow(
            id=r[0],
            source=r[1],
            published_at=r[2],
            kicker=r[3],
            title=r[4],
            url=r[5],
            tags=[name for name, _ in tags.get(r[0], [])],
            tag_origins=[origin for _, origin in tags.get(r[0], [])],
        )
        for r in rows
    ]


def tags_of(conn: Connection, article_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each article's Stichwörter, in page order (the source's, then the vocabulary's)."""
    return {
        aid: [name for name, _ in tags]
        for aid, tags in tags_with_origins(conn, article_ids).items()
    }


def tags_with_origins(
    conn: Connection, article_ids: Sequence[int]
) -> dict[int, list[tuple[str, str]]]:
    """Each article's (Stichwort, origin) pairs in page order; origin ``site``, ``feed`` or
    ``vocabulary``."""
    result: dict[int, list[tuple[str, str]]] = {}
    if not article_ids:
        return result
    for aid, name, origin in conn.execute(
        select(ArticleTag.article_id, Tag.name, ArticleTag.origin)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .where(ArticleTag.article_id.in_(article_ids))
        .order_by(ArticleTag.article_id, ArticleTag.position)
    ).all():
        result.setdefault(aid, []).append((name, origin))
    return result


@dataclass(frozen=True, slots=True)
class SourceRow:
    name: str
    title: str
    base_url: str
    articles: int
    last_run_at: datetime | None
    last_status: str | None
    last_new: int | None
    last_dropped: int | None
    health: str | None = None
    archive: str = ""
    """``archive incomplete (N listing pages pending)``, or "" (complete, or never crawled)."""
    pending_listings: int = 0
    family: str = ""
    enabled: bool = True
    disabled_reason: str | None = None
    next_due_at: datetime | None = None
    """When the source is due next (None: now, never crawled)."""
    node: str = ""
    """``running on <node>`` while a run of it runs, ``queued on <node>`` while a tick's
    claim waits for its batch, else ""."""
    running: bool = False
    """A run of it is ``running`` now: its next due time is set when that run ends."""


def source_rows(conn: Connection) -> dict[str, SourceRow]:
    counts = dict(
        conn.execute(select(Article.source_id, func.count()).group_by(Article.source_id)).all()
    )
    # The last run that crawled (a skipped run fetched nothing and says nothing).
    last_run_ids = (
        select(func.max(CrawlRun.id))
        .where(CrawlRun.status != "skipped")
        .group_by(CrawlRun.source_id)
        .scalar_subquery()
    )
    runs = {
        r.source_id: r for r in conn.execute(select(RUNS).where(RUNS.c.id.in_(last_run_ids))).all()
    }
    from kn_crawl.db.state_models import SourceHealth

    health = dict(conn.execute(select(SourceHealth.source_id, SourceHealth.status)).all())
    from kn_crawl.db.backfill import archive_states
    from kn_crawl.db.runs import shown_status

    archives = archive_states(conn)
    now = datetime.now(UTC)
    rows = {}
    for src in conn.execute(select(SOURCES).order_by(SOURCES.c.name)).all():
        run = runs.get(src.id)
        archive = archives.get(src.name)
        rows[src.name] = SourceRow(
            name=src.name,
            title=src.title,
            base_url=src.base_url,
            articles=int(counts.get(src.id, 0)),
            last_run_at=run.started_at if run else None,
            # A run left "running" by a dead process shows as "stale" until a command that
            # writes closes it.
            last_status=shown_status(run, now=now) if run else None,
            last_new=run.articles_new if run else None,
            last_dropped=run.dropped if run else None,
            health=health.get(src.id),
            archive=archive.describe() if archive else "",
            pending_listings=archive.pending_listings if archive else 0,
            family=src.family,
            enabled=src.enabled,
            disabled_reason=src.disabled_reason,
            next_due_at=src.next_due_at,
            node=_node_of(src, run, now),
            running=run is not None and run.status == "running",
        )
    return rows


def _node_of(src: Any, run: Any, now: datetime) -> str:
    """Who has the source: the node of its running run, or the node whose tick claimed it
    and whose batch has not started it yet."""
    if run is not None and run.status == "running":
        return f"running on {run.host}" if run.host else "running"
    claimed = src.claimed_at is not None and src.claimed_by
    waiting = src.next_due_at is not None and src.next_due_at > now
    if claimed and waiting and (run is None or src.claimed_at > run.started_at):
        return f"queued on {src.claimed_by}"
    return ""


@dataclass(frozen=True, slots=True)
class Totals:
    sources: int
    """Sources crawled at least once (the catalogue's other sources have rows too)."""
    articles: int
    tags: int
    revisions: int
    dropped_by_reason: dict[str, int]


def totals(conn: Connection, run_ids: Sequence[int] | None = None) -> Totals:
    """Database-wide counts; dropped items only of ``run_ids`` when given."""

    def count(model: type) -> int:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())

    dropped = (
        select(DroppedItem.reason, func.count())
        .where(DroppedItem.note.is_(False))
        .group_by(DroppedItem.reason)
    )
    if run_ids is not None:
        dropped = dropped.where(DroppedItem.run_id.in_(run_ids))
    return Totals(
        sources=int(
            conn.execute(select(func.count(func.distinct(CrawlRun.source_id)))).scalar_one()
        ),
        articles=count(Article),
        tags=count(Tag),
        revisions=count(ArticleRevision),
        dropped_by_reason=dict(conn.execute(dropped.order_by(DroppedItem.reason)).all()),
    )


def dropped_rows(
    conn: Connection, *, run_id: int | None = None, source: str | None = None, limit: int = 50
) -> list[tuple[datetime, str, str, str, str, str | None]]:
    query = (
        select(
            DroppedItem.created_at,
            Source.name,
            DroppedItem.stage,
            # A note (nothing lost) says so next to its reason.
            case(
                (DroppedItem.note.is_(True), DroppedItem.reason + " (note)"),
                else_=DroppedItem.reason,
            ),
            DroppedItem.url,
            DroppedItem.detail,
        )
        .join(Source, Source.id == DroppedItem.source_id, isouter=True)
        .order_by(DroppedItem.id.desc())
        .limit(limit)
    )
    if run_id is not None:
        query = query.where(DroppedItem.run_id == run_id)
    if source:
        query = query.where(Source.name == source)
    return [tuple(r) for r in conn.execute(query).all()]


def runs_of(conn: Connection, run_ids: Sequence[int]) -> list[Row[Any]]:
    """Crawl-run rows (all columns of ``crawl_runs``, attribute access)."""
    return list(conn.execute(select(RUNS).where(RUNS.c.id.in_(run_ids)).order_by(RUNS.c.id)).all())
