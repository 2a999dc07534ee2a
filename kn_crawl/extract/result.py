"""From a page's bytes to the generic extractor's result: one function for ``kn-crawl parse
--generic`` and the crawl (:mod:`kn_crawl.crawling.reading` decodes and parses every page
with :func:`page_tree` and judges pages with :func:`kn_crawl.extract.verdict.page_verdict`).

Any bytes give a result, never an exception: an empty or binary file, truncated HTML, a wrong
or missing charset, a 10 MB page or 10,000 nested elements give ``null`` fields and a verdict
(:mod:`kn_crawl.extract.verdict`).
"""

from __future__ import annotations

import json
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
from kn_crawl.extract.dom import Element, decode_html, parse_html, utf8_but_cut
from kn_crawl.extract.generic import extract_article
from kn_crawl.extract.metadata import link_href, meta_content
from kn_crawl.extract.verdict import Verdict, not_html_tree, page_verdict
from kn_crawl.items import ArticleItem

# The fields of ``parse --generic``'s JSON, in this order.
ARTICLE_FIELDS = (
    "title", "published_at", "date_signal", "modified_at", "kicker", "teaser", "body", "tags",
    "tag_origins", "section", "author", "image_url", "language", "canonical_url",
)  # fmt: skip

NO_URL = "https://page.invalid/"

SELF_CLOSED_HTML = re.compile(r"<html\b([^>]*?)\s*/>", re.IGNORECASE)

# Bytes that start files no web page starts with (a server that sends a PDF or an image as
# text/html): read as text they give hundreds of characters of noise. What each is, said.
BINARY_MAGIC = {
    b"%PDF-": "a PDF document", b"\x89PNG": "a PNG image", b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image", b"PK\x03\x04": "a ZIP archive (or an office document)",
    b"\x1f\x8b": "gzip-compressed: gunzip it first", b"BZh": "bzip2-compressed",
    b"\xfd7zXZ": "xz-compressed", b"(\xb5/\xfd": "zstd-compressed",
    b"RIFF": "a RIFF file (WebP, WAV, AVI)",
    b"\x00\x00\x01\x00": "an icon", b"OggS": "an Ogg file", b"ID3": "an MP3 file",
    b"\x7fELF": "an executable", b"7z\xbc\xaf": "a 7-Zip archive",
}  # fmt: skip

# Control bytes no text holds (C0 but tab, line feed, form feed, carriage return and ESC —
# ISO-2022-JP uses ESC; and DEL). A page may hold a stray one; random or binary data holds
# one in nine of its bytes. More than this share of the head is binary.
_CONTROL = frozenset(set(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}) | {0x7F}
BINARY_CONTROL_SHARE = 0.05
# The first element of a feed: RSS 2.0, RSS 1.0 (RDF), Atom.
_FEED_ROOTS = {"rss": "an RSS feed", "rdf:rdf": "an RSS 1.0 (RDF) feed", "feed": "an Atom feed"}
_PROLOG = re.compile(r"\A\ufeff?(?:\s+|<\?[^>]*>|<!--.*?-->|<![^>]*>)*", re.DOTALL)
_FIRST_ELEMENT = re.compile(r"<([a-zA-Z][\w:.-]*)")
# Elements an XHTML page (``<?xml …?>`` first) may start with.
_HTML_STARTS = frozenset({"html", "head", "body", "title", "meta", "link", "script", "div"})
# Any markup at all: a tag, a closing tag, a comment or doctype.
_MARKUP = re.compile(r"<[a-zA-Z!/?]")


@dataclass(slots=True)
class GenericRead:
    """What the generic extractor made of a page."""

    item: ArticleItem
    verdict: Verdict
    charset_mislabelled: str | None = None
    """What was read instead of a wrong charset label (``labelled …, but …``)."""
    notes: list[str] = field(default_factory=list)
    """What was noticed about the bytes themselves (binary, a wrong charset label)."""


