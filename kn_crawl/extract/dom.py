"""Small helpers over lxml trees: readable text, block elements, containment."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeAlias

from lxml import etree
from w3lib.encoding import html_to_unicode, resolve_encoding

from kn_crawl.text import clean_text

# Plain lxml.etree elements: lxml.html's element classes are looked up in Python for every
# element touched, which costs more than the parse itself on a 40 KB page.
Element: TypeAlias = etree._Element

# Comments and processing instructions dropped: their text is not page text. No table of
# id attributes: nothing looks elements up by id, and building it costs ~5 % of the parse.
_PARSER = etree.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, collect_ids=False
)


def decode_page(body: bytes, content_type: str | None = None) -> str:
    """A page's text: see :func:`decode_html`."""
    return decode_html(body, content_type)[0]


# Labels that decode any byte sequence without an error, so a wrong one is never noticed:
# UTF-8 read as one of these gives mojibake ("Ã¼" for "ü"). w3lib reads ISO-8859-1 and
# US-ASCII labels as windows-1252, as browsers do.
_SINGLE_BYTE_LABELS = frozenset({"cp1252", "latin1", "iso8859-1", "iso8859-15"})


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str | None]:
    """A page's text by the rules of Scrapy's ``TextResponse`` (a BOM, the HTTP charset, a
    ``<meta>`` charset, else the first of ASCII, UTF-8 and charset_normalizer's guess that
    fits), with one exception: a page labelled Latin-1 / windows-1252 whose bytes are valid
    UTF-8 with multibyte sequences is read as UTF-8 — a mislabelled page, since text in
    windows-1252 almost never forms valid UTF-8 sequences (it would take an accented
    capital followed by one or more symbols from 0x80–0xBF, such as "Ã©"). Returns the text and,
    for such a page, the label that was overruled (else None). (The page worker decodes
    pages without importing Scrapy.)"""
    encoding, text = html_to_unicode(
        content_type, body, auto_detect_fun=_guess_encoding, default_encoding="ascii"
    )
    if resolve_encoding(encoding) in _SINGLE_BYTE_LABELS and not body.isascii():
        try:
            utf8 = body.decode("utf-8")
        except UnicodeDecodeError:
            return text, None
        return utf8.removeprefix("\ufeff"), encoding
    return text, None


def _guess_encoding(body: bytes) -> str | None:
    for encoding in ("ascii", "utf-8"):
        try:
            body.decode(encoding)
        except UnicodeError:
            continue
        return resolve_encoding(encoding)
    if utf8_but_cut(body):
        return resolve_encoding("utf-8")
    from charset_normalizer import from_bytes  # rarely needed; costs ~10 ms to import

    match = from_bytes(body).best()
    return resolve_encoding(match.encoding) if match else None


def utf8_but_cut(body: bytes) -> bool:
    """Valid UTF-8 but for a multibyte sequence cut off at the very end (a truncated file or
    download): still UTF-8 — one lost character must not flip the page to windows-1252."""
    for cut in (1, 2, 3):
        if len(body) > cut and body[-cut] >= 0xC0:  # the lead byte of the last sequence
            try:
                body[:-cut].decode("utf-8")
            except UnicodeDecodeError:
                return False
            try:
                body[-cut:].decode("utf-8")
            except UnicodeDecodeError as exc:
                return exc.reason == "unexpected end of data"
            return False
    return False


# libxml2's parse time grows with the square of an element's distinct attributes (10,000:
# 0.5 s, 20,000: 4.3 s; 100,000 on one ``<h1>``: minutes). Real pages carry fewer than 50 per
# element; one with more than MAX_ATTRIBUTES keeps its first ones. Found by one linear,
# backtracking-free search (possessive quantifiers), so a 10 MB page costs ~0.1 s more at
# worst. (Duplicate attributes, huge values, deep nesting and long text measured linear.)
MAX_ATTRIBUTES = 200
_ATTRIBUTE = r"""[\s/]++[^\s"'>/=]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'>]++))?+"""
_CROWDED_TAG = rf"<[a-zA-Z][^\s/>]*+(?:{_ATTRIBUTE}){{{MAX_ATTRIBUTES + 1}}}(?:{_ATTRIBUTE})*+"
_CROWDED = re.compile(_CROWDED_TAG)
_CROWDED_BYTES = re.compile(_CROWDED_TAG.encode())
_ATTRIBUTES = re.compile(_ATTRIBUTE)
_ATTRIBUTES_BYTES = re.compile(_ATTRIBUTE.encode())


