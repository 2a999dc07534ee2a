"""Machine-readable page metadata: JSON-LD, ``<meta>`` (og:, article:*), ``<link rel>``."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from kn_crawl.extract.dom import Element

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle",
        "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "LiveBlogPosting",
        "TechArticle", "ScholarlyArticle", "SocialMediaPosting", "Report", "PressRelease",
        "Posting", "DiscussionForumPosting",
    }
)  # fmt: skip
# A page object that is no article type but may carry the article's dates and names (a press
# release as a plain WebPage with datePublished).
PAGE_TYPES = frozenset({"WebPage", "ItemPage", "AboutPage"})


def _walk(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 4:  # a deeper nesting is no page's metadata, and a cycle must not hang us
        return
    if isinstance(node, list):
        for child in node:
            yield from _walk(child, depth + 1)
    elif isinstance(node, dict):
        yield node
        if "@graph" in node:
            yield from _walk(node["@graph"], depth + 1)
        # A WebPage whose mainEntity is the article (schema.org's own example).
        main = node.get("mainEntity")
        if isinstance(main, dict | list):
            yield from _walk(main, depth + 1)


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
        except (ValueError, RecursionError):  # broken, or nested deeper than any page needs
            logger.debug("unparseable JSON-LD block skipped")
            continue
        objects.extend(_walk(data))
    return objects


def _types(obj: dict[str, Any]) -> set[str]:
    """The object's types, without a vocabulary prefix (``http://schema.org/NewsArticle``)."""
    value = obj.get("@type")
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return {v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def jsonld_article(doc: Element) -> dict[str, Any] | None:
    """The page's article object (NewsArticle & co.), if it declares one."""
    return article_object(jsonld_objects(doc))


def article_object(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The article among a page's JSON-LD objects: the first of an article type that names a
    headline or a date (a bare ``{"@type": "Article", "@id": …}`` reference is no article),
    else the first of an article type."""
    articles = [o for o in objects if _types(o) & ARTICLE_TYPES]
    for obj in articles:
        if any(k in obj for k in ("headline", "datePublished", "name")):
            return obj
    return articles[0] if articles else None


def page_object(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The page's WebPage object when it states a publication date (the fallback for dates,
    section and language when there is no article object)."""
    for obj in objects:
        if _types(obj) & PAGE_TYPES and "datePublished" in obj:
            return obj
    return None


def jsonld_by_id(objects: list[dict[str, Any]], value: Any) -> Any:
    """``value`` with an ``{"@id": …}`` reference replaced by the object of that id on the page
    (Yoast's ``@graph`` names the author as ``{"@id": "…#/schema/person/…"}``)."""
    if isinstance(value, list):
        return [jsonld_by_id(objects, v) for v in value]
    if isinstance(value, dict) and set(value) == {"@id"}:
        for obj in objects:
            if obj.get("@id") == value["@id"] and len(obj) > 1:
                return obj
    return value


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
    """``keywords`` as a comma-separated string or a list (of strings or of strings with
    commas)."""
    if not obj:
        return []
    value = obj.get("keywords")
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [
        part.strip() for v in values if isinstance(v, str) for part in v.split(",") if part.strip()
    ]


def jsonld_images(value: Any) -> list[str]:
    """Image URLs of a JSON-LD ``image``/``thumbnailUrl``: a string, an ``ImageObject``
    (``url`` or ``contentUrl``), or a list of either."""
    values = value if isinstance(value, list) else [value]
    urls = []
    for v in values:
        if isinstance(v, dict):
            v = v.get("url") or v.get("contentUrl")
        if isinstance(v, str) and v.strip():
            urls.append(v.strip())
    return urls


def meta_content(doc: Element, *keys: str) -> str | None:
    """The first non-empty ``<meta property|name=key content>`` for the keys, in key order."""
    found = meta_map(doc, attrs=("property", "name"))
    for key in keys:
        if key.lower() in found:
            return found[key.lower()]
    return None


ALL_META_KEYS = ("property", "name", "itemprop", "http-equiv")


def meta_map(doc: Element, *, attrs: tuple[str, ...] = ALL_META_KEYS) -> dict[str, str]:
    """Every ``<head>`` meta's key (lower case; by default its ``property``, ``name``,
    ``itemprop`` or ``http-equiv``) → its first non-empty content (the whole page when it
    has no ``<head>``)."""
    head = doc.find("head")
    scope = head if head is not None else doc
    found: dict[str, str] = {}
    for meta in scope.iter("meta"):
        content = meta.get("content")
        if not content or not content.strip():
            continue
        for attr in attrs:
            key = meta.get(attr)
            if key:
                found.setdefault(key.strip().lower(), content.strip())
                break
    return found


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


_LANGUAGE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$")


def primary_language(value: str | None) -> str | None:
    """The lower-case primary subtag of a language tag or locale: ``de-DE``, ``de_DE``,
    ``DE`` → ``de``; the first of a list (``de, en``); None for anything else (``x-default``
    is no language)."""
    if not value:
        return None
    m = _LANGUAGE.match(value.split(",", 1)[0])
    if m is None:
        return None
    code = m.group(1).lower()
    return None if code in ("x", "und", "mul", "zxx") else code


def jsonld_language(obj: dict[str, Any] | None) -> str | None:
    """``inLanguage`` as a string or a ``Language`` object (its ``alternateName`` or name)."""
    if not obj:
        return None
    value = obj.get("inLanguage")
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name")
    return value if isinstance(value, str) else None


def jsonld_breadcrumb(objects: list[dict[str, Any]]) -> list[str]:
    """The names of a ``BreadcrumbList``'s items in position order (item names may sit on
    the ListItem or on its ``item``)."""
    for obj in objects:
        if "BreadcrumbList" not in _types(obj):
            continue
        elements = obj.get("itemListElement")
        if not isinstance(elements, list):
            continue
        ranked: list[tuple[float, str]] = []
        for i, el in enumerate(elements):
            if not isinstance(el, dict):
                continue
            name = el.get("name")
            item = el.get("item")
            if not isinstance(name, str) and isinstance(item, dict):
                name = item.get("name")
            position = el.get("position")
            rank = float(position) if isinstance(position, int | float) else float(i)
            if isinstance(name, str) and name.strip():
                ranked.append((rank, " ".join(name.split())))
        return [name for _, name in sorted(ranked, key=lambda r: r[0])]
    return []
