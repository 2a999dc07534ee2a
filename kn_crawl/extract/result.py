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

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

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
    charset_mislabelled: str | None = None
    """What was read instead of a wrong charset label (``labelled …, but …``)."""
    notes: list[str] = field(default_factory=list)
    """What was noticed about the bytes themselves (binary, a wrong charset label)."""


def is_binary(body: bytes) -> bool:
    """A file format that is no text (PDF, images, archives), or text with NUL bytes — which
    no HTML page holds; UTF-16 pages (which do) start with a BOM."""
    head = body[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return head.startswith(BINARY_MAGIC) or b"\x00" in head


def page_tree(body: bytes, content_type: str | None = None) -> tuple[Element, str | None]:
    """The parsed tree of a page's bytes, and when its charset label was wrong, what was read
    instead (the detail of a ``charset_mislabelled`` note).

    Decoded by :func:`~kn_crawl.extract.dom.decode_html` (BOM, HTTP charset, ``<meta>``
    charset, sniffing; UTF-8 bytes labelled Latin-1 read as UTF-8) — and bytes labelled
    UTF-8 that are no UTF-8 at all (not one valid multibyte sequence among the bad ones: a
    Latin-1 page) read as windows-1252, where they would give "Gr\ufffd\ufffde" for "Grüße".
    Binary bytes give an empty page."""
    if is_binary(body):
        return parse_html(""), None
    text, overruled = decode_html(body, content_type)
    mislabel = None
    if overruled is not None:
        mislabel = f"labelled {overruled}, but the bytes are UTF-8: read as UTF-8"
    elif "\ufffd" in text and _labelled_utf8(body, content_type) and _single_byte(body):
        text = body.decode("cp1252", errors="replace")
        mislabel = "labelled UTF-8, but the bytes are no UTF-8: read as windows-1252"
    root = parse_html(text)
    if len(root) == 0 and SELF_CLOSED_HTML.search(text, 0, 4096):
        # libxml2 (2.14) ends the document at an XHTML-style ``<html … />`` and returns an
        # empty tree: the page's whole content lost. Read it as the ``<html>`` it means.
        root = parse_html(SELF_CLOSED_HTML.sub(r"<html\1>", text, count=1))
    return root, mislabel


def _labelled_utf8(body: bytes, content_type: str | None) -> bool:
    """The label the page was decoded by says UTF-8 (a BOM is no label: it is the bytes)."""
    if read_bom(body)[0] is not None:
        return False
    label = http_content_type_encoding(content_type) if content_type else None
    label = label or html_body_declared_encoding(body)
    return label is not None and resolve_encoding(label) == "utf-8"


_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _single_byte(body: bytes) -> bool:
    """Non-ASCII bytes of which none forms a UTF-8 sequence: text in a single-byte charset.
    (A UTF-8 page with a stray Latin-1 byte keeps UTF-8, the byte a replacement character.)"""
    return _UTF8_MULTIBYTE.search(body) is None


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
    root, mislabel = page_tree(body, content_type)
    notes = []
    if is_binary(body):
        notes.append("binary file: no text read")
    if mislabel is not None:
        notes.append(mislabel)
    page_url = url or declared_url(root)
    # Without any URL the extractor still needs an origin: one that can never be a page's
    # (RFC 2606 ``.invalid``) and holds no date.
    where = page_url or NO_URL
    home = base_url or _origin(where)
    item = extract_article(where, root, source=source, base_url=home, selectors=selectors, now=now)
    if page_url is None:
        item.url = item.fetched_url = ""
    return GenericRead(item, page_verdict(root, item), mislabel, notes)


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
