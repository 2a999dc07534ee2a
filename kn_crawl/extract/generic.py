"""The generic article extractor: metadata first, then what a reader sees.

A pure function of a page's URL and parsed tree (:func:`extract_article`), for every source
without a page object of its own. Signals, in order: JSON-LD (``NewsArticle``, ``Article``
…), OpenGraph and ``article:*`` meta, ``<time datetime>``, a visible date under the
headline, the URL's date. The title is the ``<h1>`` of the article (else ``og:title``, the
JSON-LD headline, ``<title>``) without the site's name. The body is the paragraphs of the
main content: the ``<article>`` (or ``<main>``, or the element holding the most paragraph
text) without navigation, asides, footers, forms, figures and the headline's own header.
Per-field :class:`~kn_crawl.catalog.model.Selectors` of the catalogue entry override all
this (:mod:`kn_crawl.extract.selectors`). Issue 11 builds this extractor's quality; this is
the simple version the catalogue's sources start with.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from kn_crawl.catalog.model import Selectors
from kn_crawl.crawling.origin import OriginPolicy
from kn_crawl.dates import date_from_url, find_date, first_published, is_banner_date, parse_date
from kn_crawl.extract.body import BODY_BLOCKS, CHROME, body_text, main_content
from kn_crawl.extract.dom import Element, has_block_children, inside, is_within, text_of
from kn_crawl.extract.metadata import (
    jsonld_article,
    jsonld_keywords,
    jsonld_text,
    link_href,
    meta_all,
    meta_content,
)
from kn_crawl.extract.selectors import match_selectors
from kn_crawl.items import ArticleItem
from kn_crawl.tags import clean_tag, split_tags, tag_key
from kn_crawl.text import clean_text, strip_more

# A line that states the article's date or author is at most this long.
META_LINE = 120
BYLINE = re.compile(
    r"^\s*(?:Von|By|Autor(?:in)?\s*:|Text\s*:)\s+(?P<name>[^\d,|•·–(]+?)"
    r"\s*(?:[,|•·–(]|\s(?:am|vom|on)\s|\d|$)",
)
# Class words of a lead paragraph (Bootstrap's "lead", GSB's "abstract", "intro", "teaser").
LEAD_CLASS = re.compile(r"(?:^|\s|[-_])(?:lead|intro|abstract|teaser|kurztext)(?:\s|$)")
TEASER_HEADINGS = ("h2", "h3", "h4")
TAGS_LABEL = re.compile(
    r"^\s*(?:Stichw(?:ö|oe)rter|Stichworte|Schlagw(?:ö|oe)rter|Schlagworte|Tags|Themen)\s*:?\s*",
    re.IGNORECASE,
)
# "Titel | Site", "Titel - Site", "Titel – Site", "Titel :: Site", "Titel · Site".
TITLE_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|::|·|•)\s+")
DATE_LABEL = re.compile(
    r"^\s*(?:Datum|Erscheinungsdatum|Veröffentlicht|Ver(?:ö|oe)ffentlichungsdatum|Stand|vom)"
    r"\b\s*(?:am|:)?",
    re.IGNORECASE,
)


def extract_article(
    url: str,
    root: Element,
    *,
    source: str,
    base_url: str,
    selectors: Selectors | None = None,
    now: datetime | None = None,
) -> ArticleItem:
    """The article on the page at ``url`` (``root``: its parsed tree), selectors applied.
    What the selectors match is not body text, and a title selector's element stands for
    the headline (the body starts after it)."""
    matched = match_selectors(root, selectors) if selectors else None
    page = _GenericPage(
        url,
        root,
        base_url,
        headline=matched.headline if matched else None,
        not_body=matched.elements if matched else (),
    )
    item = page.to_item(source, now=now)
    if matched is not None:
        matched.apply(item, now=now)
    if item.title is None:
        item.warnings.append("no title in <h1>, og:title, JSON-LD or <title>")
    if item.published_at is None:
        item.warnings.append("no date in JSON-LD, meta, <time>, the page or the URL")
    if not item.tags:
        item.warnings.append("no Stichwörter")
    return item


def document_base(url: str, root: Element) -> str:
    """What relative links on the page resolve against: ``<base href>`` (Government Site
    Builder pages write ``SharedDocs/…`` under ``<base href="https://…/">``), else ``url``."""
    for base in root.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            return urljoin(url, href)
    return url


def looks_like_article(root: Element) -> bool:
    """For a saved page without its URL: does it show one article? A JSON-LD article object,
    ``og:type`` article, or a headline with at least three paragraphs of text under it."""
    if jsonld_article(root) is not None:
        return True
    # Teasers: several <article>s, each headed by a linked heading, make a listing.
    teasers = [
        a
        for a in root.iter("article")
        if any(h.find(".//a") is not None for h in a.iter(*TEASER_HEADINGS))
    ]
    if len(teasers) >= 2:
        return False
    if (meta_content(root, "og:type") or "").lower() == "article":
        return True
    has_h1 = any(text_of(h) and not inside(h, CHROME) for h in root.iter("h1"))
    paragraphs = [len(text_of(p) or "") for p in main_content(root).iter("p")]
    return has_h1 and len([n for n in paragraphs if n >= 40]) >= 2 and sum(paragraphs) >= 250


def clean_title(title: str | None, site_names: list[str]) -> str | None:
    """A ``<title>`` or ``og:title`` without the site's name: ``"X | Site"``, ``"Site - X"``,
    ``"X - Rubrik - Site"``. Parts equal to a known site name go, at either end; then short
    trailing parts (one or two words without sentence punctuation: a section, a site's
    short name) go — a longer one may be the rest of a title that holds a dash."""
    title = clean_text(title)
    if not title:
        return None
    parts = TITLE_SEPARATOR.split(title)
    names = {tag_key(n) for n in site_names if n}
    if len(parts) > 1 and tag_key(parts[0]) in names:
        # "Site - Rubrik - Title" (Government Site Builder): the site first, then sections.
        while len(parts) > 1 and (tag_key(parts[0]) in names or _short_label(parts[0])):
            parts.pop(0)
    while len(parts) > 1 and (tag_key(parts[-1]) in names or _short_label(parts[-1])):
        parts.pop()
    return clean_text(_join_parts(title, parts))


def _short_label(part: str) -> bool:
    return len(part.split()) <= 2 and not any(c in part for c in "?!.:")


def _join_parts(title: str, parts: list[str]) -> str:
    """The span of ``title`` from its first kept part to its last (separators as written)."""
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end] if 0 <= start < end else " ".join(parts)


# A kicker line is short (K21's longest: ~60 characters) and set in an inline or paragraph element.
KICKER_TAGS = frozenset({"span", "p", "div", "strong", "small", "em"})
MAX_KICKER = 80


class _GenericPage:
    def __init__(
        self,
        url: str,
        root: Element,
        base_url: str,
        *,
        headline: Element | None = None,
        not_body: Collection[Element] = (),
    ) -> None:
        self.url = url
        self.link_base = document_base(url, root)
        self.root = root
        self.base_url = base_url
        self.policy = OriginPolicy.for_base_url(base_url)
        self.ld = jsonld_article(root)
        self.scope = main_content(root)
        self.given_headline = headline is not None
        self.headline = headline if headline is not None else self._headline()
        self.not_body = set(not_body)
        self._markers: list[Element] | None = None
        self._meta: list[Element] | None = None

    def to_item(self, source: str, *, now: datetime | None) -> ArticleItem:
        root, ld = self.root, self.ld
        warnings: list[str] = []
        declared = self._declared_canonical()
        item = ArticleItem(source=source, url=self.url, fetched_url=self.url)
        if declared is not None:
            if self.policy.allows(declared):
                item.url = declared
            else:
                item.offsite_canonical = declared
        item.title = None if self.given_headline else self._title()
        item.kicker = None if self.given_headline else self._kicker()
        item.teaser = strip_more(
            meta_content(root, "og:description", "description", "twitter:description")
            or jsonld_text(ld, "description")
        )
        item.published_at, item.date_signal = self._date(now=now)
        lead = self._lead()
        if lead is not None and item.teaser is None:
            # No teaser in the metadata: the page's lead paragraph is the teaser.
            item.teaser = text_of(lead)
        if lead is not None and text_of(lead) == item.teaser:
            self.not_body.add(lead)
        item.body = self._body(item.teaser)
        item.tags = self._tags()
        item.section = clean_text(
            jsonld_text(ld, "articleSection")
            or meta_content(root, "article:section")
            or self._category()
        )
        item.author = self._author()
        image = jsonld_text(ld, "image") or meta_content(root, "og:image")
        item.image_url = _absolute(self.link_base, image)
        item.warnings = warnings
        return item

    # -- title -------------------------------------------------------------------------

    def _headline(self) -> Element | None:
        for scope in (self.scope, *self.root.iter("article", "main"), self.root):
            for h1 in scope.iter("h1"):
                if text_of(h1) and not inside(h1, CHROME):
                    return h1
        return None

    def _kicker(self) -> str | None:
        """The Dachzeile: a short line right above the headline in its own element (``<span>``
        or ``<p>`` before the ``<h1>``, as news sites set it), holding no link (category links
        above a headline are navigation) and no date."""
        if self.headline is None:
            return None
        before = self.headline.getprevious()
        while before is not None and not isinstance(before.tag, str):
            before = before.getprevious()  # comments
        if before is None or before.tag not in KICKER_TAGS:
            return None
        text = text_of(before)
        if not text or len(text) > MAX_KICKER or text.endswith((".", ":")) or "\n" in text:
            return None
        if (
            _is_date_line(text)
            or before.find(".//a") is not None
            or before.find(".//time") is not None
        ):
            return None
        return text

    def _site_names(self) -> list[str]:
        names = [meta_content(self.root, "og:site_name", "application-name") or ""]
        publisher = self.ld.get("publisher") if self.ld else None
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            names.append(publisher["name"])
        return names

    def _title(self) -> str | None:
        if self.headline is not None:
            return text_of(self.headline)
        names = self._site_names()
        for candidate in (
            meta_content(self.root, "og:title", "twitter:title"),
            jsonld_text(self.ld, "headline"),
            text_of(self.root.find(".//title")),
        ):
            title = clean_title(candidate, names)
            if title:
                return title
        return None

    # -- date --------------------------------------------------------------------------

    def _date(self, *, now: datetime | None) -> tuple[datetime | None, str | None]:
        root = self.root
        candidates = (
            ("jsonld", lambda: parse_date(jsonld_text(self.ld, "datePublished"), now=now)),
            (
                "meta",
                lambda: parse_date(
                    meta_content(
                        root,
                        "article:published_time",
                        "og:published_time",
                        "datePublished",
                        "dc.date.issued",
                        "dcterms.issued",
                        "dc.date",
                        "date",
                    ),
                    now=now,
                ),
            ),
            ("time", self._time_element),
            ("visible", lambda: self._visible_date(now=now)),
            ("url", lambda: date_from_url(self.url)),
        )
        return first_published(candidates, now=now)

    def _time_element(self) -> datetime | None:
        for el in self.scope.iter("time"):
            if inside(el, ("aside", "nav")) or self._in_other_teaser(el):
                continue
            value = parse_date(el.get("datetime") or text_of(el))
            if value is not None:
                return value
        return None

    def _in_other_teaser(self, el: Element) -> bool:
        """Inside a nested ``<article>`` (a teaser of another article) of the scope."""
        return any(a is not self.scope and a.tag == "article" for a in el.iterancestors())

    def _visible_date(self, *, now: datetime | None) -> datetime | None:
        """A date near the headline: in the headline's header, or in the first few short
        blocks after it (``Pressemitteilung vom 3. Februar 2025``, ``Datum: 03.02.2025``)."""
        if self.headline is None:
            return None
        blocks = 0
        for el in self._near_headline():
            if not isinstance(el.tag, str) or el.tag in CHROME or el is self.headline:
                continue
            if has_block_children(el):
                continue
            text = text_of(el)
            if not text:
                continue
            blocks += 1
            if blocks > 6:
                break
            if len(text) > 120 or is_banner_date(text):
                continue
            value = parse_date(DATE_LABEL.sub("", text), now=now) or find_date(text, now=now)
            if value is not None:
                return value
        return None

    def _near_headline(self) -> Iterator[Element]:
        h1 = self.headline
        assert h1 is not None
        parent = h1.getparent()
        # The header around the headline first (a date line above it), then what follows.
        if parent is not None and parent.tag in ("header", "hgroup", "div"):
            yield from (el for el in parent.iter() if el is not h1 and not is_within(el, h1))
        yield from h1.itersiblings()
        yield from h1.xpath("following::*")

    # -- body --------------------------------------------------------------------------

    def _body(self, teaser: str | None) -> str | None:
        return body_text(self.scope, skip=self._not_body(), teaser=teaser, after=self.headline)

    def _not_body(self) -> set[Element]:
        skip = set(self.not_body)
        if self.headline is not None:
            skip.add(self.headline)
        for marker in self._tag_markers():
            skip.update(_marker_block(marker))
        skip.update(self._meta_lines())
        return skip

    def _meta_lines(self) -> list[Element]:
        """Short lines that state the date or the author (``<p><time>…</time></p>``, ``Von
        Anna Beispiel, 3. Februar 2025``): what the page says about the article, not text."""
        if self._meta is None:
            self._meta = self._find_meta_lines()
        return self._meta

    def _find_meta_lines(self) -> list[Element]:
        lines = []
        for el in self.scope.iter("time"):
            if self._in_other_teaser(el):
                continue
            block = _block_of(el)
            if len(text_of(block) or "") <= META_LINE:
                lines.append(block)
        if self.headline is not None:
            for el in self._near_headline_blocks():
                text = text_of(el) or ""
                if len(text) <= META_LINE and (BYLINE.match(text) or _is_date_line(text)):
                    lines.append(el)
        return lines

    def _near_headline_blocks(self) -> Iterator[Element]:
        """The first few leaf blocks around and after the headline."""
        blocks = 0
        for el in self._near_headline():
            if not isinstance(el.tag, str) or el.tag in CHROME or el is self.headline:
                continue
            if has_block_children(el) or not text_of(el):
                continue
            blocks += 1
            if blocks > 6:
                return
            yield el

    def _lead(self) -> Element | None:
        """The lead paragraph: the first paragraph after the headline when it is set apart
        — all bold, or marked as the lead, intro or abstract."""
        if self.headline is None:
            return None
        meta_lines = set(self._meta_lines())
        for el in self._near_headline_blocks():
            if el in meta_lines or el.tag not in ("p", "div") or not is_within(el, self.scope):
                continue
            text = text_of(el) or ""
            bold = "".join(text_of(b) or "" for b in el.iter("strong", "b"))
            if bold and len(bold.replace(" ", "")) >= len(text.replace(" ", "")):
                return el
            classes = " ".join(
                (n.get("class") or "") for n in (el, el.getparent()) if n is not None
            ).lower()
            return el if LEAD_CLASS.search(classes) else None
        return None

    def _category(self) -> str | None:
        """A WordPress-style category link (``rel="category tag"``) in the article."""
        for a in self.scope.iter("a"):
            if "category" in (a.get("rel") or "").lower().split():
                return text_of(a)
        return None

    # -- tags, author --------------------------------------------------------------------

    def _tags(self) -> list[str]:
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
        return _unique_tags(found)

    def _in_article(self, el: Element) -> bool:
        """Inside the main content, or at least not in the site's navigation and sidebars."""
        return is_within(el, self.scope) or not inside(el, ("nav", "aside", "footer", "header"))

    def _tag_markers(self) -> list[Element]:
        """Elements that open with a visible "Stichwörter:" / "Schlagwörter:" / "Tags:"."""
        if self._markers is None:
            self._markers = [
                el
                for el in self.root.iter()
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
        names = _jsonld_names(self.ld.get("author") if self.ld else None)
        if names:
            return ", ".join(names)
        meta = meta_content(self.root, "author", "article:author", "dc.creator")
        if meta and not meta.startswith(("http://", "https://")):
            return clean_text(meta)
        for el in self._near_headline_blocks() if self.headline is not None else ():
            match = BYLINE.match(text_of(el) or "")
            if match:
                return clean_text(match.group("name"))
        for el in self.scope.iter():
            if not isinstance(el.tag, str):
                continue
            if (el.get("itemprop") == "author") or (
                el.tag == "a" and "author" in (el.get("rel") or "").split()
            ):
                name = text_of(el)
                if name:
                    return name
        return None

    def _declared_canonical(self) -> str | None:
        href = link_href(self.root, "canonical") or meta_content(self.root, "og:url")
        url = _absolute(self.link_base, href)
        return url if url and url.startswith(("http://", "https://")) else None


def _block_of(el: Element) -> Element:
    """The leaf block around an inline element (``<p><time>…</time></p>``)."""
    node = el
    while node.tag not in BODY_BLOCKS and node.tag != "div":
        parent = node.getparent()
        if parent is None:
            break
        node = parent
    return node


def _is_date_line(text: str) -> bool:
    """A line that is a date and little else: ``Datum: 03.02.2025``, ``22.01.2025``."""
    rest = DATE_LABEL.sub("", text)
    return parse_date(rest) is not None or (len(text) <= 40 and find_date(text) is not None)


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


def _marker_block(marker: Element) -> list[Element]:
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
    blocks = _marker_block(marker)
    holder = blocks[-1]
    items = [text_of(a) or "" for a in holder.iterdescendants("a", "li") if text_of(a)]
    if items:
        return items
    rest = TAGS_LABEL.sub("", text_of(holder) or "", count=1)
    return split_tags(rest)


def _unique_tags(values: list[str]) -> list[str]:
    seen: set[str] = set()
    tags: list[str] = []
    for value in values:
        tag = clean_tag(value)
        if tag is None or tag_key(tag) in seen:
            continue
        seen.add(tag_key(tag))
        tags.append(tag)
    return tags


def _jsonld_names(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = []
    for v in values:
        name = v.get("name") if isinstance(v, dict) else v
        if isinstance(name, str) and (cleaned := clean_text(name)):
            names.append(cleaned)
    return list(dict.fromkeys(names))


def _absolute(page_url: str, href: str | None) -> str | None:
    if not href or not (href := href.strip()):
        return None
    return urljoin(page_url, href)
