"""The Stichwörter, author, section, image and language of a generic article page
(:mod:`kn_crawl.extract.generic`).

:class:`FieldSignals`, a mixin of the generic page object, reads each from metadata first
(JSON-LD, ``<meta>``), then from what the page shows: ``rel=tag`` links and visible
"Stichwörter:" lists, a byline near the headline, a breadcrumb trail or category link,
``<html lang>``. The "Stichwörter:" marker helpers are here too (the body leaves the lines
they show out).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kn_crawl.extract.body import CHROME
from kn_crawl.extract.dom import Element, inside, is_within, text_of
from kn_crawl.extract.field_rules import (
    BREADCRUMB,
    BYLINE,
    META_AUTHOR,
    META_IMAGE,
    META_LANGUAGE,
    TAGS_LABEL,
    author_name,
    breadcrumb_section,
    jsonld_names,
    meta_keywords,
    unique_tags,
)
from kn_crawl.extract.metadata import (
    jsonld_breadcrumb,
    jsonld_by_id,
    jsonld_images,
    jsonld_keywords,
    jsonld_language,
    jsonld_text,
    meta_all,
    primary_language,
)
from kn_crawl.extract.site_memory import SiteMemory
from kn_crawl.extract.titles import fold
from kn_crawl.tags import split_tags
from kn_crawl.text import clean_text

__all__ = ["FieldSignals", "marker_block"]


class FieldSignals:
    """The tags, author, section, image and language signals of a page object. The page
    object (``_GenericPage``) sets the attributes declared here (``_markers``: ``None``
    until the markers are first asked for)."""

    root: Element
    scope: Element
    headline: Element | None
    objects: list[dict[str, Any]]
    ld: dict[str, Any] | None
    page_ld: dict[str, Any] | None
    memory: SiteMemory | None
    site_names: list[str]
    _markers: list[Element] | None
    _meta: Callable[..., str | None]
    _labelled: Callable[[], list[Element]]
    _near_headline_blocks: Callable[[], list[Element]]

    # -- tags, author --------------------------------------------------------------------

    def _tags(self) -> list[str]:
        """The Stichwörter the page gives: JSON-LD ``keywords``, ``article:tag``, ``rel=tag``
        links of the article, visible "Stichwörter:" lists; only when there are none, the
        ``news_keywords`` / ``keywords`` meta (often SEO lists: too many, too long or the same
        on every page of the site are dropped)."""
        found: list[str] = []
        found += jsonld_keywords(self.ld)
        found += meta_all(self.root, "article:tag")
        for a in self.root.iter("a"):
            rel = (a.get("rel") or "").lower().split()
            # rel="category tag" is WordPress's category: the section, not a Stichwort.
            if "tag" in rel and "category" not in rel and self._in_article(a):
                found.append(text_of(a) or "")
        for marker in self._tag_markers():
            found += _marker_tags(marker)
        tags = unique_tags(found)
        if tags:
            return tags
        for key in ("news_keywords", "keywords"):
            value = self._meta(key)
            if self.memory is not None and self.memory.keywords.site_wide(value):
                continue
            tags = meta_keywords(value, self.site_names)
            if tags:
                return tags
        return []

    def _in_article(self, el: Element) -> bool:
        """Inside the main content, or at least not in the site's navigation and sidebars."""
        return is_within(el, self.scope) or not inside(el, ("nav", "aside", "footer", "header"))

    def _tag_markers(self) -> list[Element]:
        """Elements that open with a visible "Stichwörter:" / "Schlagwörter:" / "Tags:"."""
        if self._markers is None:
            self._markers = [
                el
                for el in self._labelled()
                if isinstance(el.tag, str)
                and el.text
                and TAGS_LABEL.match(el.text)
                and len(el.text.strip()) < 400
                and el.tag not in CHROME
                and not inside(el, ("nav", "aside"))
                # A bare heading ("Themen") heads a list of topics anywhere on a page (a
                # sidebar widget): only in the article's own content is it its Stichwörter.
                # A label with its colon ("Stichwörter: …") is one wherever it stands.
                and (":" in el.text or (self.scope is not self.root and is_within(el, self.scope)))
            ]
        return self._markers

    def _author(self) -> str | None:
        """JSON-LD ``author`` (a name, a Person, a list, an ``@id`` reference), the author
        meta, a byline near the headline ("Von …", "By …"), microdata or ``rel=author``. Never
        a URL, never the site's own name (an Organization as author is no author)."""
        names = [
            n
            for n in jsonld_names(
                jsonld_by_id(self.objects, self.ld.get("author") if self.ld else None)
            )
            if not self._is_site_name(n)
        ]
        if names:
            return ", ".join(names)
        meta = author_name(self._meta(*META_AUTHOR))
        if meta and not self._is_site_name(meta):
            return meta
        if self.headline is not None:
            for el in self._near_headline_blocks():
                match = BYLINE.match(text_of(el) or "")
                if match:
                    return clean_text(match.group("name"))
        for el in self.scope.iter():
            if not isinstance(el.tag, str):
                continue
            if (el.get("itemprop") == "author") or (
                el.tag == "a" and "author" in (el.get("rel") or "").split()
            ):
                holder = el.find(".//*[@itemprop='name']")
                name = author_name(
                    el.get("content") or text_of(holder if holder is not None else el)
                )
                if name and not self._is_site_name(name):
                    return name
        return None

    def _is_site_name(self, name: str) -> bool:
        return fold(name) in {fold(n) for n in self.site_names}

    # -- section, image, language --------------------------------------------------------

    def _section(self, title: str | None) -> str | None:
        """JSON-LD ``articleSection``, ``article:section``, the breadcrumb's entry above the
        article (JSON-LD ``BreadcrumbList``, else a breadcrumb trail's last link), a WordPress
        category link."""
        section = (
            jsonld_text(self.page_ld, "articleSection")
            or self._meta("article:section")
            or breadcrumb_section(jsonld_breadcrumb(self.objects), title)
            or self._breadcrumb_trail(title)
            or self._category()
        )
        return clean_text(section)

    def _breadcrumb_trail(self, title: str | None) -> str | None:
        for el in self.root.iter("nav", "ol", "ul", "div"):
            label = (
                f"{el.get('aria-label') or ''} {el.get('class') or ''} {el.get('itemtype') or ''}"
            )
            if not BREADCRUMB.search(label):
                continue
            links = [text_of(a) or "" for a in el.iter("a")]
            links = [t for t in links if t]
            return breadcrumb_section([*links, title or ""], title) if links else None
        return None

    def _image(self) -> str | None:
        for obj in (self.ld, self.page_ld):
            images = jsonld_images(obj.get("image") or obj.get("thumbnailUrl")) if obj else []
            if images:
                return images[0]
        return self._meta(*META_IMAGE)

    def _language(self) -> str | None:
        """JSON-LD ``inLanguage``, ``<html lang>``, the content-language / ``og:locale`` meta:
        the lower-case primary subtag."""
        html = self.root if self.root.tag == "html" else self.root.find(".//html")
        for value in (
            jsonld_language(self.page_ld),
            html.get("lang") or html.get("{http://www.w3.org/XML/1998/namespace}lang")
            if html is not None
            else None,
            self._meta(*META_LANGUAGE),
        ):
            code = primary_language(value)
            if code:
                return code
        return None

    def _category(self) -> str | None:
        """A WordPress-style category link (``rel="category tag"``) in the article."""
        for a in self.scope.iter("a"):
            if "category" in (a.get("rel") or "").lower().split():
                return text_of(a)
        return None


def _marker_line(marker: Element) -> Element:
    """The line a "Stichwörter:" label opens: the label itself, or the block around an
    inline label (``<p><strong>Tags:</strong> …</p>``)."""
    block = marker
    while block.tag in ("span", "strong", "b", "em", "dt", "label"):
        parent = block.getparent()
        if parent is None or parent.tag in ("body", "article", "main"):
            break
        block = parent
    return block


def marker_block(marker: Element) -> list[Element]:
    """The elements that show the tags of a marker: its line, and the element after a bare
    label (``<h3>Schlagwörter</h3><ul>…``)."""
    line = _marker_line(marker)
    if TAGS_LABEL.sub("", text_of(line) or "", count=1):
        return [line]
    follower = line.getnext()
    return [line] if follower is None else [line, follower]


def _marker_tags(marker: Element) -> list[str]:
    """The tags a "Stichwörter:" marker shows: in the same line, or as the links or list
    items of the element that follows a bare label."""
    blocks = marker_block(marker)
    holder = blocks[-1]
    items = [text_of(a) or "" for a in holder.iterdescendants("a", "li") if text_of(a)]
    if items:
        return items
    rest = TAGS_LABEL.sub("", text_of(holder) or "", count=1)
    return split_tags(rest)
