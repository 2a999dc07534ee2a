"""Small helpers over lxml trees: readable text, block elements, containment."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from kn_crawl.text import clean_text

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


def text_of(el: HtmlElement | None) -> str | None:
    """The element's visible text, cleaned; scripts and styles left out, ``<br>`` a space."""
    if el is None:
        return None
    if not any(True for _ in el.iter("br", *_NOT_TEXT)):
        return clean_text(el.text_content())
    parts: list[str] = []
    _collect(el, parts)
    return clean_text("".join(parts))


def lead_text_of(el: HtmlElement | None) -> str | None:
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


def paragraphs_of(el: HtmlElement) -> list[str]:
    """The element's text split into paragraphs at blank lines and double ``<br>``."""
    parts: list[str] = []
    _collect(el, parts)
    cleaned = (clean_text(p) for p in _PARAGRAPH_BREAK.split("".join(parts)))
    return [p for p in cleaned if p]


def _collect(el: HtmlElement, parts: list[str]) -> None:
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


def has_block_children(el: HtmlElement) -> bool:
    return any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in el)


def nearest_block(el: HtmlElement) -> HtmlElement:
    """``el`` itself if it is a block element, else its nearest block ancestor."""
    node: HtmlElement | None = el
    while node is not None:
        if isinstance(node.tag, str) and node.tag in BLOCK_TAGS:
            return node
        node = node.getparent()
    return el


def inside(el: HtmlElement, tags: Iterable[str]) -> bool:
    """Whether ``el`` or one of its ancestors has one of ``tags``."""
    wanted = frozenset(tags)
    if el.tag in wanted:
        return True
    return any(a.tag in wanted for a in el.iterancestors())


def is_descendant(el: HtmlElement, ancestor: HtmlElement) -> bool:
    return any(a is ancestor for a in el.iterancestors())
