"""Feeds as listings: RSS 2.0, RSS 1.0/RDF and Atom (feedparser does the format work), and
JSON Feed 1.0/1.1 (read with ``json``: feedparser does not know it).

Before feedparser sees a byte, the document is checked: a DTD that declares entities or
names an external id (billion laughs, XXE to ``file:///etc/passwd``) is refused unparsed
(``unsafe_xml``), and a page that is really HTML (a cookie wall, an error page served with
200) is refused as ``feed_is_html``. Anything else that is no feed is ``bad_feed``.
"""

from __future__ import annotations

import calendar
import json
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin
from xml.etree.ElementTree import ParseError
from xml.sax import SAXException

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from lxml import etree
from lxml.html import fragment_fromstring

from kn_crawl.dates import parse_date
from kn_crawl.items import Listing, ListingEntry
from kn_crawl.tags import clean_tag
from kn_crawl.text import clean_paragraphs, clean_text, split_kicker, strip_more

BAD_FEED = "bad_feed"
FEED_IS_HTML = "feed_is_html"
UNSAFE_XML = "unsafe_xml"
TOO_MANY_LINKS = "too_many_links"
NO_ARTICLES_MATCHED = "no_articles_matched"
ENTRY_WITHOUT_LINK = "feed_entry_without_link"

# The default of KN_MAX_LINKS_PER_PAGE (kn_crawl.settings), for callers without settings.
MAX_ENTRIES = 1000

JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")


