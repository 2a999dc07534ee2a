"""The OpenAPI 3.1 description of the JSON API (kept next to it; a test checks that every
route under /api is described). The summaries are German: the web UI's API page shows them
as its "Zweck" column."""

from __future__ import annotations

from typing import Any

from kn_crawl.web.params import MAX_ID, MAX_PAGE

_Q = {
    "name": "q",
    "in": "query",
    "description": 'Query language: words, "phrases", -exclusions, OR, tag:, source:, '
    "section:, since:, until:",
    "schema": {"type": "string"},
}
_TAG_ORIGINS = {
    "type": "object",
    "description": "Who gave each Stichwort: site, feed, or vocabulary (kn-crawl's vocabulary "
    "found the term in the text)",
    "additionalProperties": {"type": "string", "enum": ["site", "feed", "vocabulary"]},
}
_PAGE = {
    "name": "page",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
}
_LIMIT = {
    "name": "limit",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": 100},
}
_ERROR = {
    "description": "Bad request (an invalid query, a number out of range or not in ASCII "
    "digits, an unknown choice); the message (German) says what is wrong",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_SEGMENTS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"text": {"type": "string"}, "match": {"type": "boolean"}},
    },
    "description": "Text split into segments; match=true marks the query's words",
}


def _ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "kn-crawl API",
        "version": "1",
        "description": "Read-only access to the collected articles of kn-crawl.",
    },
    "paths": {
        "/api/search": {
            "get": {
                "summary": "Artikel suchen",
                "parameters": [
                    _Q, _PAGE, _LIMIT,
                    {"name": "order", "in": "query",
                     "schema": {"type": "string", "enum": ["relevance", "date"]}},
                    {"name": "facets", "in": "query",
                     "schema": {"type": "string", "enum": ["0", "1"]},
                     "description": "1: include counts by source, section, Stichwort, month"},
                ],
                "responses": {"200": _ok({"$ref": "#/components/schemas/SearchResult"}),
                              "400": _ERROR},
            }
        },
        "/api/articles/{id}": {
            "get": {
                "summary": "Ein Artikel mit Stichwörtern, Fassungen, seiner Meldung (story_id, "
                           "story) und deren anderen Artikeln (same_story)",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1,
                                           "maximum": MAX_ID}}],
                "responses": {"200": _ok({"type": "object"}), "400": _ERROR, "404": _ERROR},
            }
        },
        "/api/tags": {
            "get": {
                "summary": "Die häufigsten Stichwörter",
                "parameters": [_LIMIT],
                "responses": {"200": _ok({"type": "object"}), "400": _ERROR},
            }
        },
        "/api/tags/{key}": {
            "get": {
                "summary": "Ein Stichwort mit seinen Artikeln je Woche",
                "parameters": [{"name": "key", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": _ok({"type": "object"}), "404": _ERROR},
            }
        },
        "/api/stories": {
            "get": {
                "summary": "Meldungen (eine Nachricht und jede Quelle, die sie brachte), "
                           "die neuesten oder die mit den meisten Quellen zuerst",
                "parameters": [
                    _PAGE, _LIMIT,
                    {"name": "since", "in": "query", "schema": {"type": "string"},
                     "description": "Nur Meldungen, deren neuester Artikel ab diesem Tag erschien"},
                    {"name": "min_sources", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 10000}},
                    {"name": "order", "in": "query",
                     "schema": {"type": "string", "enum": ["recent", "sources"]}},
                ],
                "responses": {"200": _ok({"type": "object", "properties": {
                    "page": {"type": "integer"}, "limit": {"type": "integer"},
                    "stories": {"type": "array",
                                "items": {"$ref": "#/components/schemas/Story"}}}}),
                              "400": _ERROR},
            }
        },
        "/api/stories/trending": {
            "get": {
                "summary": "Die Meldungen mit den meisten Quellen in den letzten N Tagen bis "
                           "zum neuesten Artikel (start und end nennen den Zeitraum)",
                "parameters": [
                    {"name": "days", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 3650}},
                    _LIMIT,
                ],
                "responses": {"200": _ok({"type": "object"}), "400": _ERROR},
            }
        },
        "/api/stories/{id}": {
            "get": {
                "summary": "Eine Meldung mit ihren Artikeln, der erste Artikel zuerst",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1,
                                           "maximum": MAX_ID}}],
                "responses": {"200": _ok({"$ref": "#/components/schemas/Story"}),
                              "400": _ERROR, "404": _ERROR},
            }
        },
        "/api/openapi.json": {
            "get": {"summary": "Diese Beschreibung", "responses": {"200": _ok({"type": "object"})}}
        },
    },
    "components": {
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
            },
            "Story": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "title": {"type": "string", "description": "The first article's title"},
                    "first_seen_at": {"type": "string", "format": "date-time"},
                    "first_published_at": {"type": "string", "format": "date-time"},
                    "last_published_at": {"type": "string", "format": "date-time"},
                    "article_count": {"type": "integer"},
                    "source_count": {"type": "integer"},
                    "articles": {"type": "array", "items": {"type": "object"}},
                },
            },
            "SearchResult": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "total": {"type": "integer"},
                    "page": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "source": {"type": "string"},
                                "url": {"type": "string"},
                                "published_at": {"type": "string", "format": "date-time"},
                                "kicker": {"type": ["string", "null"]},
                                "title": {"type": "string"},
                                "section": {"type": ["string", "null"]},
                                "tags": {"type": "array", "items": {"type": "string"}},
                                "tag_origins": _TAG_ORIGINS,
                                "story_id": {"type": ["integer", "null"],
                                             "description": "The article's story (see "
                                             "/api/stories/{id}); null while not clustered"},
                                "score": {"type": "number"},
                                "title_highlighted": _SEGMENTS,
                                "snippet": _SEGMENTS,
                            },
                        },
                    },
                    "facets": {"type": "object"},
                },
            },
        }
    },
}  # fmt: skip
