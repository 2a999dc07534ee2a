"""Teaser lists: archive pages, section pages, home pages and "related" blocks.

A teaser is recognised by what a reader sees, not by class names: a link to an article,
usually a heading (``Kicker: Title``), a paragraph opening with the date (``[28.01.2025] …
mehr...``), sometimes an image and a lower-case type label (``bericht``). The container of a
teaser is the largest element around its link that holds no link to another article.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urljoin

from kn_crawl.dates import find_date, parse_date, split_leading_date
from kn_crawl.extract.dom import Element, lead_text_of, nearest_block, text_of
from kn_crawl.items import ListingEntry
from kn_crawl.text import clean_text, split_kicker, strip_more

LEADING_BRACKET_DATE = re.compile(r"^\s*\[\s*\d{1,2}\.\s*\d{1,2}\.\s*\d{2,4}\s*\]")
TYPE_LABEL = re.compile(r"^[a-zäöüß][a-zäöüß-]{2,24}$")
MORE_LINK = re.compile(r"^(mehr|weiterlesen|weiter|more)\b", re.IGNORECASE)
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def article_links(
    scope: Element,
    base_url: str,
    is_article: Callable[[str], bool],
    skip_inside: Iterable[str] = (),
) -> list[tuple[Element, str]]:
    """(anchor, absolute URL) for every link to an article inside ``scope``, in page order,
    leaving out links inside elements named in ``skip_inside``."""
    skip = tuple(skip_inside)
    if skip and any(anc.tag in skip for anc in scope.iterancestors()):
        return []  # the whole scope is inside a skipped element
    # The links inside skipped elements, collected once (lxml hands out the same proxy for a
    # node while one is alive, so set membership works) instead of walking every link's
    # ancestors.
    skipped = {a for el in scope.iter(*skip) for a in el.iter("a")} if skip else set()
    found = []
    for a in scope.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:")):
            continue
        if a in skipped:
            continue
        url = href if href.startswith(("http://", "https://")) else urljoin(base_url, href)
        if is_article(url):
            found.append((a, url))
    return found


def teaser_entries(
    scope: Element,
    *,
    base_url: str,
    is_article: Callable[[str], bool],
    exclude: Iterable[str] = (),
    now: datetime | None = None,
    skip_inside: Iterable[str] = (),
) -> list[ListingEntry]:
    links = article_links(scope, base_url, is_article, skip_inside)
    excluded = set(exclude)
    # For every element between a link and the scope: which article URLs it contains.
    owners: dict[Element, set[str]] = {}
    anchors_of: dict[str, list[Element]] = {}
    for a, url in links:
        anchors_of.setdefault(url, []).append(a)
        node = a
        while node is not None and node is not scope:
            owners.setdefault(node, set()).add(url)
            node = node.getparent()
    entries = []
    for url, anchors in anchors_of.items():
        if url in excluded:
            continue
        container = anchors[0]
        for ancestor in container.iterancestors():
            if ancestor is scope or owners.get(ancestor) != {url}:
                break
            container = ancestor
        entries.append(_entry(url, container, anchors, now=now))
    return entries


def _entry(
    url: str, container: Element, anchors: list[Element], *, now: datetime | None
) -> ListingEntry:
    published_at: datetime | None = None
    teaser: str | None = None
    date_block: Element | None = None
    for node in container.iter():
        if not isinstance(node.tag, str):
            continue
        # The date opens a text node: the element's own text, or the text after a child.
        if node.text and LEADING_BRACKET_DATE.match(node.text):
            holder: Element | None = node
        elif node.tail and LEADING_BRACKET_DATE.match(node.tail):
            holder = node.getparent()
        else:
            continue
        if holder is None:
            continue
        date_block = nearest_block(holder)
        published_at, teaser = split_leading_date(lead_text_of(date_block))
        break
    if published_at is None:
        for time_el in container.iter("time"):
            published_at = parse_date(time_el.get("datetime") or text_of(time_el), now=now)
            if published_at:
                break

    heading = next(
        (h for h in container.iter(*HEADINGS) if text_of(h)),
        None,
    )
    if heading is not None:
        headline = text_of(heading)
    else:
        texts = [text_of(a) for a in anchors]
        headline = max((t for t in texts if t and not MORE_LINK.match(t)), key=len, default=None)
    kicker, title = split_kicker(headline)
    if kicker is None and heading is not None:
        kicker, title = _kicker_from_parts(heading, headline) or (None, title)

    type_label = None
    image_alt = None
    for node in container.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag == "img" and image_alt is None:
            image_alt = clean_text(node.get("alt"))
        if type_label is None and node is not heading and len(node) == 0:
            text = clean_text(node.text)
            if text and TYPE_LABEL.match(text) and not MORE_LINK.match(text):
                type_label = text
    if published_at is None:
        published_at = find_date(text_of(container), now=now)
    return ListingEntry(
        url=url,
        title=title,
        kicker=kicker,
        teaser=strip_more(teaser),
        published_at=published_at,
        type_label=type_label,
        image_alt=image_alt,
    )


def _kicker_from_parts(heading: Element, headline: str | None) -> tuple[str, str] | None:
    """A heading built as ``<span>Kicker</span> Title``: its first text part is the kicker."""
    if not headline:
        return None
    for node in heading.iterdescendants():
        if not isinstance(node.tag, str):
            continue
        first = text_of(node)
        if not first or first == headline:
            continue  # empty, or a wrapper (a link) around the whole headline
        if headline.startswith(first):
            rest = clean_text(headline[len(first) :].lstrip(" :–-"))
            if rest:
                return first, rest
        return None
    return None
