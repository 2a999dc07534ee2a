"""TYPO3 sites with the news extension (``georgringer/news``, "tx_news"): IT-Planungsrat,
FITKO and many state and city sites.

What the extension renders, and what this family reads (its public Fluid templates,
``Resources/Private/Templates/News/{List,Detail}.html`` and ``Partials/List/Item.html``):

- the list view: one teaser per news record (``itemscope itemtype="…/Article"``) with the
  headline link (``itemprop="headline"``), the teaser (``itemprop="description"``), the date
  (``<time itemprop="datePublished" datetime="Y-m-d">``, the visible date in the site's
  format), the first category and the tags (``itemprop="keywords"``); paged by the
  ``tx_news_pi1[currentPage]`` query parameter (``rel="next"`` on the next-page link), or
  ``…/page-N`` where the site routes it so;
- the detail view: the headline (``itemprop="headline"``), the same date, categories, tags and
  author line, the teaser (``itemprop="description"``), the media, the body
  (``itemprop="articleBody"``) and the related news.

Sites override the templates, older ones render no microdata at all: metadata (JSON-LD,
``og:``, ``article:*``) and the visible German date are the fallbacks. Detail URLs are
``…/details/<slug>`` or ``…/detail/<slug>`` (speaking URLs) or carry
``tx_news_pi1[news]=<uid>``; the news record's uid, where the page shows it, is the article's
site id, so one record under two slugs is one article. Feeds (``?type=9818``) need nothing of
their own: :meth:`Family.read_feed` reads them.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urljoin, urlsplit

from kn_crawl.crawling.origin import OriginPolicy
from kn_crawl.dates import BERLIN, date_from_url, find_date, is_future_date, parse_date
from kn_crawl.extract.dom import Element, inside, is_within, text_of
from kn_crawl.extract.metadata import (
    jsonld_article,
    jsonld_keywords,
    jsonld_text,
    link_href,
    meta_all,
    meta_content,
)
from kn_crawl.extract.patterns import article_pattern
from kn_crawl.extract.teasers import teaser_entries
from kn_crawl.items import ArticleItem, Listing, ListingEntry
from kn_crawl.tags import split_tags
from kn_crawl.text import clean_text, parse_credit, strip_more
from spiders.family import Family, ListingPage, PageKind, register

# --- URLs ---------------------------------------------------------------------------------

# Speaking detail URLs of the extension's routing: a "detail" segment, then the news slug.
DETAIL_PATH = re.compile(
    r"/(?:details?|detailansicht|news-?details?)/[^/]+?(?:\.html?)?/?$", re.IGNORECASE
)
# The list plugin's page parameter: ``tx_news_pi1[currentPage]`` (news 8+) or the old paginate
# widget's ``tx_news_pi1[@widget_0][currentPage]``.
PAGE_PARAM = re.compile(r"^tx_news_pi1\[(?:@widget_\d+\]\[)?currentPage\]$")
NEWS_PARAM = "tx_news_pi1[news]"
# A routed list page: ``/aktuelles/page-2`` (the extension's documented route enhancer).
ROUTED_PAGE = re.compile(r"/(?:page|seite)-(\d+)/?$", re.IGNORECASE)
# Parameters that do not change what a list page is: TYPO3's cache hash, plugin routing.
IGNORED_PARAMS = frozenset(
    {"cHash", "tx_news_pi1[controller]", "tx_news_pi1[action]", "no_cache", "L"}
)


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def news_uid(url: str | None) -> str | None:
    """The news record's uid in a plugin link (``?tx_news_pi1[news]=123``), else None."""
    if not url:
        return None
    for key, value in _query(url):
        if key == NEWS_PARAM and value.isdigit():
            return value
    return None


