"""Machine-readable page metadata: JSON-LD, ``<meta>`` (og:, article:*), ``<link rel>``."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from kn_crawl.extract.dom import Element

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle"}
)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for child in node:
            yield from _walk(child)
    elif isinstance(node, dict):
        yield node
        if "@graph" in node:
            yield from _walk(node["@graph"])


def jsonld_objects(doc: Element) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, ``@graph`` members flattened. Broken blocks are
    skipped (a site's invalid JSON-LD must not cost us the page)."""
    objects: list[dict[str, Any]] = []
    # iter() filters by tag in C; an ElementPath predicate would test every element in Python.
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = script.text or ""
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            logger.debug("unparseable JSON-LD block skipped")
            continue
        objects.extend(_walk(data))
    return objects


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return set()


def jsonld_article(doc: Element) -> dict[str, Any] | None:
    """The page's article object (NewsArticle & co.), if it declares one."""
    for obj in jsonld_objects(doc):
        if _types(obj) & ARTICLE_TYPES:
            return obj
    return None


def jsonld_text(obj: dict[str, Any] | None, key: str) -> str | None:
    if not obj:
        return None
    value = obj.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@id") or value.get("url")
    return value if isinstance(value, str) and value.strip() else None


def jsonld_keywords(obj: dict[str, Any] | None) -> list[str]:
    if not obj:
        return []
    value = obj.get("keywords")
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [v.strip() for v in value if isinstance(v, str) and v.strip()]
    return []


def meta_content(doc: Element, *keys: str) -> str | None:
    """The first non-empty ``<meta property|name=key content>`` for the keys, in key order."""
    head = doc.find("head")
    scope = head if head is not None else doc
    found: dict[str, str] = {}
    for meta in scope.iter("meta"):
        key = meta.get("property") or meta.get("name")
        content = meta.get("content")
        if key and content and content.strip():
            found.setdefault(key.lower(), content.strip())
    for key in keys:
        if key.lower() in found:
            return found[key.lower()]
    return None


def meta_all(doc: Element, key: str) -> list[str]:
    """All values of a repeatable meta property such as ``article:tag``."""
    return [
        (m.get("content") or "").strip()
        for m in doc.iter("meta")
        if (m.get("property") or m.get("name") or "").lower() == key.lower()
        and (m.get("content") or "").strip()
    ]


def link_href(doc: Element, rel: str) -> str | None:
    for link in doc.iter("link", "a"):
        rels = (link.get("rel") or "").lower().split()
        href = link.get("href")
        if rel in rels and href and href.strip():
            return href.strip()
    return None
