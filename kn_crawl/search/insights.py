"""Stichwörter over time and database statistics: most used, newly appeared, rising tags; the
weekly counts of one tag; articles per source and month; crawl runs.

"Rising" and "new" count back from the newest article (or an explicit end), not from today: a
database crawled last month, an archive or the demo's mirror would otherwise show nothing, and
nothing would say why. Every such answer carries its ``Window`` so pages and the CLI show the
period they counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from kn_crawl.dates import BERLIN
from kn_crawl.db.models import Article, ArticleTag, CrawlRun, Source, Tag
from kn_crawl.items import VOCABULARY
from kn_crawl.search.periods import fill_weeks, month_of, week_key, week_of


@dataclass(frozen=True, slots=True)
class TagCount:
    key: str
    name: str
    count: int
    previous: int = 0
    """Count in the previous period (rising tags)."""
    first_published_at: datetime | None = None

    @property
    def growth(self) -> int:
        return self.count - self.previous


def top_tags(
    conn: Connection, *, since: datetime | None = None, until: datetime | None = None, top: int = 20
) -> list[TagCount]:
    """Most used Stichwörter (of articles published in [since, until) when given)."""
    n = func.count().label("n")
    stmt = (
        select(Tag.key, Tag.name, n)
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .group_by(Tag.id, Tag.key, Tag.name)
        .order_by(n.desc(), Tag.name)
        .limit(top)
    )
    if since is not None or until is not None:
        stmt = stmt.join(Article, Article.id == ArticleTag.article_id)
        if since is not None:
            stmt = stmt.where(Article.published_at >= since)
        if until is not None:
            stmt = stmt.where(Article.published_at < until)
    return [TagCount(key=k, name=name, count=int(c)) for k, name, c in conn.execute(stmt).all()]


def new_tags(
    conn: Connection, *, since: datetime, until: datetime | None = None, top: int = 50
) -> list[TagCount]:
    """Stichwörter a source gave whose first such article was published on or after
    ``since`` (and before ``until`` when given), newest first. The vocabulary's are left
    out, as in "new Stichwörter" alerts: a term the vocabulary finds is not news because a
    text names it."""
    # The tags of the period's articles, less those with an article before it: reads the
    # period's articles (by date index) and, per tag, its articles until an earlier one
    # (by the (tag, article) index). Grouping every tag's whole history instead (HAVING
    # min(published_at) >= since) took 37 s on a million articles.
    earlier_tag = aliased(ArticleTag)
    earlier_article = aliased(Article)
    earlier = (
        select(earlier_tag.article_id)
        .join(earlier_article, earlier_article.id == earlier_tag.article_id)
        .where(
            earlier_tag.tag_id == Tag.id,
            earlier_tag.origin != VOCABULARY,
            earlier_article.published_at < since,
        )
        .exists()
    )
    first = func.min(Article.published_at).label("first")
    n = func.count().label("n")
    stmt = (
        select(Tag.key, Tag.name, n, first)
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .join(Article, Article.id == ArticleTag.article_id)
        .where(ArticleTag.origin != VOCABULARY, Article.published_at >= since, ~earlier)
        .group_by(Tag.id, Tag.key, Tag.name)
        .order_by(first.desc(), n.desc(), Tag.name)
        .limit(top)
    )
    if until is not None:
        stmt = stmt.where(Article.published_at < until)
    return [
        TagCount(key=k, name=name, count=int(c), first_published_at=_aware(f))
        for k, name, c, f in conn.execute(stmt).all()
    ]


def rising_tags(
    conn: Connection, *, now: datetime, days: int = 30, top: int = 20, minimum: int = 2
) -> list[TagCount]:
    """Stichwörter used more in the last ``days`` than in the ``days`` before, by growth."""
    start = now - timedelta(days=days)
    before = start - timedelta(days=days)
    current = func.sum(case((Article.published_at >= start, 1), else_=0)).label("current")
    previous = func.sum(case((Article.published_at < start, 1), else_=0)).label("previous")
    stmt = (
        select(Tag.key, Tag.name, current, previous)
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .join(Article, Article.id == ArticleTag.article_id)
        .where(Article.published_at >= before, Article.published_at < now)
        .group_by(Tag.id, Tag.key, Tag.name)
        .having(func.sum(case((Article.published_at >= start, 1), else_=0)) >= minimum)
    )
    rows = [
        TagCount(key=k, name=name, count=int(c), previous=int(p))
        for k, name, c, p in conn.execute(stmt).all()
    ]
    rising = [r for r in rows if r.count > r.previous]
    rising.sort(key=lambda r: (-r.growth, -r.count, r.name))
    return rising[:top]


@dataclass(frozen=True, slots=True)
class Window:
    """A period of whole Berlin days, ``[start, end)``."""

    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return (self.end.date() - self.start.date()).days

    @property
    def previous(self) -> Window:
        """The period of the same length just before."""
        return Window(self.start - timedelta(days=self.days), self.start)

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return self.end.date() - timedelta(days=1)

    def label(self) -> str:
        """The period in German notation: ``17.–30.11.2025``, ``28.10.–10.11.2025``,
        ``28.12.2024–10.01.2025``, ``30.11.2025``."""
        return period_label(self.first_day, self.last_day)


def period_label(first: date, last: date) -> str:
    if first == last:
        return f"{first:%d.%m.%Y}"
    if first.year != last.year:
        return f"{first:%d.%m.%Y}–{last:%d.%m.%Y}"
    if first.month != last.month:
        return f"{first:%d.%m.}–{last:%d.%m.%Y}"
    return f"{first:%d.}–{last:%d.%m.%Y}"


def newest_published(conn: Connection, *, now: datetime | None = None) -> datetime | None:
    """The newest article's publication, at most ``now``: one misdated into the future must
    not move every trend into a period without articles."""
    now = now or datetime.now(UTC)
    value = _aware(
        conn.execute(
            select(func.max(Article.published_at)).where(Article.published_at <= now)
        ).scalar_one_or_none()
    )
    return value


def trend_window(
    conn: Connection, *, days: int, until: datetime | None = None, now: datetime | None = None
) -> Window | None:
    """The last ``days`` Berlin days up to and including ``until``'s day (default: the
    newest article's); None when there is no article to count back from."""
    last = until if until is not None else newest_published(conn, now=now)
    if last is None:
        return None
    last_day = last.astimezone(BERLIN).date()
    end = _berlin_midnight(last_day + timedelta(days=1))
    return Window(_berlin_midnight(last_day - timedelta(days=days - 1)), end)


