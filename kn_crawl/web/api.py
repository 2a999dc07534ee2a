"""The JSON API (read-only) and its OpenAPI description at ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template

from kn_crawl.search import facets, search
from kn_crawl.search.articles import article_detail
from kn_crawl.search.insights import find_tag, top_tags, weekly_counts
from kn_crawl.tags import tag_key
from kn_crawl.web.app import connection
from kn_crawl.web.openapi import OPENAPI
from kn_crawl.web.params import (
    MAX_PAGE,
    choice_arg,
    int_arg,
    order,
    page_number,
    query_or_400,
)
from kn_crawl.web.querysources import unknown_source

bp = Blueprint("api", __name__, url_prefix="/api")


def _limit() -> int:
    return int_arg("limit", 20, 1, 100, "Ungültige Anzahl")


def _segments(segments: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    return [{"text": text, "match": match} for text, match in segments]


@bp.get("/search")
def api_search() -> Any:
    query = query_or_400()
    limit = _limit()
    page = page_number()
    with_facets = choice_arg("facets", "0", ("0", "1"), "Ungültige Facetten") == "1"
    with connection() as conn:
        source_error = unknown_source(conn, query)
        if source_error is not None:
            abort(400, description=source_error)
        result = search(conn, query, limit=limit, offset=(page - 1) * limit, order=order())  # type: ignore[arg-type]
        found = facets(conn, query) if with_facets else None
    body: dict[str, Any] = {
        "query": query.text,
        "total": result.total,
        "page": page,
        "limit": limit,
        "results": [
            {
                "id": h.id,
                "source": h.source,
                "url": h.url,
                "published_at": h.published_at.isoformat(),
                "kicker": h.kicker,
                "title": h.title,
                "section": h.section,
                "tags": h.tags,
                "tag_origins": {t: h.tag_origins.get(t, "site") for t in h.tags},
                "story_id": h.story_id,
                "score": h.score,
                "title_highlighted": _segments(h.title_marks),
                "snippet": _segments(h.snippet),
            }
            for h in result.hits
        ],
    }
    if found is not None:
        body["facets"] = {
            "sources": dict(found.sources),
            "sections": dict(found.sections),
            "tags": dict(found.tags),
            "months": dict(found.months),
        }
    return body


@bp.get("/articles/<id:article_id>")
def api_article(article_id: int) -> Any:
    with connection() as conn:
        detail = article_detail(conn, article_id)
    if detail is None:
        abort(404, description="Artikel nicht gefunden")
    a = detail.article
    return {
        "id": a.id,
        "source": a.source,
        "url": a.url,
        "published_at": a.published_at.isoformat(),
        "kicker": a.kicker,
        "title": a.title,
        "teaser": a.teaser,
        "body": a.body,
        "section": a.section,
        "type_label": a.type_label,
        "image_url": a.image_url,
        "image_caption": a.image_caption,
        "image_credit": a.image_credit,
        "first_seen_at": a.first_seen_at.isoformat(),
        "updated_at": a.updated_at.isoformat() if a.updated_at else None,
        "tags": [name for _, name, _ in detail.tags],
        "tag_origins": {name: origin for _, name, origin in detail.tags},
        "revisions": [
            {"revised_at": r.revised_at.isoformat(), "title": r.title, "teaser": r.teaser}
            for r in detail.revisions
        ],
        "story_id": a.story_id,
        "story": (
            {
                "id": detail.story.id,
                "source_count": detail.story.source_count,
                "article_count": detail.story.article_count,
                "first_seen_at": detail.story.first_seen_at.isoformat(),
            }
            if detail.story
            else None
        ),
        "same_story": [
            {
                "id": s.id,
                "source": s.source,
                "title": s.title,
                "url": s.url,
                "published_at": s.published_at.isoformat(),
            }
            for s in detail.same_story
        ],
    }


@bp.get("/tags")
def api_tags() -> Any:
    with connection() as conn:
        rows = top_tags(conn, top=_limit())
    return {"tags": [{"key": r.key, "name": r.name, "articles": r.count} for r in rows]}


@bp.get("/tags/<key>")
def api_tag(key: str) -> Any:
    with connection() as conn:
        tag = find_tag(conn, tag_key(key))
        if tag is None:
            abort(404, description="Stichwort nicht gefunden")
        weeks = weekly_counts(conn, tag[0])
    return {
        "key": tag[1],
        "name": tag[2],
        "weekly": [{"week": monday.isoformat(), "articles": n} for monday, n in weeks],
    }


@bp.get("/openapi.json")
def openapi() -> Any:
    return OPENAPI


@bp.get("/")
def docs() -> Any:
    return render_template("api.html", spec=OPENAPI, max_page=MAX_PAGE)
