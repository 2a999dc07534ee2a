"""From a page's bytes to the generic extractor's result: one function for ``kn-crawl parse
--generic`` and the crawl (:mod:`kn_crawl.crawling.reading` decodes and parses every page
with :func:`page_tree` and judges pages with :func:`kn_crawl.extract.verdict.page_verdict`).

Any bytes give a result, never an exception: an empty or binary file, truncated HTML, a wrong
or missing charset, a 10 MB page or 10,000 nested elements give ``null`` fields and a verdict
(:mod:`kn_crawl.extract.verdict`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from kn_crawl.catalog.model import Selectors
from kn_crawl.extract.dom import Element, decode_html, parse_html
from kn_crawl.extract.generic import extract_article
from kn_crawl.extract.metadata import link_href, meta_content
from kn_crawl.extract.verdict import Verdict, page_verdict
from kn_crawl.items import ArticleItem

# The fields of ``parse --generic``'s JSON, in this order.
ARTICLE_FIELDS = (
    "title", "published_at", "date_signal", "modified_at", "kicker", "teaser", "body", "tags",
    "tag_origins", "section", "author", "image_url", "language", "canonical_url",
)  # fmt: skip

NO_URL = "https://page.invalid/"

SELF_CLOSED_HTML = re.compile(r"<html\b([^>]*?)\s*/>", re.IGNORECASE)

# Bytes that start files no web page starts with (a server that sends a PDF or an image as
# text/html): read as text they give hundreds of characters of noise.
BINARY_MAGIC = (
    b"%PDF-", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"BZh",
    b"\xfd7zXZ", b"RIFF", b"\x00\x00\x01\x00", b"OggS", b"ID3", b"\x7fELF", b"7z\xbc\xaf",
)  # fmt: skip


@dataclass(slots=True)
class GenericRead:
    """What the generic extractor made of a page."""

    item: ArticleItem
    verdict: Verdict
    charset_overruled: str | None = None
    """The page's charset label when its bytes were read as UTF-8 instead (mislabelled)."""
    notes: list[str] = field(default_factory=list)
    """What was noticed about the bytes themselves (binary, mislabelled)."""


def is_binary(body: bytes) -> bool:
    """A file format that is no text (PDF, images, archives), or text with NUL bytes — which
    no HTML page holds; UTF-16 pages (which do) start with a BOM."""
    head = body[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return head.startswith(BINARY_MAGIC) or b"\x00" in head


def page_tree(body: bytes, content_type: str | None = None) -> tuple[Element, str | None]:
    """The parsed tree of a page's bytes (decoded by :func:`~kn_crawl.extract.dom.decode_html`:
    BOM, HTTP charset, ``<meta>`` charset, sniffing), and the overruled charset label of a
    mislabelled UTF-8 page. Binary bytes give an empty page."""
    if is_binary(body):
        return parse_html(""), None
    text, overruled = decode_html(body, content_type)
    root = parse_html(text)
    if len(root) == 0 and SELF_CLOSED_HTML.search(text, 0, 4096):
        # libxml2 (2.14) ends the document at an XHTML-style ``<html … />`` and returns an
        # empty tree: the page's whole content lost. Read it as the ``<html>`` it means.
        root = parse_html(SELF_CLOSED_HTML.sub(r"<html\1>", text, count=1))
    return root, overruled


def read_generic(
    body: bytes,
    url: str | None = None,
    *,
    content_type: str | None = None,
    selectors: Selectors | None = None,
    source: str = "",
    base_url: str | None = None,
    now: datetime | None = None,
) -> GenericRead:
    """The generic extractor's article on the page ``body`` (at ``url``; without it, at the
    URL the page declares, else none: no URL date), ``selectors`` applied, and its verdict.
    ``base_url``: the source's home (its origin decides which canonical URL is taken);
    without it, the page URL's origin."""
    root, overruled = page_tree(body, content_type)
    notes = []
    if is_binary(body):
        notes.append("binary file: no text read")
    if overruled is not None:
        notes.append(f"labelled {overruled}, but the bytes are UTF-8: read as UTF-8")
    page_url = url or declared_url(root)
    # Without any URL the extractor still needs an origin: one that can never be a page's
    # (RFC 2606 ``.invalid``) and holds no date.
    where = page_url or NO_URL
    home = base_url or _origin(where)
    item = extract_article(where, root, source=source, base_url=home, selectors=selectors, now=now)
    if page_url is None:
        item.url = item.fetched_url = ""
    return GenericRead(item, page_verdict(root, item), overruled, notes)


def declared_url(root: Element) -> str | None:
    """The absolute http(s) URL a page declares for itself: ``<link rel=canonical>``, else
    ``og:url``."""
    for href in (link_href(root, "canonical"), meta_content(root, "og:url")):
        url = (href or "").strip().split("#")[0]
        if url.startswith(("http://", "https://")) and urlsplit(url).hostname:
            return url
    return None


def _origin(url: str) -> str:
    return urljoin(url, "/")


def article_json(read: GenericRead) -> dict[str, Any]:
    """``parse --generic``'s JSON object: the fields in :data:`ARTICLE_FIELDS` (dates in
    ISO 8601, the body's paragraphs separated by blank lines), then ``page`` (the verdict)
    and ``warnings``."""
    item = read.item
    data: dict[str, Any] = {}
    for name in ARTICLE_FIELDS:
        if name == "canonical_url":
            data[name] = item.url or None
        else:
            value = getattr(item, name)
            data[name] = value.isoformat() if isinstance(value, datetime) else value
    data["page"] = read.verdict.to_json()
    data["warnings"] = [*read.notes, *item.warnings]
    return data