def _berlin_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BERLIN)


@dataclass(frozen=True, slots=True)
class Trend:
    """Tags of one window (rising: compared with ``window.previous``)."""

    window: Window | None
    """None: no articles yet."""
    rows: list[TagCount]


def rising_in(
    conn: Connection,
    *,
    days: int,
    until: datetime | None = None,
    top: int = 20,
    minimum: int = 2,
    now: datetime | None = None,
) -> Trend:
    """Rising Stichwörter of the last ``days`` days of the data (see ``trend_window``)."""
    window = trend_window(conn, days=days, until=until, now=now)
    if window is None:
        return Trend(None, [])
    rows = rising_tags(conn, now=window.end, days=days, top=top, minimum=minimum)
    return Trend(window, rows)


def new_in(
    conn: Connection,
    *,
    days: int,
    until: datetime | None = None,
    top: int = 50,
    now: datetime | None = None,
) -> Trend:
    """Stichwörter whose first article appeared in the last ``days`` days of the data."""
    window = trend_window(conn, days=days, until=until, now=now)
    if window is None:
        return Trend(None, [])
    rows = new_tags(conn, since=window.start, until=window.end, top=top)
    return Trend(window, rows)


def _aware(value: datetime | str | None) -> datetime | None:
    # min() over a TypeDecorator column comes back raw on SQLite (a naive UTC string).
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def find_tag(conn: Connection, key: str) -> tuple[int, str, str, datetime] | None:
    """(id, key, name, first_seen_at) of the Stichwort with this key."""
    row = conn.execute(
        select(Tag.id, Tag.key, Tag.name, Tag.first_seen_at).where(Tag.key == key)
    ).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


