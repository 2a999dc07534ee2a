"""A catalogue entry's per-field selectors, evaluated with parsel as Scrapy users expect.

An expression is CSS, or XPath when it starts with ``/``, ``(`` or ``xpath:``. Text fields
take the text of every match, joined (the body: the paragraphs of every match, separated by
blank lines); ``tags`` take each match as one Stichwort; ``date`` the first match that
parses. A match may be an element or a string (``::text``, ``::attr(content)``,
``/@datetime``). A selector that matches nothing, or does not compile, leaves the generic
extraction in place and is a warning on the item, never a failure.
"""

from __future__ import annotations

from datetime import datetime

from parsel import Selector, SelectorList

from kn_crawl.catalog.model import Selectors
from kn_crawl.dates import find_date, parse_date
from kn_crawl.extract.dom import Element, text_of
from kn_crawl.items import ArticleItem
from kn_crawl.tags import clean_tag, tag_key
from kn_crawl.text import clean_text

TEXT_FIELDS = ("title", "kicker", "teaser", "author")


def is_xpath(expression: str) -> bool:
    return expression.startswith(("/", "(", "xpath:"))


def select(root: Element | Selector, expression: str) -> SelectorList[Selector]:
    """The matches of a CSS or XPath ``expression``; ValueError when it does not compile."""
    selector = root if isinstance(root, Selector) else Selector(root=root, type="html")
    try:
        if is_xpath(expression):
            return selector.xpath(expression.removeprefix("xpath:").strip())
        return selector.css(expression)
    except Exception as exc:  # noqa: BLE001 — cssselect and lxml raise their own kinds
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


def match_texts(matches: SelectorList[Selector], *, paragraphs: bool = False) -> list[str]:
    """Each match's text: an element's visible text (its paragraphs, for the body), a string
    match (an attribute, a text node) as it is."""
    from kn_crawl.extract.generic import body_text

    texts = []
    for match in matches:
        root = match.root
        if isinstance(root, str):
            text = clean_text(root)
        elif paragraphs:
            text = body_text(root) or text_of(root)
        else:
            text = text_of(root)
        if text:
            texts.append(text)
    return texts


def apply_selectors(
    item: ArticleItem,
    root: Element,
    selectors: Selectors,
    *,
    page_url: str,
    now: datetime | None = None,
) -> None:
    """Override ``item``'s fields with what ``selectors`` find on the page."""
    del page_url  # the fields are text: nothing to resolve yet
    page = Selector(root=root, type="html")
    for name in (*TEXT_FIELDS, "body", "tags", "date"):
        expression = getattr(selectors, name)
        if not expression:
            continue
        try:
            matches = select(page, expression)
        except ValueError as exc:
            item.warnings.append(f"selector {name} {expression!r} is invalid: {exc}")
            continue
        texts = match_texts(matches, paragraphs=name == "body")
        if name == "date":
            found = _first_date(matches, now=now)
            if found is None:
                item.warnings.append(f"selector date {expression!r} matched no date")
                continue
            item.published_at, item.date_signal = found, "selector"
            continue
        if not texts:
            item.warnings.append(f"selector {name} {expression!r} matched nothing")
            continue
        if name == "tags":
            item.tags = _unique(texts)
        elif name == "body":
            item.body = "\n\n".join(texts)
        else:
            setattr(item, name, clean_text(" ".join(texts)))


def _first_date(matches: SelectorList[Selector], *, now: datetime | None) -> datetime | None:
    for match in matches:
        root = match.root
        candidates: list[str | None]
        if isinstance(root, str):
            candidates = [root]
        else:
            candidates = [root.get("datetime"), root.get("content"), text_of(root)]
        for text in candidates:
            value = parse_date(text, now=now) or find_date(text, now=now)
            if value is not None:
                return value
    return None


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    tags = []
    for value in values:
        tag = clean_tag(value)
        if tag and tag_key(tag) not in seen:
            seen.add(tag_key(tag))
            tags.append(tag)
    return tags
