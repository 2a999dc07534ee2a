"""Stories in the web UI: a story's page, its JSON API, the trending stories of the start
page, and the folding of a result list's hits by story."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy.engine import Connection
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter

from kn_crawl.dates import BERLIN, parse_date
from kn_crawl.search.results import Hit
from kn_crawl.search.stories import (
    TRENDING_DAYS,
    StoryDetail,
    StoryOf,
    Trending,
    collapse_hits,
    list_stories,
    stories_of,
    story_detail,
    trending_stories,
)
from kn_crawl.web.app import connection
from kn_crawl.web.params import MAX_ID, bounded_int, choice_arg, int_arg, page_number

bp = Blueprint("stories", __name__)
api = Blueprint("stories_api", __name__, url_prefix="/api/stories")
# The start page's trending stories: how many, and over how many days of the newest data.
TRENDING_TOP = 10


class StoryIdConverter(BaseConverter):
    """``<story:story_id>``: a story id in ASCII digits within 64 bits, else a 400."""

    def to_python(self, value: str) -> int:
        story_id = bounded_int(value, 1, MAX_ID)
        if story_id is None:
            raise BadRequest(f"Ungültige Meldungsnummer: eine Zahl von 1 bis {MAX_ID}")
        return story_id


def _converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("story", StoryIdConverter)


# Before the routes: a rule is compiled with its converter when its blueprint is registered.
bp.record_once(_converter)
api.record_once(_converter)


@bp.get("/story/<story:story_id>")
def story_page(story_id: int) -> Any:
    with connection() as conn:
        story = story_detail(conn, story_id)
    if story is None:
        abort(404, description="Diese Meldung gibt es nicht.")
    return render_template("story.html", s=story)


def trending_view_data(conn: Connection, days: int = TRENDING_DAYS) -> Trending | None:
    """What the start page's section "Meldungen in vielen Quellen" shows (template macro
    ``trending_stories`` in ``_stories.html``)."""
    return trending_stories(conn, days=days, top=TRENDING_TOP)


@bp.get("/meldungen")
def stories_page() -> Any:
    """Trending stories on a page of their own (until the start page shows them)."""
    days = int_arg("tage", TRENDING_DAYS, 1, 3650, "Ungültiger Zeitraum")
    with connection() as conn:
        trending = trending_view_data(conn, days)
    return render_template("stories.html", trending=trending, days=days)


def folded_hits(
    conn: Connection, hits: Sequence[Hit], fold: bool
) -> tuple[list[Hit], dict[int, tuple[StoryOf, int]]]:
    """A result page's hits, folded by story when ``fold``, and for each shown hit that
    belongs to a story of several articles: (its story, how many hits were folded into it)."""
    stories = stories_of(conn, [h.id for h in hits])
    if not fold:
        return list(hits), {h.id: (stories[h.id], 0) for h in hits if h.id in stories}
    folded = collapse_hits(hits, lambda h: h.id, stories)
    shown = [c.hit for c in folded]
    return shown, {c.hit.id: (c.story, c.hidden) for c in folded if c.story is not None}


def _story_json(s: StoryDetail) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "first_seen_at": s.first_seen_at.isoformat(),
        "first_published_at": s.first_published_at.isoformat(),
        "last_published_at": s.last_published_at.isoformat(),
        "article_count": s.article_count,
        "source_count": s.source_count,
        "articles": [
            {
                "id": a.id,
                "source": a.source,
                "title": a.title,
                "url": a.url,
                "published_at": a.published_at.isoformat(),
                "first_seen_at": a.first_seen_at.isoformat(),
            }
            for a in s.articles
        ],
    }


@api.get("")
def api_stories() -> Any:
    limit = int_arg("limit", 20, 1, 100, "Ungültige Anzahl")
    page = page_number()
    min_sources = int_arg("min_sources", 1, 1, 10_000, "Ungültige Quellenzahl")
    order = choice_arg("order", "recent", ("recent", "sources"), "Ungültige Sortierung")
    since = None
    if raw := request.args.get("since"):
        since = parse_date(raw, now=datetime.now(BERLIN))
        if since is None:
            abort(400, description=f"Ungültiges Datum: {raw}")
    with connection() as conn:
        rows = list_stories(
            conn,
            since=since,
            min_sources=min_sources,
            limit=limit,
            offset=(page - 1) * limit,
            order=order,  # type: ignore[arg-type]
        )
    return {"page": page, "limit": limit, "stories": [_story_json(s) for s in rows]}


@api.get("/trending")
def api_trending() -> Any:
    days = int_arg("days", TRENDING_DAYS, 1, 3650, "Ungültiger Zeitraum")
    limit = int_arg("limit", TRENDING_TOP, 1, 100, "Ungültige Anzahl")
    with connection() as conn:
        trending = trending_stories(conn, days=days, top=limit)
    if trending is None:
        return {"days": days, "start": None, "end": None, "stories": []}
    return {
        "days": days,
        "start": trending.start.isoformat(),
        "end": trending.end.isoformat(),
        "stories": [{**_story_json(s), "sources_in_period": n} for s, n in trending.stories],
    }


@api.get("/<story:story_id>")
def api_story(story_id: int) -> Any:
    with connection() as conn:
        story = story_detail(conn, story_id)
    if story is None:
        abort(404, description="Diese Meldung gibt es nicht.")
    return _story_json(story)