def _thinned(match: re.Match[str]) -> str:
    tag = match.group()
    first = _ATTRIBUTES.search(tag)
    assert first is not None
    kept = [
        m.group() for _, m in zip(range(MAX_ATTRIBUTES), _ATTRIBUTES.finditer(tag), strict=False)
    ]
    return tag[: first.start()] + "".join(kept)


def _thinned_bytes(match: re.Match[bytes]) -> bytes:
    tag = match.group()
    first = _ATTRIBUTES_BYTES.search(tag)
    assert first is not None
    kept = [
        m.group()
        for _, m in zip(range(MAX_ATTRIBUTES), _ATTRIBUTES_BYTES.finditer(tag), strict=False)
    ]
    return tag[: first.start()] + b"".join(kept)


def cap_attributes(text: str | bytes) -> str | bytes:
    """``text`` with every tag of more than :data:`MAX_ATTRIBUTES` attributes cut to its
    first ones (the tag's ``>`` and content kept)."""
    if isinstance(text, str):
        return _CROWDED.sub(_thinned, text) if _CROWDED.search(text) else text
    return _CROWDED_BYTES.sub(_thinned_bytes, text) if _CROWDED_BYTES.search(text) else text


def parse_html(text: str | bytes, encoding: str | None = None) -> Element:
    """Parse a page leniently (broken HTML is normal) into an lxml.etree tree (tags with more
    than :data:`MAX_ATTRIBUTES` attributes cut to their first ones)."""
    text = cap_attributes(text)
    if isinstance(text, str):
        try:
            root = etree.fromstring(text, _PARSER)
        except ValueError:  # a str with an XML encoding declaration
            root = None
            text = text.encode("utf-8")
            encoding = "utf-8"
        else:
            return root if root is not None else etree.fromstring("<html></html>", _PARSER)
    parser = etree.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, collect_ids=False, encoding=encoding
    )
    root = etree.fromstring(text, parser) if text.strip() else None
    return root if root is not None else etree.fromstring("<html></html>", _PARSER)


BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "aside", "main", "nav",
        "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
        "figure", "figcaption", "blockquote", "table", "tr", "td", "th", "form", "body",
    }
)  # fmt: skip

# Never part of the article's text.
CHROME_TAGS = frozenset({"script", "style", "noscript", "template", "nav", "form", "button"})


_NOT_TEXT = ("script", "style", "noscript", "template")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


def text_of(el: Element | None) -> str | None:
    """The element's visible text, cleaned; scripts and styles left out, ``<br>`` a space."""
    if el is None:
        return None
    if not any(True for _ in el.iter("br", *_NOT_TEXT)):
        return clean_text("".join(el.itertext()))
    parts: list[str] = []
    _collect(el, parts)
    return clean_text("".join(parts))


def lead_text_of(el: Element | None) -> str | None:
    """The element's text up to its first block-level child.

    For a teaser paragraph: when a page forgets ``</p>``, the parser nests the following
    figure and paragraphs inside it, and only the lead belongs to the teaser.
    """
    if el is None:
        return None
    parts: list[str] = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag in BLOCK_TAGS:
            break
        if isinstance(child.tag, str):
            _collect(child, parts)
        if child.tail:
            parts.append(child.tail)
    return clean_text("".join(parts))


def paragraphs_of(el: Element) -> list[str]:
    """The element's text split into paragraphs at blank lines and double ``<br>``."""
    parts: list[str] = []
    _collect(el, parts)
    cleaned = (clean_text(p) for p in _PARAGRAPH_BREAK.split("".join(parts)))
    return [p for p in cleaned if p]


def _collect(el: Element, parts: list[str]) -> None:
    if el.tag in _NOT_TEXT:
        return
    if el.tag == "br":
        parts.append("\n")
    elif el.text:
        parts.append(el.text)
    for child in el:
        if isinstance(child.tag, str):
            _collect(child, parts)
        if child.tail:
            parts.append(child.tail)


def has_block_children(el: Element) -> bool:
    return any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in el)


def nearest_block(el: Element) -> Element:
    """``el`` itself if it is a block element, else its nearest block ancestor."""
    node: Element | None = el
    while node is not None:
        if isinstance(node.tag, str) and node.tag in BLOCK_TAGS:
            return node
        node = node.getparent()
    return el


def inside(el: Element, tags: Iterable[str]) -> bool:
    """Whether ``el`` or one of its ancestors has one of ``tags``."""
    wanted = frozenset(tags)
    if el.tag in wanted:
        return True
    return any(a.tag in wanted for a in el.iterancestors())


def is_within(el: Element, container: Element) -> bool:
    """Whether ``el`` is ``container`` or inside it."""
    return el is container or any(a is container for a in el.iterancestors())