def binary_kind(body: bytes) -> str | None:
    """What binary file ``body`` is (a PDF, an image, gzip …: by its magic number), or
    ``"unknown format, many control bytes"`` when more than :data:`BINARY_CONTROL_SHARE` of
    its first 4 KB are control bytes; None for text (a stray NUL in an article does not make
    it binary, nor do UTF-16's NULs)."""
    head = body[:4096]
    for magic, kind in BINARY_MAGIC.items():
        if head.startswith(magic):
            return kind
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or utf16_without_bom(body) is not None:
        return None
    controls = sum(1 for byte in head if byte in _CONTROL)
    if head and controls > BINARY_CONTROL_SHARE * len(head):
        return "unknown format, many control bytes"
    return None


def is_binary(body: bytes) -> bool:
    return binary_kind(body) is not None


def utf16_without_bom(body: bytes) -> str | None:
    """``utf-16-le`` / ``utf-16-be`` for UTF-16 text without a byte order mark: in mostly
    ASCII text (HTML's markup is) every other byte is NUL — the odd ones little-endian, the
    even ones big-endian — and the others almost never are."""
    head = body[:1024]
    if len(head) < 16 or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    even, odd = head[0::2], head[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.5 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.5 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def not_html(text: str) -> str | None:
    """What a decoded file that is no HTML page is — a feed (RSS, Atom), another XML
    document, JSON, plain text without any markup — or None for HTML (a fragment, truncated
    or broken, is HTML)."""
    stripped = text.strip().removeprefix("\ufeff").lstrip()
    if not stripped:
        return None
    prolog = _PROLOG.match(stripped)
    first = _FIRST_ELEMENT.match(stripped, prolog.end() if prolog else 0)
    if first is not None:
        name = first.group(1).lower()
        if name in _FEED_ROOTS:
            return _FEED_ROOTS[name]
        if stripped.startswith("<?xml") and name not in _HTML_STARTS:
            return f"an XML document (<{first.group(1)}>)"
    if stripped[0] in "{[":
        try:
            json.loads(stripped)
        except (ValueError, RecursionError):
            pass
        else:
            return "a JSON document"
    if _MARKUP.search(stripped) is None:
        return "plain text without HTML markup"
    return None


def page_tree(body: bytes, content_type: str | None = None) -> tuple[Element, str | None]:
    """The parsed tree of a page's bytes, and when its charset label was wrong, what was read
    instead (the detail of a ``charset_mislabelled`` note).

    Decoded by :func:`~kn_crawl.extract.dom.decode_html` (BOM, HTTP charset, ``<meta>``
    charset, sniffing; UTF-8 bytes labelled Latin-1 read as UTF-8) — and bytes labelled
    UTF-8 that are no UTF-8 at all (not one valid multibyte sequence among the bad ones: a
    Latin-1 page) read as windows-1252, where they would give "Gr\ufffd\ufffde" for "Grüße".
    UTF-16 without a BOM is read as UTF-16. A file that is no HTML page — binary (by its
    magic number or its share of control bytes), a feed, other XML, JSON, plain text — gives
    an empty tree that says what it is (:func:`~kn_crawl.extract.verdict.not_html_tree`:
    the verdict ``not_html``)."""
    kind = binary_kind(body)
    if kind is not None:
        return not_html_tree(f"a binary file ({kind})"), None
    mislabel = None
    utf16 = utf16_without_bom(body)
    if utf16 is not None:
        text = body.decode(utf16, errors="replace")
        mislabel = f"no byte order mark, but the bytes are {utf16.upper()}: read as such"
    else:
        text, overruled = decode_html(body, content_type)
        if overruled is not None:
            mislabel = f"labelled {overruled}, but the bytes are UTF-8: read as UTF-8"
        elif (
            "\ufffd" in text
            and _labelled_utf8(body, content_type)
            and not utf8_but_cut(body)
            and _single_byte(body)
        ):
            text = body.decode("cp1252", errors="replace")
            mislabel = "labelled UTF-8, but the bytes are no UTF-8: read as windows-1252"
        if text.endswith("\ufffd") and utf8_but_cut(body):
            text = text[:-1]  # the cut character: nothing of it is left to show
    what = not_html(text)
    if what is not None:
        return not_html_tree(what), mislabel
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
    kind = binary_kind(body)
    if kind is not None:
        notes.append(f"binary file ({kind}): no text read")
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