class FeedError(ValueError):
    """The document is not a usable feed. ``reason`` is the drop reason to record
    (``bad_feed``, ``feed_is_html``, ``unsafe_xml``); ``str()`` the one-line detail."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# -- what the document is ----------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_PI = re.compile(r"<\?.*?(?:\?>|$)", re.DOTALL)
# The first element's start tag ends the prolog. Declarations (<!DOCTYPE, <!ENTITY) start
# with "<!", so they are all before it — an entity value holding "<b>" comes after its own
# "<!ENTITY".
_FIRST_ELEMENT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_DOCTYPE = re.compile(r"<!DOCTYPE\s+([\w.:-]+)?", re.IGNORECASE)
_EXTERNAL_ID = re.compile(r"\b(SYSTEM|PUBLIC)\b")
_DECLARATION = re.compile(r"<!(ENTITY|ATTLIST|ELEMENT|NOTATION)\b")
_HTML_ROOTS = frozenset({"html", "head", "body"})


def _text_head(body: bytes) -> str:
    """The document as text for sniffing: decoded by its BOM (UTF-16/32 would hide its markup
    from a byte scan), else read byte for byte (every ASCII-compatible encoding keeps
    markup characters where they are)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    if body[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without a BOM
        return body.decode("utf-16-le" if body[0] == 0x3C else "utf-16-be", errors="replace")
    return body.decode("latin-1")


def _prolog(text: str) -> tuple[str, str | None]:
    """What comes before the root element (comments and processing instructions left out),
    and the root element's local name (None: no element at all)."""
    without = _PI.sub("", _COMMENT.sub("", text))
    match = _FIRST_ELEMENT.search(without)
    if match is None:
        return without, None
    return without[: match.start()], match.group(1).rsplit(":", 1)[-1].lower()


def check_document(body: bytes) -> str:
    """What kind of document ``body`` is: ``"xml"`` or ``"json"``; FeedError for an empty
    document, an unsafe DTD, an HTML page. Runs before any parser."""
    text = _text_head(body).lstrip("\ufeff \t\r\n")
    if not text:
        raise FeedError(BAD_FEED, "empty document")
    if text[0] in "{[":
        return "json"
    prolog, root = _prolog(text)
    doctype = _DOCTYPE.search(prolog)
    if doctype is not None:
        declared = prolog[doctype.start() :]
        if _DECLARATION.search(declared):
            raise FeedError(UNSAFE_XML, "the document's DTD declares entities: not parsed")
        name = (doctype.group(1) or "").lower()
        if name == "html":
            raise FeedError(FEED_IS_HTML, "an HTML page, not a feed (<!DOCTYPE html>)")
        if _EXTERNAL_ID.search(declared):
            raise FeedError(UNSAFE_XML, "the document's DTD names an external id: not parsed")
    elif _DECLARATION.search(prolog):
        raise FeedError(UNSAFE_XML, "the document declares entities: not parsed")
    if root in _HTML_ROOTS:
        raise FeedError(FEED_IS_HTML, f"an HTML page, not a feed (<{root}>)")
    if root is None:
        raise FeedError(BAD_FEED, "no XML element in the document")
    _check_with_defusedxml(body)
    return "xml"


def _check_with_defusedxml(body: bytes) -> None:
    """A second look with defusedxml's parser, which refuses entity declarations and
    external references wherever they hide. A document it cannot parse (truncated, not
    well-formed) passes here: feedparser reads it leniently, and the scan above has seen
    its prolog."""
    try:
        defused_fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(UNSAFE_XML, f"refused by the XML guard: {type(exc).__name__}") from None
    except (ParseError, ValueError, LookupError):
        pass


# -- parsing -------------------------------------------------------------------------------


def parse_feed(
    body: bytes,
    url: str,
    *,
    now: datetime | None = None,
    max_entries: int = MAX_ENTRIES,
    kickers: bool = True,
) -> Listing:
    """The feed's entries as a listing (``next_url``: the feed's own next page, Atom
    ``rel=next`` or JSON Feed ``next_url``). Entries beyond ``max_entries`` are cut, with a
    ``too_many_links`` note. ``kickers``: split ``Kicker: Title`` titles (the K21 sites write
    their kicker so); other sites' titles stay whole. FeedError with ``reason`` for a
    document that is no usable feed."""
    if check_document(body) == "json":
        listing = _parse_json_feed(body, url, now=now, max_entries=max_entries)
    else:
        listing = _parse_xml_feed(body, url, now=now, max_entries=max_entries)
    if not kickers:
        whole_titles(listing)
    return listing


def whole_titles(listing: Listing) -> None:
    """Put split-off kickers back into the titles: ``Kicker: Title``."""
    for entry in listing.entries:
        if entry.kicker and entry.title:
            entry.title, entry.kicker = f"{entry.kicker}: {entry.title}", None


_CLOSING_ROOT = re.compile(rb"</(?:[\w-]+:)?(?:rss|feed|RDF)\s*>\s*$")


def _take(listing: Listing, raws: list[Any], build: Any, max_entries: int) -> None:
    """The first ``max_entries`` entries of ``raws`` that ``build`` makes an entry of: a feed
    with 100,000 entries costs its parse, not 100,000 entries more (noted: ``too_many_links``)."""
    for number, raw in enumerate(raws):
        if len(listing.entries) >= max_entries:
            detail = f"{len(raws) - number + max_entries} entries in the feed; "
            detail += f"the first {max_entries} were taken"
            listing.notes.append((TOO_MANY_LINKS, detail))
            return
        entry = build(raw)
        if entry is not None:
            listing.entries.append(entry)
    if raws and not listing.entries:
        # Every entry without an http(s) link (``javascript:…``, none): recorded, so that
        # health tells why a feed that was read brought no article.
        detail = f"{len(raws)} entries in the feed, none with an http(s) link"
        listing.notes.append((NO_ARTICLES_MATCHED, detail))
    elif len(listing.entries) < len(raws) and len(listing.entries) < max_entries:
        # Some entries only: the others are not followed, and say so once per feed page.
        skipped = len(raws) - len(listing.entries)
        detail = f"{skipped} of {len(raws)} entries in the feed have no http(s) link: not followed"
        listing.notes.append((ENTRY_WITHOUT_LINK, detail))


def _parse_xml_feed(
    body: bytes, url: str, *, now: datetime | None, max_entries: int = MAX_ENTRIES
) -> Listing:
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
    # Only a well-formedness error counts: feedparser also flags a missing Content-Type
    # or a charset it overrode, which say nothing about the document.
    xml_error = isinstance(bozo, SAXException)
    if not parsed.get("version"):
        if xml_error:
            raise FeedError(BAD_FEED, f"not a feed: {_one_line(bozo)}")
        raise FeedError(BAD_FEED, "not a feed: no RSS, RDF or Atom root element")
    listing = Listing(url=url, next_url=_next_link(parsed.get("feed", {}), url))
    raw_entries = list(parsed.entries)
    if xml_error:
        detail = f"not well-formed XML ({_one_line(bozo)}): read leniently"
        if not _CLOSING_ROOT.search(body.rstrip()[-64:]) and raw_entries:
            # The document ends early: its last entry may be cut off in the middle.
            raw_entries.pop()
            detail += ", the document ends early: its last entry was left out"
        listing.notes.append((BAD_FEED, detail))
    _take(listing, raw_entries, lambda raw: _xml_entry(raw, now=now), max_entries)
    return listing


def _one_line(exc: object) -> str:
    return " ".join(str(exc).split())[:200]


def _next_link(feed: Any, url: str) -> str | None:
    for link in feed.get("links", ()) or ():
        if link.get("rel") == "next" and link.get("href"):
            return _http_url(link["href"], url)
    return None


def _http_url(href: str | None, base: str) -> str | None:
    if not href or not (href := href.strip()):
        return None
    absolute = urljoin(base, href)
    return absolute if absolute.startswith(("http://", "https://")) else None


def _xml_entry(raw: Any, *, now: datetime | None) -> ListingEntry | None:
    link = _http_url(raw.get("link"), raw.get("link") or "")
    if link is None:
        return None
    kicker, title = split_kicker(_plain(raw.get("title")))
    content = raw.get("content") or []
    body = _paragraphs(content[0].get("value"), content[0].get("type")) if content else None
    summary = raw.get("summary")
    # feedparser hands out an entry's content as its summary when there is no summary of its
    # own: that is not a teaser.
    if content and summary == content[0].get("value"):
        summary = None
    return ListingEntry(
        url=link,
        title=title,
        kicker=kicker,
        teaser=strip_more(_plain(summary)),
        published_at=_xml_date(raw, now=now),
        tags=_tags(t.get("label") or t.get("term") for t in raw.get("tags") or ()),
        author=_xml_author(raw),
        body=body,
    )


def _xml_date(raw: Any, *, now: datetime | None) -> datetime | None:
    for key in ("published", "updated"):
        found = parse_date(raw.get(key), now=now)
        if found is not None:
            return found
    # A form our parser does not read, which feedparser did (it hands out UTC).
    for key in ("published_parsed", "updated_parsed"):
        parsed = raw.get(key)
        if isinstance(parsed, time.struct_time):
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return None


def _xml_author(raw: Any) -> str | None:
    names = [clean_text(a.get("name")) for a in raw.get("authors") or () if isinstance(a, dict)]
    found = [n for n in names if n]
    if found:
        return ", ".join(dict.fromkeys(found))
    detail = raw.get("author_detail") or {}
    return clean_text(detail.get("name") or raw.get("author"))


def _tags(values: Any) -> list[str]:
    tags: dict[str, None] = {}
    for value in values:
        tag = clean_tag(value) if isinstance(value, str) else None
        if tag:
            tags.setdefault(tag)
    return list(tags)


# -- JSON Feed -----------------------------------------------------------------------------


def _parse_json_feed(
    body: bytes, url: str, *, now: datetime | None, max_entries: int = MAX_ENTRIES
) -> Listing:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:
        raise FeedError(BAD_FEED, f"malformed JSON Feed: {_one_line(exc)}") from None
    if not isinstance(data, dict):
        raise FeedError(BAD_FEED, "JSON that is not a JSON Feed (no object)")
    version = data.get("version")
    if version not in JSON_FEED_VERSIONS:
        raise FeedError(BAD_FEED, f"JSON that is not a JSON Feed (version {version!r})")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(BAD_FEED, "malformed JSON Feed: no list of items")
    next_url = data.get("next_url")
    listing = Listing(
        url=url, next_url=_http_url(next_url if isinstance(next_url, str) else None, url)
    )
    feed_authors = _json_authors(data)
    dicts = [item for item in items if isinstance(item, dict)]
    _take(listing, dicts, lambda item: _json_entry(item, url, feed_authors, now=now), max_entries)
    return listing


def _json_entry(
    item: dict[str, Any], feed_url: str, feed_authors: str | None, *, now: datetime | None
) -> ListingEntry | None:
    def text(key: str) -> str | None:
        value = item.get(key)
        return value if isinstance(value, str) else None

    link = _http_url(text("url") or text("external_url"), feed_url)
    if link is None:
        return None
    kicker, title = split_kicker(_plain(text("title")))
    body = _paragraphs(text("content_html"), "text/html") or _paragraphs(
        text("content_text"), "text/plain"
    )
    published = parse_date(text("date_published"), now=now) or parse_date(
        text("date_modified"), now=now
    )
    tags = item.get("tags")
    return ListingEntry(
        url=link,
        title=title,
        kicker=kicker,
        teaser=strip_more(_plain(text("summary"))),
        published_at=published,
        tags=_tags(tags if isinstance(tags, list) else ()),
        author=_json_authors(item) or feed_authors,
        body=body,
    )


def _json_authors(obj: dict[str, Any]) -> str | None:
    """Version 1.1's ``authors`` list, or version 1's single ``author`` object."""
    authors = obj.get("authors")
    if not isinstance(authors, list):
        authors = [obj.get("author")]
    names = [clean_text(a.get("name")) for a in authors if isinstance(a, dict)]
    found = [n for n in names if isinstance(n, str) and n]
    return ", ".join(dict.fromkeys(found)) or None


# -- text ----------------------------------------------------------------------------------


def _plain(html: str | None) -> str | None:
    if not html:
        return None
    if "<" not in html:
        return clean_text(html)
    try:
        return clean_text(fragment_fromstring(html, create_parent="div").text_content())
    except (ValueError, TypeError, etree.ParserError):
        return clean_text(html)


_BLOCKS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figure",
     "figcaption", "table", "tr", "ul", "ol", "dl", "dt", "dd", "section", "article", "hr"}
)  # fmt: skip
_NOT_TEXT = frozenset({"script", "style", "noscript", "template", "iframe"})