def page_number(url: str) -> int:
    """The list page a URL shows: its ``currentPage`` parameter or ``…/page-N``; 1 without."""
    for key, value in _query(url):
        if PAGE_PARAM.match(key) and value.isdigit():
            return int(value)
    routed = ROUTED_PAGE.search(urlsplit(url).path)
    return int(routed.group(1)) if routed else 1


def list_key(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A list page's identity without its page number: path and the remaining query."""
    parts = urlsplit(url)
    path = ROUTED_PAGE.sub("/", parts.path).rstrip("/") or "/"
    params = tuple(
        sorted(
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not PAGE_PARAM.match(k) and k not in IGNORED_PARAMS
        )
    )
    return path, params


def is_detail_url(url: str, pattern: str | None = None) -> bool:
    """A news detail URL: the catalogue's pattern when the entry gives one (searched in path
    and query), else the extension's shapes (speaking ``…/details/<slug>`` or the plugin's
    ``tx_news_pi1[news]`` parameter)."""
    parts = urlsplit(url)
    if pattern is not None:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return article_pattern(pattern).search(target)  # regex, with a time limit
    return news_uid(url) is not None or DETAIL_PATH.search(parts.path) is not None


def _absolute(page_url: str, href: str | None) -> str | None:
    if not href or not (href := href.strip()) or href.startswith(("#", "mailto:", "javascript:")):
        return None
    return urljoin(page_url, href).partition("#")[0]


# --- microdata ----------------------------------------------------------------------------


def _itemprop(scope: Element, name: str) -> Element | None:
    """The first element of ``scope`` (itself not included) with ``itemprop`` ``name``."""
    for el in scope.iter():
        if el is not scope and name in (el.get("itemprop") or "").split():
            return el
    return None


def _is_article_scope(el: Element) -> bool:
    return el.get("itemscope") is not None and "Article" in (el.get("itemtype") or "")


def _time_value(el: Element | None, *, now: datetime | None) -> tuple[datetime | None, bool]:
    """The date of a ``<time>`` / ``<meta itemprop>``: (value, whether it has a time of
    day). The extension renders ``datetime`` as ``Y-m-d``, a day without time."""
    if el is None:
        return None, False
    raw = el.get("datetime") or el.get("content") or text_of(el)
    value = parse_date(raw, now=now)
    return value, bool(raw and ("T" in raw or ":" in raw))


def _tag_list(el: Element | None) -> list[str]:
    """The tags of a tag list: one per child element (``<a>``, ``<span>``, ``<li>``) as the
    site templates render them, else the text split at line breaks (the default template
    writes one per line) and commas (the common override)."""
    if el is None:
        return []
    items = [
        t
        for child in el.iter("a", "span", "li")
        if child is not el and len(child) == 0 and (t := text_of(child))
    ]
    if items:
        return list(dict.fromkeys(t for tag in items for t in split_tags(tag)))
    # The default template's ``{tag.title}`` loop puts each tag on a line of its own.
    return split_tags("".join(el.itertext()))


BODY_TAGS = ("p", "h2", "h3", "h4", "h5", "li", "blockquote")
BLOCK_LIKE = frozenset({"p", "div", "ul", "ol", "li", "section", "article", "table", "dl"})
TAGS_LINE = re.compile(
    r"^\s*(?:Schlagw(?:ö|oe)rter|Stichw(?:ö|oe)rter|Schlagworte|Stichworte|Tags)\s*:", re.I
)
AUTHOR_LINE = re.compile(r"^\s*(?:Autor(?:in)?|Verfasst von|Text)\s*:\s*(.{2,80})$", re.I)
BACKLINK = re.compile(r"^\s*(?:«\s*)?zurück\b", re.I)
BYLINE = re.compile(r"^\s*von\s+([^|]{2,80}?)\s*\|")
AUTHOR_LABEL = re.compile(r"^\s*(?:von|autor(?:in)?|verfasst von|geschrieben von)\s*:?\s*", re.I)


# --- page objects -------------------------------------------------------------------------


class _Page:
    def __init__(
        self, url: str, root: Element, *, source: str, base_url: str, pattern: str | None = None
    ) -> None:
        self.url = url
        self.root = root
        self.source = source
        self.base_url = base_url
        self.pattern = pattern

    def abs(self, href: str | None) -> str | None:
        return _absolute(self.url, href)

    def is_article(self, url: str) -> bool:
        return self._policy.allows(url) and is_detail_url(url, self.pattern)

    @cached_property
    def _policy(self) -> OriginPolicy:
        """The source's origins as the spider has them by default (its base URL's)."""
        return OriginPolicy.for_base_url(self.base_url)

    @cached_property
    def main(self) -> Element:
        for path in (".//main", ".//body"):
            found = self.root.find(path)
            if found is not None:
                return found
        return self.root


class Typo3DetailPage(_Page):
    """The extension's detail view. ``to_item()`` gives the article."""

    def to_item(self, *, now: datetime | None = None) -> ArticleItem:
        root = self.root
        ld = jsonld_article(root)
        warnings: list[str] = []
        item = ArticleItem(source=self.source, url=self._canonical(), fetched_url=self.url)
        declared = self._declared_canonical()
        if declared is not None and not self._policy.allows(declared):
            item.offsite_canonical = declared

        item.title = text_of(self.headline)
        if not item.title:
            item.title = clean_text(
                meta_content(root, "og:title") or jsonld_text(ld, "headline") or self._title_tag()
            )
            if item.title:
                warnings.append("no headline: title from metadata")
        item.teaser = _teaser_text(self.lead_el) or clean_text(
            meta_content(root, "og:description", "description") or jsonld_text(ld, "description")
        )
        item.published_at, item.date_signal = self._date(ld, now=now)
        if item.published_at is None:
            warnings.append("no date in <time>, JSON-LD, meta, the visible date or the URL")
        item.body = self._body()
        item.tags = self._tags(ld)
        if not item.tags:
            warnings.append("no tags")
        categories = _tag_list(self._category_el)
        item.section = (
            categories[0]
            if categories
            else clean_text(
                jsonld_text(ld, "articleSection") or meta_content(root, "article:section")
            )
        )
        item.author = self._author(ld)
        self._image(item)
        item.site_article_id = self._site_id(ld)
        item.warnings = warnings
        return item

    # -- where things are ----------------------------------------------------------------

    @cached_property
    def scope(self) -> Element:
        """The news record: the ``itemscope`` Article around the headline, else the
        ``<article>``/``<main>`` holding an ``<h1>``, else the page."""
        for el in self.main.iter():
            if _is_article_scope(el) and _itemprop(el, "headline") is not None:
                return el
        for path in (".//article", ".//main"):
            for el in self.root.iterfind(path):
                if el.find(".//h1") is not None:
                    return el
        return self.main

    @cached_property
    def headline(self) -> Element | None:
        found = _itemprop(self.scope, "headline")
        if found is not None and text_of(found):
            return found
        for h1 in self.scope.iter("h1"):
            if text_of(h1):
                return h1
        return None

    @cached_property
    def related(self) -> list[Element]:
        """Blocks about other news (related news, prev/next pager): never this article's."""
        blocks = []
        for el in self.scope.iter():
            classes = (el.get("class") or "").split()
            if "news-related-wrap" in classes or "pager" in classes:
                blocks.append(el)
        return blocks

    def _outside_related(self, el: Element) -> bool:
        return not any(is_within(el, block) for block in self.related)

    def _prop(self, name: str) -> Element | None:
        for el in self.scope.iter():
            if name in (el.get("itemprop") or "").split() and self._outside_related(el):
                return el
        return None

    def _classed(self, name: str) -> Element | None:
        """An element with the extension's own class ``name`` (its templates' names, the
        fallback for sites whose overrides dropped the microdata)."""
        for el in self.scope.iter():
            if name in (el.get("class") or "").split() and self._outside_related(el):
                return el
        return None

    @cached_property
    def teaser_el(self) -> Element | None:
        found = self._prop("description")
        return found if found is not None else self._classed("teaser-text")

    @cached_property
    def body_el(self) -> Element | None:
        found = self._prop("articleBody")
        return found if found is not None else self._classed("news-text-wrap")

    @cached_property
    def _category_el(self) -> Element | None:
        return self._classed("news-list-category")

    # -- fields --------------------------------------------------------------------------

    def _declared_canonical(self) -> str | None:
        url = self.abs(link_href(self.root, "canonical") or meta_content(self.root, "og:url"))
        return url if url and url.startswith(("http://", "https://")) else None

    def _canonical(self) -> str:
        """The declared canonical URL when it is on the source's origins, else the fetched
        URL (a page must not re-key itself onto another site)."""
        url = self._declared_canonical()
        return url if url is not None and self._policy.allows(url) else self.url

    def _title_tag(self) -> str | None:
        title = text_of(self.root.find(".//title"))
        return re.sub(r"\s+[-–|:]\s+[^-–|:]+$", "", title) if title else None

    def _date(
        self, ld: dict[str, Any] | None, *, now: datetime | None
    ) -> tuple[datetime | None, str | None]:
        """The ``datePublished`` the view renders, then metadata, the visible date, the URL.
        The view's ``datetime`` is a day: metadata naming a time on that same day makes it
        precise."""
        shown_el = self._prop("datePublished")
        if shown_el is None:
            shown_el = next((t for t in self.scope.iter("time") if self._outside_related(t)), None)
        shown, shown_timed = _time_value(shown_el, now=now)
        meta = parse_date(
            meta_content(self.root, "article:published_time", "datePublished"), now=now
        )
        candidates: list[tuple[str, datetime | None]] = [
            ("time", shown),
            ("jsonld", parse_date(jsonld_text(ld, "datePublished"), now=now)),
            ("meta", meta),
            ("visible", self._visible_date(now=now)),
            ("url", date_from_url(self.url)),
        ]
        future: tuple[datetime, str] | None = None
        for signal, value in candidates:
            if value is None:
                continue
            if now is not None and is_future_date(value, now=now):
                future = future or (value, signal)
                continue
            if signal == "time" and not shown_timed:
                for precise_signal, precise in candidates[1:3]:
                    if precise is not None and _same_day(precise, value):
                        return precise, precise_signal
            return value, signal
        return future or (None, None)

    def _visible_date(self, *, now: datetime | None) -> datetime | None:
        """A German date as the reader sees it near the headline (``14.03.2025``,
        ``14. März 2025``): the extension's date line, else the first date in the text
        before the body."""
        line = self._classed("news-list-date")
        if line is not None:
            return find_date(text_of(line), now=now)
        start = self.headline
        if start is None:
            return None
        for el in start.xpath("following::*")[:12]:
            if self.body_el is not None and is_within(el, self.body_el):
                break
            if el.tag in ("p", "span", "div", "time") and len(text_of(el) or "") <= 80:
                found = find_date(text_of(el), now=now)
                if found is not None:
                    return found
        return None

    def _body(self) -> str | None:
        scope = self.body_el
        if scope is None:
            return self._loose_body()
        paragraphs: list[str] = []
        taken: list[Element] = []
        for el in scope.iter(*BODY_TAGS):
            if any(is_within(el, t) for t in taken[-3:]) or inside(el, ("figure", "script")):
                continue
            text = text_of(el)
            if text:
                taken.append(el)
                paragraphs.append(text)
        if not paragraphs:  # bodytext without paragraphs (an RTE left plain text)
            text = text_of(scope)
            return text or None
        return "\n\n".join(paragraphs)

    def _loose_body(self) -> str | None:
        """A template without a bodytext wrapper (the older site templates): the blocks after
        the headline in the record, less the lead, the date line, the author and tag lines,
        the back link and the related news."""
        start = self.headline
        if start is None:
            return None
        skip = {el for el in (self.lead_el, self._label_line(TAGS_LINE)) if el is not None}
        skip |= {el for el in (self._label_line(AUTHOR_LINE),) if el is not None}
        paragraphs: list[str] = []
        taken: list[Element] = []
        for el in start.xpath("following::*"):
            if not is_within(el, self.scope) or el.tag not in BODY_TAGS:
                continue
            if el in skip or any(is_within(el, t) for t in taken[-3:]):
                continue
            if not self._outside_related(el) or inside(el, ("figure", "nav", "aside", "form")):
                continue
            if next(el.iter("time"), None) is not None:
                continue  # the date line
            text = text_of(el)
            if not text or BACKLINK.match(text):
                continue
            taken.append(el)
            paragraphs.append(text)
        return "\n\n".join(paragraphs) or None

    @cached_property
    def lead_el(self) -> Element | None:
        """The record's teaser: its own element, else (older templates) a paragraph right
        after the headline that is bold as a whole — a lead as the reader sees it."""
        if self.teaser_el is not None:
            return self.teaser_el
        start = self.headline
        if start is None:
            return None
        for el in start.xpath("following::p")[:3]:
            if not is_within(el, self.scope) or next(el.iter("time"), None) is not None:
                continue
            strong = [c for c in el if c.tag in ("strong", "b")]
            whole = text_of(el)
            lead = len(strong) == 1 and whole and whole == text_of(strong[0])
            if lead and not (el.text or "").strip():
                return el
            return None
        return None

    def _label_line(self, label: re.Pattern[str]) -> Element | None:
        """A short block of the record opening with ``label`` (``Schlagwörter:``,
        ``Autor:``), outside the body and the related news."""
        for el in self.scope.iter("p", "div", "span", "li", "dd"):
            if len(el) > 0 and all(c.tag in BLOCK_LIKE for c in el):
                continue
            text = el.text or ""
            if not label.match(text) and not label.match(text_of(el) or ""):
                continue
            if self._outside_related(el) and (
                self.body_el is None or not is_within(el, self.body_el)
            ):
                return el
        return None

    def _tags(self, ld: dict[str, Any] | None) -> list[str]:
        shown = self._prop("keywords")
        line = self._label_line(TAGS_LINE)
        return (
            _tag_list(shown if shown is not None else self._classed("news-list-tags"))
            or split_tags(text_of(line))
            or jsonld_keywords(ld)
            or meta_all(self.root, "article:tag")
            or split_tags(meta_content(self.root, "keywords"))
        )

    def _author(self, ld: dict[str, Any] | None) -> str | None:
        el = self._prop("author")
        if el is None:
            el = self._classed("news-list-author")
        if el is not None:
            name = _itemprop(el, "name")
            text = text_of(name if name is not None else el)
            if text:
                return clean_text(AUTHOR_LABEL.sub("", text))
        byline = self._byline()
        if byline:
            return byline
        line = AUTHOR_LINE.match(text_of(self._label_line(AUTHOR_LINE)) or "")
        if line:
            return clean_text(line.group(1))
        return clean_text(jsonld_text(ld, "author") or meta_content(self.root, "author"))

    def _byline(self) -> str | None:
        """``von Dr. Annette Schmidt | 20.03.2025``: the author as the date line shows it
        (templates that write the translated "von %s" without markup of its own)."""
        shown = self._prop("datePublished")
        if shown is None or shown.getparent() is None:
            return None
        line = text_of(shown.getparent()) or ""
        match = BYLINE.match(line)
        return clean_text(match.group(1)) if match else None

    def _image(self, item: ArticleItem) -> None:
        for figure in self.scope.iter("figure"):
            if not self._outside_related(figure):
                continue
            img = next(figure.iter("img"), None)
            if img is None:
                continue
            item.image_url = self.abs(img.get("src") or img.get("data-src"))
            caption = text_of(figure.find(".//figcaption"))
            item.image_caption, item.image_credit = parse_credit(caption)
            if item.image_caption is None and item.image_credit is None:
                item.image_caption = clean_text(img.get("alt"))
            return
        item.image_url = self.abs(meta_content(self.root, "og:image"))

    def _site_id(self, ld: dict[str, Any] | None) -> str | None:
        """``news:<uid>`` where the page names its record: its own URL or canonical URL,
        the alternates in the head (language versions link the same record), JSON-LD's URL,
        or a ``data-news-uid``-style attribute on the record. Links in the body or the
        related news name other records and are not read."""
        urls = [self.url, self._declared_canonical(), jsonld_text(ld, "url")]
        urls += [
            self.abs(link.get("href"))
            for link in self.root.iter("link")
            if (link.get("rel") or "").lower() in ("alternate", "canonical", "shortlink")
        ]
        for url in urls:
            uid = news_uid(url)
            if uid:
                return f"news:{uid}"
        # The record's wrapper (``<div class="news news-single">``) is outside its itemscope.
        for el in [*self.scope.iter(), *self.scope.iterancestors()]:
            for name in ("data-news-uid", "data-news-id", "data-news"):
                value = (el.get(name) or "").strip()
                if value.isdigit():
                    return f"news:{value}"
        return None


def _teaser_text(el: Element | None) -> str | None:
    """A teaser's text: its paragraphs when it has them (the "more" link beside them in
    the list view is not teaser), else its text; a trailing "mehr" cut either way."""
    if el is None:
        return None
    paragraphs = [t for p in el.iter("p") if (t := text_of(p))]
    return strip_more(" ".join(paragraphs) if paragraphs else text_of(el))


def _with_class(scope: Element, name: str) -> Element | None:
    """The first element in ``scope`` with the extension's class ``name``."""
    for el in scope.iter():
        if name in (el.get("class") or "").split():
            return el
    return None


def _same_day(precise: datetime, day: datetime) -> bool:
    return precise.astimezone(BERLIN).date() == day.astimezone(BERLIN).date()


class Typo3ListPage(_Page):
    """The extension's list view: its teasers and the next list page."""

    def to_listing(self, *, now: datetime | None = None) -> Listing:
        return Listing(url=self.url, entries=self.entries(now=now), next_url=self.next_url())

    def entries(self, *, now: datetime | None = None) -> list[ListingEntry]:
        records = [el for el in self.main.iter() if _is_article_scope(el)]
        if not records:
            # Older templates: no microdata, but the extension's own list markup.
            records = [
                el
                for view in self.main.iter()
                if "news-list-view" in (view.get("class") or "").split()
                for el in view.iter()
                if "article" in (el.get("class") or "").split()
            ]
        records = [el for el in records if not inside(el, ("aside", "nav", "header", "footer"))]
        entries: list[ListingEntry] = []
        seen: set[str] = set()
        for record in records:
            entry = self._entry(record, now=now)
            if entry is not None and entry.url not in seen:
                seen.add(entry.url)
                entries.append(entry)
        if entries:
            return entries
        # A template without microdata: the teasers as a reader finds them.
        return teaser_entries(
            self.main,
            base_url=self.url,
            is_article=self.is_article,
            now=now,
            skip_inside=("aside", "nav", "header", "footer"),
        )

    def _entry(self, record: Element, *, now: datetime | None) -> ListingEntry | None:
        headline = _itemprop(record, "headline")
        link = None
        if headline is not None:
            link = next(headline.iterancestors("a"), None)
            if link is None:
                link = next(headline.iter("a"), None)
        links = [link] if link is not None else list(record.iter("a"))
        url = next(
            (u for a in links if (u := self.abs(a.get("href"))) and self.is_article(u)), None
        )
        if url is None:
            return None
        heading = next((h for h in record.iter("h1", "h2", "h3", "h4") if text_of(h)), None)
        title = (
            text_of(headline) or text_of(heading) or max((text_of(a) or "" for a in links), key=len)
        )
        description = _itemprop(record, "description")
        if description is None:  # an override without microdata on the teaser
            description = _with_class(record, "teaser-text")
        shown, _ = _time_value(_itemprop(record, "datePublished"), now=now)
        if shown is None:
            time_el = next(record.iter("time"), None)
            date_line = _with_class(record, "news-list-date")
            shown = (
                _time_value(time_el, now=now)[0]
                or find_date(text_of(date_line), now=now)
                or find_date(text_of(record), now=now)
            )
        author_line = _with_class(record, "news-list-author")
        author = clean_text(AUTHOR_LABEL.sub("", text_of(author_line) or ""))
        image = next(record.iter("img"), None)
        return ListingEntry(
            url=url,
            title=title,
            teaser=_teaser_text(description),
            published_at=shown,
            image_alt=clean_text(image.get("alt")) if image is not None else None,
            tags=_tag_list(_itemprop(record, "keywords")),
            author=author,
        )

    def next_url(self) -> str | None:
        """``rel="next"`` (the pagination partial's next link, or a ``<link>`` in the head),
        else a pagination link to the page after this one."""
        href = link_href(self.root, "next")
        if href:
            return self.abs(href)
        wanted = page_number(self.url) + 1
        here = list_key(self.url)
        for a in self.main.iter("a"):
            url = self.abs(a.get("href"))
            if url and page_number(url) == wanted and list_key(url) == here:
                return url
        return None


def looks_like_detail(root: Element) -> bool:
    """For a saved page without its URL: the detail view shows one record with a body (the
    list view shows several records and no body)."""
    og_type = meta_content(root, "og:type")
    if og_type == "website":
        return False
    if jsonld_article(root) is not None or og_type == "article":
        return True
    page = Typo3DetailPage("http://unknown/", root, source="", base_url="http://unknown/")
    return page.body_el is not None and page.headline is not None


# --- the family ---------------------------------------------------------------------------


@register
class Typo3Family(Family):
    name: ClassVar[str] = "typo3"
    title: ClassVar[str] = "TYPO3 with the news extension (tx_news): list and detail views"

    def take_notes(self) -> list[tuple[str, str]]:
        pattern = self.source.article_pattern
        return article_pattern(pattern).take_notes() if pattern else []

    def classify(self, url: str) -> PageKind | None:
        if not self._policy.allows(url) or not urlsplit(url).path.startswith(
            urlsplit(self.base_url).path
        ):
            return None
        if url in self.source.feed_urls:
            return PageKind.FEED
        if is_detail_url(url, self.source.article_pattern):
            return PageKind.ARTICLE
        if list_key(url) in self._list_keys:
            return PageKind.LISTING
        return None

    def read_article(self, url: str, root: Element, *, now: datetime | None) -> ArticleItem:
        return self.detail_page(url, root).to_item(now=now)

    def read_listing(self, url: str, root: Element, *, with_sections: bool) -> ListingPage:
        page = Typo3ListPage(
            url,
            root,
            source=self.source.name,
            base_url=self.base_url,
            pattern=self.source.article_pattern,
        )
        return ListingPage(listing=page.to_listing(), section_urls=[])

    def looks_like_article(self, root: Element) -> bool:
        return looks_like_detail(root)

    def detail_page(self, url: str, root: Element) -> Typo3DetailPage:
        return Typo3DetailPage(
            url,
            root,
            source=self.source.name,
            base_url=self.base_url,
            pattern=self.source.article_pattern,
        )

    @cached_property
    def _policy(self) -> OriginPolicy:
        return OriginPolicy.for_base_url(self.base_url)

    @cached_property
    def _list_keys(self) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
        return {list_key(url) for url in self.source.listing_urls}
