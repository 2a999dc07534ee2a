"""What the start page shows: the newest articles, the Stichwörter rising now and the new ones
(counted back from the newest article, see ``kn_crawl.search.insights``), and each source's
health and freshness. Later issues add their blocks (stories) beside these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from kn_crawl.db.models import Article, Source
from kn_crawl.queries import source_rows
from kn_crawl.query import parse_query
from kn_crawl.search import search
from kn_crawl.search.insights import Trend, new_in, rising_in
from kn_crawl.search.results import SearchPage
from kn_crawl.search.sources import source_health
from kn_crawl.search.stories import Trending, trending_stories

NEWEST = 8
TAGS = 10
TREND_DAYS = 30
# Trending stories on the start page (their own period: kn_crawl.search.stories.TRENDING_DAYS).
STORIES = 5
# States worth a highlight, worst first: the runs' (``kn_crawl.search.sources.Health``:
# failing, warning) and, for a source whose runs succeed, its content's (``kn_crawl.health``:
# broken for "failing", degraded).
PROBLEMS = ("failing", "broken", "warning", "degraded")


@dataclass(frozen=True, slots=True)
class SourceLine:
    name: str
    title: str
    articles: int
    state: str
    """``ok``, ``warning``, ``failing`` (runs), ``degraded``, ``broken`` (content of
    successful runs), ``unknown`` (never crawled) or ``disabled``."""
    failures_in_a_row: int
    last_ok_at: datetime | None
    """The last successful crawl: "zuletzt aktualisiert"."""
    newest_article_at: datetime | None


@dataclass(frozen=True, slots=True)
class StartPage:
    newest: SearchPage
    rising: Trend
    new: Trend
    sources: list[SourceLine]
    """Problems first (failing, warning), then by name."""
    stories: Trending | None = None
    """The stories told by the most sources lately (``_start_stories.html``); None: no
    articles yet."""

    @property
    def problems(self) -> int:
        return sum(1 for s in self.sources if s.state in PROBLEMS)


def start_page(conn: Connection) -> StartPage:
    newest = search(conn, parse_query(""), limit=NEWEST, order="date")
    return StartPage(
        newest=newest,
        rising=rising_in(conn, days=TREND_DAYS, top=TAGS),
        new=new_in(conn, days=TREND_DAYS, top=TAGS),
        sources=source_lines(conn),
        stories=trending_stories(conn, top=STORIES),
    )


def source_lines(conn: Connection) -> list[SourceLine]:
    rows = source_rows(conn)
    health = source_health(conn)
    newest = {
        name: _aware(at)
        for name, at in conn.execute(
            select(Source.name, func.max(Article.published_at))
            .join(Article, Article.source_id == Source.id)
            .group_by(Source.name)
        ).all()
    }
    lines = []
    for row in rows.values():
        h = health.get(row.name)
        state = "disabled" if not row.enabled else (h.state if h else "unknown")
        if state == "ok" and row.health in ("degraded", "failing"):
            state = "broken" if row.health == "failing" else "degraded"
        lines.append(
            SourceLine(
                name=row.name,
                title=row.title,
                articles=row.articles,
                state=state,
                failures_in_a_row=h.failures_in_a_row if h else 0,
                last_ok_at=h.last_ok_at if h else None,
                newest_article_at=newest.get(row.name),
            )
        )
    rank = {state: i for i, state in enumerate(PROBLEMS)}
    lines.sort(key=lambda s: (rank.get(s.state, len(PROBLEMS)), s.name))
    return lines


def _aware(value: datetime | str | None) -> datetime | None:
    # max() over the TypeDecorator column comes back raw on SQLite (a naive UTC string).
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
