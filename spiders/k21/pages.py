"""K21 page objects: what an article page and a listing page mean (tested without a crawler).

Extraction goes by what a reader sees — the ``[27.11.2017]`` date opening the teaser,
``Stichwörter:``, ``(Bildquelle: …)``, ``Weitere Meldungen und Beiträge aus dem Bereich: …`` —
then semantic HTML and metadata, never by class names alone. Where a signal is missing the item
says so in ``warnings``.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property
from typing import Any, Self
from urllib.parse import parse_qs, urljoin, urlsplit

from kn_crawl.crawling.origin import OriginPolicy
from kn_crawl.dates import (
    date_from_url,
    first_published,
    is_banner_date,
    parse_date,
    split_leading_date,
)
from kn_crawl.extract.dom import (
    BLOCK_TAGS,
    Element,
    decode_page,
    has_block_children,
    inside,
    is_within,
    lead_text_of,
    nearest_block,
    paragraphs_of,
    parse_html,
    text_of,
)
from kn_crawl.extract.metadata import (
    jsonld_article,
    jsonld_keywords,
    jsonld_text,
    link_href,
    meta_all,
    meta_content,
)
from kn_crawl.extract.teasers import LEADING_BRACKET_DATE, TYPE_LABEL, teaser_entries
from kn_crawl.items import ArticleItem, Listing, ListingEntry
from kn_crawl.tags import split_tags
from kn_crawl.text import clean_text, parse_credit
from spiders.k21.urls import UrlKind, classify_url, is_article_url, legacy_id

TAGS_MARKER = re.compile(
    r"^\s*(Stichw(?:ö|oe)rter|Stichworte|Schlagw(?:ö|oe)rter|Schlagworte)\s*:?"
)
SECTION_MARKER = re.compile(r"aus dem Bereich\s*:?\s*(.*)$", re.IGNORECASE)
RELATED_MARKER = re.compile(r"Weitere Meldungen", re.IGNORECASE)
CREDIT_START = re.compile(r"^\s*\(?\s*(Bildquelle|Foto|Bild|Quelle)\s*:", re.IGNORECASE)
TITLE_SUFFIX = re.compile(r"\s+[-–|]\s+[^-–|]*(?:online|\.de)\b.*$", re.IGNORECASE)
BODY_TAGS = frozenset({"p", "h2", "h3", "h4", "li", "blockquote", "div"})
SKIP_ANCESTORS = frozenset({"figure", "aside", "nav", "footer", "form", "script", "style"})


def _root_of(html: str | bytes, content_type: str | None = None) -> Element:
    if isinstance(html, bytes):
        html = decode_page(html, content_type)  # Scrapy's rules, as in a crawl
    return parse_html(html)


def absolute_url(page_url: str, href: str | None) -> str | None:
    """``href`` as written on the page at ``page_url``, made absolute (None: no link)."""
    if not href or not (href := href.strip()):
        return None
    return href if href.startswith(("http://", "https://")) else urljoin(page_url, href)


class _Page:
    def __init__(self, url: str, root: Element, *, source: str, base_url: str) -> None:
        self.url = url
        self.root = root
        self.source = source
        self.base_url = base_url

    @classmethod
    def from_html(
        cls,
        url: str,
        html: str | bytes,
        *,
        source: str,
        base_url: str,
        content_type: str | None = None,
    ) -> Self:
        return cls(url, _root_of(html, content_type), source=source, base_url=base_url)

    def is_article(self, url: str) -> bool:
        return is_article_url(url, self.base_url)

    def abs(self, href: str | None) -> str | None:
        return absolute_url(self.url, href)


class K21ArticlePage(_Page):
    """An article page. ``to_item()`` gives the article, ``related()`` the related teasers."""

    def to_item(self, *, now: datetime | None = None) -> ArticleItem:
        root = self.root
        ld = jsonld_article(root)
        warnings: list[str] = []
        h1 = self.headline
        item = ArticleItem(source=self.source, url=self._canonical(), fetched_url=self.url)
        declared = self._declared_canonical()
        if declared is not None and not self.origin_policy.allows(declared):
            item.offsite_canonical = declared

        title = text_of(h1)
        kicker, type_label = self._kicker_and_label(h1)
        if h1 is not None and title:
            split = _kicker_inside(h1, title)
            if split:
                kicker, title = split
        if not title:
            title = clean_text(
                meta_content(root, "og:title") or jsonld_text(ld, "headline") or self._title_tag()
            )
            if title:
                warnings.append("no <h1>: title from metadata")
        item.title, item.kicker, item.type_label = title, kicker, type_label

        following, markers = self.following, self.markers
        teaser_block, visible_date, teaser = self._teaser(following, markers)
        date_line = None
        if teaser_block is None:
            # The 2022 layout shows the date alone on a line under the headline.
            date_line, visible_date = self._date_line(following, markers)
        item.teaser = teaser or clean_text(
            meta_content(root, "og:description", "description") or jsonld_text(ld, "description")
        )
        item.published_at, item.date_signal = self._date(ld, visible_date, now=now)
        if teaser_block is not None and visible_date is None:
            warnings.append("bracketed date present but invalid")
        if item.published_at is None:
            warnings.append("no date in JSON-LD, meta, <time>, teaser or URL")

        not_body = self._image(item, following, markers)
        if date_line is not None:
            not_body.add(date_line)
        item.body = self._body(following, teaser_block, markers, not_body)
        item.tags = self._tags(markers, ld)
        if not item.tags:
            warnings.append("no Stichwörter")
        item.section = self._section(markers, ld)
        item.site_article_id = self._site_id()
        item.warnings = warnings
        return item

    def related(self, *, now: datetime | None = None) -> list[ListingEntry]:
        """The teasers under "Weitere Meldungen und Beiträge aus dem Bereich: …"."""
        marker = self.markers.get("related")
        if marker is None:
            return []
        # The smallest ancestor of the marker that holds article links is the related block.
        scope = marker
        while scope is not None and not any(
            self.is_article(urljoin(self.url, a.get("href") or "")) for a in scope.iter("a")
        ):
            scope = scope.getparent()
        if scope is None:
            return []
        own = {self.url, self._canonical()}
        return teaser_entries(
            scope, base_url=self.url, is_article=self.is_article, exclude=own, now=now
        )

    # -- pieces ------------------------------------------------------------------------

    @cached_property
    def headline(self) -> Element | None:
        """The article's ``<h1>`` (inside ``<article>`` or ``<main>`` when there is one)."""
        for path in (".//article//h1", ".//main//h1", ".//h1"):
            for h1 in self.root.iterfind(path):
                if text_of(h1):
                    return h1
        return None

    def _declared_canonical(self) -> str | None:
        """The canonical URL the page declares (rel=canonical, else og:url), if http(s)."""
        href = link_href(self.root, "canonical") or meta_content(self.root, "og:url")
        url = self.abs(href)
        return url if url and url.startswith(("http://", "https://")) else None

    @cached_property
    def origin_policy(self) -> OriginPolicy:
        """The source's origins as the spider has them by default (its base URL's)."""
        return OriginPolicy.for_base_url(self.base_url)

    def _canonical(self) -> str:
        """The URL the article is keyed by: the declared canonical URL when it is on the
        source's origins, else the fetched URL — a page must not re-key itself onto another
        site, or onto an article of another source."""
        url = self._declared_canonical()
        return url if url is not None and self.origin_policy.allows(url) else self.url

    def _title_tag(self) -> str | None:
        title = text_of(self.root.find(".//title"))
        return TITLE_SUFFIX.sub("", title) if title else None

    def _kicker_and_label(self, h1: Element | None) -> tuple[str | None, str | None]:
        """Kicker (Dachzeile) and type label: short elements right before the headline."""
        if h1 is None:
            return None, None
        kicker = label = None
        anchor = h1
        # A wrapper holding only the headline: look before the wrapper instead.
        while anchor.getprevious() is None and anchor.getparent() is not None:
            parent = anchor.getparent()
            if parent is None or parent.tag in ("article", "main", "body") or len(parent) > 1:
                break
            anchor = parent
        node = anchor.getprevious()
        for _ in range(2):
            if node is None or not isinstance(node.tag, str):
                break
            text = text_of(node)
            if not text or len(text) > 80 or node.tag in ("nav", "script", "style", "img"):
                break
            if is_banner_date(text) or LEADING_BRACKET_DATE.match(text) or parse_date(text):
                break
            if TYPE_LABEL.match(text) and label is None:
                label = text
            elif kicker is None and not TYPE_LABEL.match(text):
                kicker = text
            else:
                break
            node = node.getprevious()
        return kicker, label

    @cached_property
    def following(self) -> list[Element]:
        """Every element after the headline, in document order (the reading order)."""
        h1 = self.headline
        return h1.xpath("following::*") if h1 is not None else list(self.root.iter())

    @cached_property
    def markers(self) -> dict[str, Element]:
        """The visible landmarks after the headline: the Stichwörter line, the section line,
        the related block."""
        found: dict[str, Element] = {}
        for el in self.following:
            if not isinstance(el.tag, str):
                continue
            text = el.text
            if not text or not text.strip():
                continue
            if "tags" not in found and TAGS_MARKER.match(text):
                found["tags"] = el
            elif "related" not in found and RELATED_MARKER.search(text):
                found["related"] = el
                section = SECTION_MARKER.search(text_of(nearest_block(el)) or "")
                if section:
                    found["section"] = el
                break
        return found

    def _stop(self, markers: dict[str, Element]) -> set[Element]:
        return {m for k, m in markers.items() if k in ("tags", "related")}

    def _teaser(
        self, following: list[Element], markers: dict[str, Element]
    ) -> tuple[Element | None, datetime | None, str | None]:
        stops = self._stop(markers)
        for el in following:
            if el in stops:
                break
            if not isinstance(el.tag, str) or el.tag in ("script", "style"):
                continue
            if el.text and LEADING_BRACKET_DATE.match(el.text):
                block = nearest_block(el)
                date, teaser = split_leading_date(lead_text_of(block))
                return block, date, teaser
        return None, None, None

    def _date_line(
        self, following: list[Element], markers: dict[str, Element]
    ) -> tuple[Element | None, datetime | None]:
        """A short line right under the headline that is only a date (``02.06.2023``)."""
        stops = self._stop(markers)
        blocks = 0
        for el in following:
            if el in stops or blocks >= 4:
                break
            if not isinstance(el.tag, str) or (el.tag not in BLOCK_TAGS and el.tag != "span"):
                continue
            if has_block_children(el):
                continue
            blocks += 1
            text = text_of(el)
            if text and len(text) <= 40 and not is_banner_date(text):
                value = parse_date(text)
                if value is not None:
                    return el, value
        return None, None

    def _date(
        self, ld: dict[str, Any] | None, visible: datetime | None, *, now: datetime | None
    ) -> tuple[datetime | None, str | None]:
        candidates = (
            ("jsonld", lambda: parse_date(jsonld_text(ld, "datePublished"), now=now)),
            (
                "meta",
                lambda: parse_date(
                    meta_content(self.root, "article:published_time", "datePublished"), now=now
                ),
            ),
            ("time", self._time_element),
            ("visible", lambda: visible),
            ("url", lambda: date_from_url(self.url)),
        )
        return first_published(candidates, now=now)

    def _time_element(self) -> datetime | None:
        h1 = self.headline
        scope = h1.getparent() if h1 is not None else None
        while scope is not None and scope.tag not in ("article", "main", "body"):
            scope = scope.getparent()
        if scope is None:
            return None
        for el in scope.iter("time"):
            if inside(el, ("aside", "nav", "footer")):
                continue
            value = parse_date(el.get("datetime") or text_of(el))
            if value:
                return value
            break
        return None

    def _image(
        self, item: ArticleItem, following: list[Element], markers: dict[str, Element]
    ) -> set[Element]:
        """Fill image URL, caption and credit; return the caption/credit elements, which are
        not body text."""
        stops = self._stop(markers)
        used: set[Element] = set()
        for el in following:
            if el in stops:
                break
            if el.tag == "figure":
                img = next(el.iter("img"), None)
                caption_el = el.find(".//figcaption")
                caption, credit = parse_credit(text_of(caption_el))
                if credit is None:
                    credit_el = self._credit_after(el, following, stops)
                    credit = parse_credit(text_of(credit_el))[1]
                    if credit_el is not None:
                        used.add(credit_el)
            elif el.tag == "img" and not inside(el, SKIP_ANCESTORS):
                img = el
                # A bare image: its caption and credit are the short blocks beside it.
                box = el.getparent() if el.getparent() is not None else el
                credit_el = self._credit_after(el, following, stops)
                caption_el = next(
                    (
                        c
                        for c in box.iter()
                        if c is not el
                        and c is not box
                        and c is not credit_el
                        and isinstance(c.tag, str)
                        and c.tag not in ("img", "a", "br")
                        and not has_block_children(c)
                        and text_of(c)
                    ),
                    None,
                )
                caption, credit = parse_credit(text_of(caption_el))
                if credit_el is not None:
                    credit = parse_credit(text_of(credit_el))[1]
                used.update(e for e in (credit_el,) if e is not None)
            else:
                continue
            if caption_el is not None:
                used.add(caption_el)
            if img is not None:
                item.image_url = self.abs(img.get("src") or img.get("data-src"))
            item.image_caption, item.image_credit = caption, credit
            break
        if item.image_url is None:
            item.image_url = self.abs(meta_content(self.root, "og:image"))
        return used

    def _credit_after(
        self, start: Element, following: list[Element], stops: set[Element]
    ) -> Element | None:
        """The ``(Bildquelle: …)`` block after an image, if it comes within a few blocks."""
        started = False
        blocks = 0
        for el in following:
            if el is start:
                started = True
                continue
            if not started:
                continue
            if el in stops or blocks > 4:
                break
            if el.text and CREDIT_START.match(el.text):
                return el
            if isinstance(el.tag, str) and el.tag in BLOCK_TAGS:
                blocks += 1
        return None

    def _body(
        self,
        following: list[Element],
        teaser_block: Element | None,
        markers: dict[str, Element],
        not_body: set[Element],
    ) -> str | None:
        stops = self._stop(markers)
        started = teaser_block is None
        taken: list[Element] = []
        paragraphs: list[str] = []
        for el in following:
            if el in stops:
                break
            if el is teaser_block:
                started = True
                continue
            if not started or el.tag not in BODY_TAGS:
                continue
            if teaser_block is not None and is_within(el, teaser_block):
                continue
            if inside(el, SKIP_ANCESTORS) or any(is_within(el, t) for t in taken[-3:]):
                continue
            if el in not_body:
                continue
            if el.tag == "div" and (has_block_children(el) or not _has_own_text(el)):
                continue
            texts = paragraphs_of(el) if el.find(".//br") is not None else [text_of(el)]
            texts = [t for t in texts if t and not CREDIT_START.match(t)]
            if texts:
                taken.append(el)
                paragraphs.extend(texts)
        return "\n\n".join(paragraphs) or None

    def _tags(self, markers: dict[str, Element], ld: dict[str, Any] | None) -> list[str]:
        marker = markers.get("tags")
        if marker is not None:
            tags = split_tags(text_of(marker))
            if not tags:
                # The label stands alone (``<span>Stichwörter:</span><ul>…</ul>``).
                tags = split_tags(text_of(marker.getparent()))
            if tags:
                return tags
        return (
            jsonld_keywords(ld)
            or meta_all(self.root, "article:tag")
            or split_tags(meta_content(self.root, "keywords"))
        )

    def _section(self, markers: dict[str, Element], ld: dict[str, Any] | None) -> str | None:
        marker = markers.get("section")
        if marker is not None:
            match = SECTION_MARKER.search(text_of(nearest_block(marker)) or "")
            if match and match.group(1).strip():
                return clean_text(match.group(1))
        return clean_text(
            jsonld_text(ld, "articleSection") or meta_content(self.root, "article:section")
        )

    def _site_id(self) -> str | None:
        shortlink = link_href(self.root, "shortlink")
        if shortlink:
            post = parse_qs(urlsplit(shortlink).query).get("p")
            if post and post[0].isdigit():
                return f"p:{post[0]}"
        number = legacy_id(self.url)
        return f"meldung:{number}" if number else None


