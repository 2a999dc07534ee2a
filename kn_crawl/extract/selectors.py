"""A catalogue entry's per-field selectors, evaluated with parsel as Scrapy users expect.

An expression is CSS, or XPath when it starts with ``/``, ``(`` or ``xpath:``. Text fields
take the text of every match, joined (the body: the paragraphs of every match, separated by
blank lines); ``tags`` take each match as one Stichwort; ``date`` the first match that
parses. A match may be an element or a string (``::text``, ``::attr(content)``,
``/@datetime``). A selector that matches nothing, or does not compile, leaves the generic
extraction in place and is a warning on the item, never a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    from kn_crawl.extract.body import body_text

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


@dataclass(slots=True)
class SelectorMatches:
    """What a catalogue entry's selectors found on one page, before it is applied."""

    found: dict[str, SelectorList[Selector]] = field(default_factory=dict)
    expressions: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def headline(self) -> Element | None:
        """The title selector's first element: where the article's text begins."""
        for match in self.found.get("title", ()):
            if not isinstance(match.root, str):
                return match.root
        return None

    @property
    def elements(self) -> list[Element]:
        """Every element a field other than the body matched: none of it is body text."""
        return [
            m.root
            for name, matches in self.found.items()
            if name != "body"
            for m in matches
            if not isinstance(m.root, str)
        ]

    def apply(self, item: ArticleItem, *, now: datetime | None = None) -> None:
        """Override ``item``'s fields with what was found; what was not is a warning."""
        item.warnings.extend(self.problems)
        for name, matches in self.found.items():
            expression = repr(self.expressions[name])
            if name == "date":
                found = _first_date(matches, now=now)
                if found is None:
                    item.warnings.append(f"selector date {expression} matched no date")
                else:
                    item.published_at, item.date_signal = found, "selector"
                continue
            texts = match_texts(matches, paragraphs=name == "body")
            if not texts:
                item.warnings.append(f"selector {name} {expression} matched nothing")
            elif name == "tags":
                item.tags = _unique(texts)
            elif name == "body":
                item.body = "\n\n".join(texts)
            else:
                setattr(item, name, clean_text(" ".join(texts)))


def match_selectors(root: Element, selectors: Selectors) -> SelectorMatches:
    """Evaluate every selector of the entry on the page."""
    result = SelectorMatches()
    page = Selector(root=root, type="html")
    for name in (*TEXT_FIELDS, "body", "tags", "date"):
        expression = getattr(selectors, name)
        if not expression:
            continue
        try:
            matches = select(page, expression)
        except ValueError as exc:
            result.problems.append(f"selector {name} {expression!r} is invalid: {exc}")
            continue
        result.found[name] = matches
        result.expressions[name] = expression
    return result


def apply_selectors(
    item: ArticleItem, root: Element, selectors: Selectors, *, now: datetime | None = None
) -> None:
    """Override ``item``'s fields with what ``selectors`` find on the page."""
    match_selectors(root, selectors).apply(item, now=now)


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