def _paragraphs(value: str | None, content_type: str | None) -> str | None:
    """A feed entry's content as plain text, paragraphs separated by blank lines: HTML
    block elements and double ``<br>`` break paragraphs; plain text keeps its blank lines."""
    if not value or not value.strip():
        return None
    if "html" not in (content_type or "") and "<" not in value:
        return clean_paragraphs(re.split(r"\n\s*\n", value))
    try:
        root = fragment_fromstring(value, create_parent="div")
    except (ValueError, TypeError, etree.ParserError):
        return clean_text(value)
    parts: list[str] = [""]
    _walk(root, parts)
    return clean_paragraphs(parts)


def _walk(el: Any, parts: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else None
    if tag in _NOT_TEXT:
        return
    block = tag in _BLOCKS
    if block:
        parts.append("")
    if tag == "br":
        # A double <br> breaks the paragraph; a single one is a space (clean_text).
        if parts[-1].endswith("\n"):
            parts.append("")
        else:
            parts[-1] += "\n"
    elif tag is not None and el.text:
        parts[-1] += el.text
    for child in el:
        _walk(child, parts)
        if child.tail:
            parts[-1] += child.tail
    if block:
        parts.append("")


def looks_like_feed(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith(b"<?xml") or b"<rss" in head or b"<feed" in head