def weekly_counts(
    conn: Connection, tag_id: int, *, since: datetime | None = None
) -> list[tuple[date, int]]:
    """Articles per week (Monday, count) with this Stichwort, gaps filled with 0."""
    week = week_of(conn.dialect.name).label("week")
    stmt = (
        select(week, func.count())
        .select_from(ArticleTag)
        .join(Article, Article.id == ArticleTag.article_id)
        .where(ArticleTag.tag_id == tag_id)
        .group_by(week)
    )
    if since is not None:
        stmt = stmt.where(Article.published_at >= since)
    counts = {week_key(w): int(c) for w, c in conn.execute(stmt).all()}
    if not counts:
        return []
    days = sorted(date.fromisoformat(w) for w in counts)
    return fill_weeks(counts, days[0], days[-1])


def period_counts(
    conn: Connection,
    tag_id: int | None,
    unit: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, int]:
    """Articles per ``unit`` ("week": the Monday's ``YYYY-MM-DD``; "month": ``YYYY-MM``) with
    this Stichwort, or of all articles when ``tag_id`` is None (the base of shares),
    published in [since, until) when given."""
    bucket = (week_of if unit == "week" else month_of)(conn.dialect.name).label("bucket")
    stmt = select(bucket, func.count()).select_from(Article).group_by(bucket)
    if tag_id is not None:
        stmt = stmt.join(ArticleTag, ArticleTag.article_id == Article.id).where(
            ArticleTag.tag_id == tag_id
        )
    if since is not None:
        stmt = stmt.where(Article.published_at >= since)
    if until is not None:
        stmt = stmt.where(Article.published_at < until)
    return {(week_key(b) if unit == "week" else str(b)): int(c) for b, c in conn.execute(stmt)}


def first_published(conn: Connection, tag_id: int) -> datetime | None:
    """The publication of the first article with this Stichwort ("zuerst gesehen" on its
    page: when the topic appeared, not when kn-crawl first crawled it)."""
    return _aware(
        conn.execute(
            select(func.min(Article.published_at))
            .join(ArticleTag, ArticleTag.article_id == Article.id)
            .where(ArticleTag.tag_id == tag_id)
        ).scalar_one_or_none()
    )


@dataclass(frozen=True, slots=True)
class Stats:
    per_source_month: list[tuple[str, str, int]]
    """(source, YYYY-MM, articles), newest month first."""
    tags: int
    tagged_articles: int
    articles: int
    runs_by_status: dict[str, int]
    last_runs: list[tuple[str, datetime, str, int, int]]
    """(source, started_at, status, new, dropped) of the latest run of each source."""


def stats(conn: Connection, *, months: int = 12) -> Stats:
    month = month_of(conn.dialect.name).label("month")
    per_month = conn.execute(
        select(Source.name, month, func.count())
        .join(Source, Source.id == Article.source_id)
        .group_by(Source.name, month)
        .order_by(month.desc(), Source.name)
    ).all()
    recent = sorted({m for _, m, _ in per_month}, reverse=True)[:months]
    last_ids = (
        select(func.max(CrawlRun.id))
        .where(CrawlRun.status != "skipped")
        .group_by(CrawlRun.source_id)
        .scalar_subquery()
    )
    last_runs = conn.execute(
        select(
            Source.name,
            CrawlRun.started_at,
            CrawlRun.status,
            CrawlRun.articles_new,
            CrawlRun.dropped,
        )
        .join(Source, Source.id == CrawlRun.source_id)
        .where(CrawlRun.id.in_(last_ids))
        .order_by(Source.name)
    ).all()
    return Stats(
        per_source_month=[(s, m, int(c)) for s, m, c in per_month if m in recent],
        tags=int(conn.execute(select(func.count()).select_from(Tag)).scalar_one()),
        tagged_articles=int(
            conn.execute(select(func.count(func.distinct(ArticleTag.article_id)))).scalar_one()
        ),
        articles=int(conn.execute(select(func.count()).select_from(Article)).scalar_one()),
        runs_by_status={
            s: int(c)
            for s, c in conn.execute(
                select(CrawlRun.status, func.count()).group_by(CrawlRun.status)
            ).all()
        },
        last_runs=[(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in last_runs],
    )