def _kicker_inside(h1: Element, title: str) -> tuple[str, str] | None:
    """``<h1><span>Dortmund</span> Chief Information Office …</h1>``: kicker inside h1."""
    for child in h1:
        if not isinstance(child.tag, str):
            continue
        first = text_of(child)
        if first and first != title and title.startswith(first) and len(first) <= 80:
            rest = clean_text(title[len(first) :].lstrip(" :–-"))
            if rest:
                return first, rest
        return None
    return None


def _has_own_text(el: Element) -> bool:
    if el.text and el.text.strip():
        return True
    return any(c.tail and c.tail.strip() for c in el)


class K21ListingPage(_Page):
    """An archive, section or home page: its teasers and the link to the next page."""

    def to_listing(self, *, now: datetime | None = None) -> Listing:
        scope = self.root.find(".//main")
        if scope is None:
            scope = self.root.find(".//body")
        if scope is None:
            scope = self.root
        entries = teaser_entries(
            scope,
            base_url=self.url,
            is_article=self.is_article,
            now=now,
            # Sidebars and menus ("Meistgelesen") repeat articles without their teasers.
            skip_inside=("aside", "nav", "header", "footer"),
        )
        return Listing(
            url=self.url, entries=entries, next_url=self._next_url(), section=self._section()
        )

    def section_urls(self) -> list[str]:
        """Topic pages linked from anywhere on the page (navigation included)."""
        urls = []
        for a in self.root.iter("a"):
            href = a.get("href")
            if href is None or href.startswith("#"):  # "#primary": this page
                continue
            url = self.abs(href)
            if url and classify_url(url, self.base_url) == UrlKind.SECTION:
                urls.append(url.partition("#")[0])
        return list(dict.fromkeys(urls))

    def _next_url(self) -> str | None:
        href = link_href(self.root, "next")
        if href:
            return self.abs(href)
        for a in self.root.iter("a"):
            text = (text_of(a) or "").lower()
            if text in {"weiter", "weiter »", "»", "›", "nächste seite", "nächste", "next"}:
                return self.abs(a.get("href"))
        current = re.search(r"/page/(\d+)/?$", urlsplit(self.url).path)
        wanted = f"/page/{int(current.group(1)) + 1 if current else 2}/"
        for a in self.root.iter("a"):
            url = self.abs(a.get("href"))
            if url and urlsplit(url).path.endswith(wanted):
                return url
        return None

    def _section(self) -> str | None:
        if classify_url(self.url, self.base_url) != UrlKind.SECTION:
            return None
        h1 = self.root.find(".//main//h1")
        return text_of(h1 if h1 is not None else self.root.find(".//h1"))


def looks_like_article(root: Element) -> bool:
    """For pages of unknown URL (``kn-crawl parse`` without --url)."""
    og_type = meta_content(root, "og:type")
    if og_type == "website":
        return False
    if jsonld_article(root) is not None or og_type == "article":
        return True
    # No metadata: an article shows a dated teaser under its headline and its Stichwörter.
    page = K21ArticlePage("http://unknown/", root, source="", base_url="http://unknown/")
    if page.headline is None or "tags" not in page.markers:
        return False
    return page._teaser(page.following, page.markers)[0] is not None
