"""The dates of a generic article page (:mod:`kn_crawl.extract.generic`): when it was
published, when last changed.

:class:`DateSignals`, a mixin of the generic page object, reads the publication date from
layered signals, the most deliberate first: JSON-LD, microdata, the common ``<meta>`` dates,
a ``<time>`` (or hAtom ``published``) of the article, the URL's date, a visible date near the
headline (a labelled date, a dateline, a date line above the headline), a short date among
the first blocks, an element classed as a date. ``modified_at`` is read apart
(:meth:`DateSignals._modified`). Also here: the page's microdata and label scans, the
"elsewhere" test (navigation, sidebars, comments, other teasers) and the walk near the
headline that the other fields share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from copy import deepcopy
from datetime import datetime
from typing import Any

from lxml import etree

from kn_crawl.dates import (
    date_from_url,
    dateline_date,
    find_date,
    first_published,
    is_banner_date,
    is_future_date,
    is_plausible_published,
    parse_date,
)
from kn_crawl.extract.body import BODY_BLOCKS, CHROME
from kn_crawl.extract.dom import Element, has_block_children, inside, is_within, text_of
from kn_crawl.extract.field_rules import (
    ANY_LABEL,
    COMMENTS,
    COPYRIGHT,
    DATE_CLASSED,
    DATE_LABEL,
    LAST_RESORT_BLOCKS,
    META_LINE,
    META_MODIFIED,
    META_PUBLISHED,
    MODIFIED_LABEL,
    PUBLISHED_CLASS,
    PUBLISHED_LABEL,
    UPDATED_CLASS,
)
from kn_crawl.extract.metadata import jsonld_text

__all__ = ["DateSignals", "block_of"]


class DateSignals:
    """The date signals of a page object. The page object (``_GenericPage``) sets the
    attributes declared here; the caches start as ``None`` (``_leaf_found``: empty)."""

    url: str
    root: Element
    scope: Element
    headline: Element | None
    ld: dict[str, Any] | None
    page_ld: dict[str, Any] | None
    _meta: Callable[..., str | None]
    _headline_boxes: set[Element]
    _itemprop_map: dict[str, list[Element]] | None
    _label_elements: list[Element] | None
    _leaf_found: dict[int, list[Element]]

    def _date(self, *, now: datetime | None) -> tuple[datetime | None, str | None]:
        candidates = (
            ("jsonld", lambda: self._jsonld_date(now=now)),
            ("microdata", lambda: self._itemprop_date("datePublished", now=now)),
            ("meta", lambda: parse_date(self._meta(*META_PUBLISHED), now=now)),
            ("time", self._time_element),
            ("url", lambda: date_from_url(self.url)),
            ("visible", lambda: self._visible_date(now=now)),
        )
        return first_published(candidates, now=now)

    def _jsonld_date(self, *, now: datetime | None) -> datetime | None:
        for obj, key in (
            (self.ld, "datePublished"),
            (self.ld, "dateCreated"),
            (self.page_ld, "datePublished"),
        ):
            value = parse_date(jsonld_text(obj, key), now=now)
            if value is not None and is_plausible_published(value):
                return value
        return None

    def _itemprop_date(self, prop: str, *, now: datetime | None) -> datetime | None:
        """Microdata: the first element with ``itemprop=prop`` (its ``content``,
        ``datetime`` or text) outside navigation, sidebars, comments and other teasers."""
        for el in self._itemprops().get(prop.lower(), ()):
            if not isinstance(el.tag, str) or self._elsewhere(el):
                continue
            raw = el.get("content") or el.get("datetime") or text_of(el)
            value = parse_date(raw, now=now) or (find_date(raw, now=now) if raw else None)
            if value is not None:
                return value
        return None

    def _labelled(self) -> list[Element]:
        if self._label_elements is None:
            self._label_elements = _labelled_elements(self.root)
        return self._label_elements

    def _itemprops(self) -> dict[str, list[Element]]:
        """Microdata elements by (lower-case) ``itemprop``, in page order (one scan)."""
        if self._itemprop_map is None:
            self._itemprop_map = {}
            for el in self.root.xpath("//*[@itemprop]"):
                for prop in (el.get("itemprop") or "").lower().split():
                    self._itemprop_map.setdefault(prop, []).append(el)
        return self._itemprop_map

    def _elsewhere(self, el: Element) -> bool:
        """In the page's navigation, a sidebar, a comment thread or another article's teaser
        — a container that also holds the headline is none of these (a site that sets its
        article in an ``<aside>``)."""
        if self._in_other_teaser(el):
            return True
        for a in el.iterancestors():
            if a in self._headline_boxes:
                continue
            if a.tag in ("aside", "nav", "footer"):
                return True
            if (a.get("id") or a.get("class")) and COMMENTS.search(
                f"{a.get('id') or ''} {a.get('class') or ''}"
            ):
                return True
        return el.tag in ("aside", "nav", "footer")

    def _time_element(self) -> datetime | None:
        """A ``<time>`` of the article (one marked ``pubdate`` or hAtom ``published`` first;
        none marked as the modification), or hAtom's ``<abbr class="published" title>``:
        in the main content, else in the headline's header."""
        places: list[Element] = [self.scope]
        if self.headline is not None and (parent := self.headline.getparent()) is not None:
            places.append(parent)
        for place in places:
            found = [
                el
                for el in place.iter("time", "abbr")
                if (el.tag == "time" or PUBLISHED_CLASS.search(el.get("class") or ""))
                and not UPDATED_CLASS.search(f"{el.get('class') or ''} {el.get('itemprop') or ''}")
                and not self._elsewhere(el)
            ]
            marked = [
                el
                for el in found
                if el.get("pubdate") is not None or PUBLISHED_CLASS.search(el.get("class") or "")
            ]
            for el in marked + found:
                raw = el.get("datetime") or el.get("title") or text_of(el)
                value = parse_date(raw) or parse_date(text_of(el))
                if value is not None:
                    return value
        # hAtom anywhere on the page (Blogger's post footer: <abbr class="published" title>).
        for el in self.root.xpath("//*[contains(@class, 'published')]"):
            if PUBLISHED_CLASS.search(el.get("class") or "") and not self._elsewhere(el):
                value = parse_date(el.get("datetime") or el.get("title") or text_of(el))
                if value is not None:
                    return value
        return None

    def _in_other_teaser(self, el: Element) -> bool:
        """Inside an ``<article>`` that is another article's teaser: not the scope, and not
        holding the headline (the main content may be chosen narrower or wider than the
        article's own ``<article>``)."""
        h1 = self.headline
        return any(
            a is not self.scope
            and a.tag == "article"
            and not (h1 is not None and is_within(h1, a))
            and not is_within(self.scope, a)
            for a in el.iterancestors()
        )

    def _visible_date(self, *, now: datetime | None) -> datetime | None:
        """A date near the headline: in the headline's header, or in the first few short
        blocks after it (``Pressemitteilung vom 3. Februar 2025``, ``Datum: 03.02.2025``), or
        a paragraph's dateline (``Berlin, 3. Juli 2018 – …``); a line saying when the article
        was updated is skipped. Without a headline, the main content's first blocks."""
        # Twice: first without what is marked as the modification time (hAtom "updated"),
        # then with it — WordPress themes mark their only, published date "updated" too.
        for strict in (True, False):
            for el in self._leaf_blocks(6):
                if strict and self._updated(el):
                    continue
                text = self._dated_text(el) if strict else text_of(el) or ""
                if MODIFIED_LABEL.match(text) or is_banner_date(text):
                    continue
                if len(text) <= META_LINE:
                    value = parse_date(DATE_LABEL.sub("", text), now=now) or find_date(
                        text, now=now
                    )
                else:
                    value = dateline_date(text, now=now)
                if value is not None:
                    return value
        return (
            self._above_headline_date(now=now)
            or self._labelled_date(now=now)
            or self._first_short_date(now=now)
            or self._date_classed(now=now)
        )

    def _date_classed(self, *, now: datetime | None) -> datetime | None:
        """The very last resort: a short element named as a date by its class or id
        (``class="date"``, ``id="artikeldatum"``, ``post-date``), outside chrome, sidebars,
        comments and teasers of other articles."""
        for el in self.root.xpath(DATE_CLASSED):
            if self._elsewhere(el) or self._updated(el) or inside(el, CHROME):
                continue
            text = text_of(el) or ""
            if not text or len(text) > 60 or COPYRIGHT.search(text) or is_banner_date(text):
                continue
            value = parse_date(el.get("datetime") or "", now=now) or find_date(text, now=now)
            if value is not None:
                return value
        return None

    def _first_short_date(self, *, now: datetime | None) -> datetime | None:
        """The last resort: a short line with a date among the article's first blocks (a
        date set apart in the text's furniture), not a copyright line."""
        blocks = 0
        for el in self.scope.iter(*BODY_BLOCKS, "div", "span", "time"):
            if has_block_children(el) or self._elsewhere(el):
                continue
            text = text_of(el) or ""
            if not text:
                continue
            blocks += 1
            if blocks > LAST_RESORT_BLOCKS:
                break
            if len(text) > 60 or COPYRIGHT.search(text) or is_banner_date(text):
                continue
            value = find_date(text, now=now)
            if value is not None:
                return value
        return None

    def _above_headline_date(self, *, now: datetime | None) -> datetime | None:
        """A short date line just above the headline, in the same block of the page (a
        date set over the title); the viewing day's banner is no such line."""
        if self.headline is None:
            return None
        parent = self.headline.getparent()
        box = parent.getparent() if parent is not None else None
        if box is None:
            return None
        seen = 0
        for el in self.headline.itersiblings(preceding=True):
            if seen >= 3:
                break
            for leaf in [el, *el.iterdescendants()][::-1]:
                if not isinstance(leaf.tag, str) or has_block_children(leaf):
                    continue
                text = text_of(leaf) or ""
                if not text:
                    continue
                seen += 1
                if len(text) <= 60 and not is_banner_date(text) and not self._updated(leaf):
                    value = parse_date(DATE_LABEL.sub("", text), now=now) or find_date(text)
                    if value is not None:
                        return value
                if seen >= 3:
                    break
        return None

    def _labelled_date(self, *, now: datetime | None) -> datetime | None:
        """A short line anywhere in the page but its chrome that says it is the publication
        date ("Veröffentlicht: 25.10.2007 15:19", "Dieser Artikel wurde am 14. Dezember 2015
        veröffentlicht"). Only the element's own first text is tested, which is cheap."""
        for el in self._labelled():
            if not isinstance(el.tag, str) or not el.text or not PUBLISHED_LABEL.match(el.text):
                continue
            block = block_of(el)
            text = text_of(block) or ""
            if len(text) > 2 * META_LINE or self._elsewhere(block) or inside(block, CHROME):
                continue
            value = find_date(text, now=now)
            if value is not None:
                return value
        return None

    def _dated_text(self, el: Element) -> str:
        """``el``'s text without what is marked as the modification time inside it."""
        marked = [d for d in el.iterdescendants() if isinstance(d.tag, str) and self._updated(d)]
        if not marked:
            return text_of(el) or ""
        copy = deepcopy(el)
        for d in list(copy.iterdescendants()):
            if (
                isinstance(d.tag, str)
                and self._updated(d)
                and (parent := d.getparent()) is not None
            ):
                parent.remove(d)  # its tail goes too: a separator at most
        return text_of(copy) or ""

    def _updated(self, el: Element) -> bool:
        """Marked as the modification time (hAtom ``updated``, ``itemprop=dateModified``)."""
        return bool(UPDATED_CLASS.search(f"{el.get('class') or ''} {el.get('itemprop') or ''}"))

    def _leaf_blocks(self, limit: int) -> list[Element]:
        """The first ``limit`` leaf blocks with text around and after the headline (without
        one: of the main content); found once per limit (the date signals ask twice)."""
        found = self._leaf_found.get(limit)
        if found is None:
            found = self._leaf_found[limit] = list(self._find_leaf_blocks(limit))
        return found

    def _find_leaf_blocks(self, limit: int) -> Iterator[Element]:
        blocks = 0
        source = self._near_headline() if self.headline is not None else self.scope.iter()
        for el in source:
            if not isinstance(el.tag, str) or el.tag in CHROME or el is self.headline:
                continue
            if has_block_children(el) or not text_of(el) or self._elsewhere(el):
                continue
            if el.tag in ("a", "script", "style"):
                continue
            blocks += 1
            if blocks > limit:
                return
            yield el

    def _modified(self, published: datetime | None, *, now: datetime | None) -> datetime | None:
        """When the article was last changed: JSON-LD ``dateModified``, microdata, the common
        meta (``article:modified_time``, ``og:updated_time``, ``last-modified``), a ``<time>``
        marked ``updated``, an "Aktualisiert am …" line near the headline. Never before the
        publication and never after tomorrow."""
        getters = (
            lambda: parse_date(jsonld_text(self.page_ld, "dateModified"), now=now),
            lambda: self._itemprop_date("dateModified", now=now),
            lambda: parse_date(self._meta(*META_MODIFIED), now=now),
            lambda: self._updated_time(),
            lambda: self._updated_line(now=now),
        )
        for get in getters:
            value = get()
            if value is None or not is_plausible_published(value):
                continue
            if now is not None and is_future_date(value, now=now):
                continue
            if published is not None and value < published:
                continue
            return value
        return None

    def _updated_time(self) -> datetime | None:
        for el in self.scope.iter("time", "abbr"):
            if UPDATED_CLASS.search(el.get("class") or "") and not self._elsewhere(el):
                value = parse_date(el.get("datetime") or el.get("title") or text_of(el))
                if value is not None:
                    return value
        return None

    def _updated_line(self, *, now: datetime | None) -> datetime | None:
        for el in self._leaf_blocks(6):
            text = text_of(el) or ""
            if len(text) <= META_LINE and MODIFIED_LABEL.match(text):
                return find_date(text, now=now)
        return None

    def _near_headline(self) -> Iterator[Element]:
        h1 = self.headline
        assert h1 is not None
        parent = h1.getparent()
        # The header around the headline first (a date line above it), then what follows
        # it; each element once (the header's elements again would fill the few blocks the
        # callers look at twice over).
        if parent is not None and parent.tag in ("header", "hgroup", "div"):
            yield from (el for el in parent.iter() if el is not h1 and not is_within(el, h1))
            yield from _following(parent)
        else:
            yield from _following(h1)


def _following(el: Element) -> Iterator[Element]:
    """The elements after ``el`` in document order, lazily (XPath's ``following::*`` builds
    the whole list, while the callers stop after a few blocks)."""
    node: Element | None = el
    while node is not None:
        for sibling in node.itersiblings():
            yield sibling
            yield from sibling.iterdescendants()
        node = node.getparent()


def _labelled_elements(root: Element) -> list[Element]:
    """The elements whose own first text opens with a tags label ("Stichwörter:") or a
    publication label ("Veröffentlicht:"), in page order: one pass over the page's text
    nodes' own first texts (an XPath ``contains()`` sieve or ``//text()`` costs more)."""
    match = ANY_LABEL.match
    # iter(Element): elements only (no comments or processing instructions).
    return [el for el in root.iter(etree.Element) if (text := el.text) and match(text)]


def block_of(el: Element) -> Element:
    """The leaf block around an inline element (``<p><time>…</time></p>``)."""
    node = el
    while node.tag not in BODY_BLOCKS and node.tag != "div":
        parent = node.getparent()
        if parent is None:
            break
        node = parent
    return node
