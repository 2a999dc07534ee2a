"""The generic article extractor: metadata first, then what a reader sees.

A pure function of a page's URL and parsed tree (:func:`extract_article`), for every source
without a page object of its own. Each field is read from layered signals, the most
deliberate first:

* the publication date (``date_signal`` names the layer): JSON-LD (``NewsArticle``,
  ``Article``, ``BlogPosting`` …, in ``@graph``, arrays or a WebPage's ``mainEntity``; a
  WebPage's own ``datePublished`` last), microdata ``itemprop=datePublished``, the common
  ``<meta>`` dates (OpenGraph ``article:published_time``, Dublin Core, ``pubdate``,
  Parse.ly, Sailthru …), a ``<time>`` (or hAtom ``published``) of the article, the URL's
  date, a visible date near the headline (``Veröffentlicht am 3. Februar 2025``, a
  dateline). The first publication, not the last change: ``modified_at`` is read apart.
* the title: the ``<h1>`` when og:title, the JSON-LD headline or ``<title>`` confirm it,
  else the reference titles without the site's name (:mod:`kn_crawl.extract.titles`); a
  kicker kept apart.
* teaser, Stichwörter, section, author, image, language, canonical URL: metadata first,
  then what the page shows.

The body is the paragraphs of the main content (:mod:`kn_crawl.extract.body`). Per-field
:class:`~kn_crawl.catalog.model.Selectors` of the catalogue entry override all this
(:mod:`kn_crawl.extract.selectors`). In a crawl, a :class:`SiteMemory` of the source tells
site-wide ``<title>`` affixes, descriptions and keywords from the article's own.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from copy import deepcopy
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree

from kn_crawl.catalog.model import Selectors
from kn_crawl.crawling.origin import OriginPolicy
from kn_crawl.dates import (
    date_from_url,
    dateline_date,
    find_date,
    first_published,
    is_banner_date,
    is_future_date,
    is_plausible_published,
    parse_date,
    split_leading_date,
)
from kn_crawl.extract.body import BODY_BLOCKS, CHROME, body_text, main_content
from kn_crawl.extract.dom import Element, has_block_children, inside, is_within, text_of
from kn_crawl.extract.field_rules import (
    ANY_LABEL,
    BREADCRUMB,
    BYLINE,
    COMMENTS,
    COPYRIGHT,
    DATE_CLASSED,
    DATE_LABEL,
    GENERIC_DESCRIPTION,
    LAST_RESORT_BLOCKS,
    LEAD_CLASS,
    META_AUTHOR,
    META_IMAGE,
    META_LANGUAGE,
    META_LINE,
    META_MODIFIED,
    META_PUBLISHED,
    MODIFIED_LABEL,
    PUBLISHED_CLASS,
    PUBLISHED_LABEL,
    TAGS_LABEL,
    TEASER_HEADINGS,
    UPDATED_CLASS,
    author_name,
    breadcrumb_section,
    is_date_line,
    jsonld_names,
    meta_keywords,
    unique_tags,
)
from kn_crawl.extract.metadata import (
    article_object,
    jsonld_article,
    jsonld_breadcrumb,
    jsonld_by_id,
    jsonld_images,
    jsonld_keywords,
    jsonld_language,
    jsonld_objects,
    jsonld_text,
    link_href,
    meta_all,
    meta_content,
    meta_map,
    page_object,
    primary_language,
)
from kn_crawl.extract.selectors import match_selectors
from kn_crawl.extract.site_memory import SiteMemory
from kn_crawl.extract.titles import (
    MAX_KICKER,
    best_reference,
    clean_title,
    confirms,
    fold,
    is_label,
    split_reference_kicker,
    strip_glued_kicker,
)
from kn_crawl.items import ArticleItem
from kn_crawl.tags import split_tags
from kn_crawl.text import clean_text, strip_more

__all__ = ["clean_title", "document_base", "extract_article", "looks_like_article"]


def extract_article(
    url: str,
    root: Element,
    *,
    source: str,
    base_url: str,
    selectors: Selectors | None = None,
    now: datetime | None = None,
    memory: SiteMemory | None = None,
) -> ArticleItem:
    """The article on the page at ``url`` (``root``: its parsed tree), selectors applied.
    What the selectors match is not body text, and a title selector's element stands for
    the headline (the body starts after it). ``memory``: what the crawl learned from the
    source's other pages (updated with this page)."""
    with _gc_paused():
        matched = match_selectors(root, selectors) if selectors else None
        page = _GenericPage(
            url,
            root,
            base_url,
            headline=matched.headline if matched else None,
            not_body=matched.elements if matched else (),
            memory=memory,
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


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while one page is read. Reading holds a Python object for
    every element it measures (a 10 MB page: over half a million), and each full collection
    walks them all again: a third to a half of the time on such a page. What the extractor
    builds has no reference cycles to collect; the collector runs again afterwards."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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


# A kicker line is short (K21's longest: ~60 characters) and set in an inline or paragraph element.
KICKER_TAGS = frozenset({"span", "p", "div", "strong", "small", "em"})
# Where a headline never is. Not <form>: ASP.NET pages wrap the whole page in one.
NOT_HEADLINE = CHROME - {"form"}
# Inline children of an <h1> that may hold a Dachzeile set inside the headline.
INLINE_PARTS = frozenset({"span", "strong", "small", "em", "b", "i", "mark", "div", "p"})


class _GenericPage:
    def __init__(
        self,
        url: str,
        root: Element,
        base_url: str,
        *,
        headline: Element | None = None,
        not_body: Collection[Element] = (),
        memory: SiteMemory | None = None,
    ) -> None:
        self.url = url
        self.link_base = document_base(url, root)
        self.root = root
        self.base_url = base_url
        self.policy = OriginPolicy.for_base_url(base_url)
        self.memory = memory
        self.objects = jsonld_objects(root)
        self.ld = article_object(self.objects)
        # A WebPage object stands in for dates, section and language when there is no article.
        self.page_ld = self.ld or page_object(self.objects)
        self.metas = meta_map(root)
        self.scope = main_content(root)
        self.site_names = self._site_names()
        self.title_tag = text_of(root.find(".//title"))
        self.references = [
            self._meta("og:title", "twitter:title"),
            jsonld_text(self.ld, "headline") or jsonld_text(self.ld, "name"),
            self.title_tag,
        ]
        self.given_headline = headline is not None
        self.headline = headline if headline is not None else self._headline()
        self._headline_boxes = (
            set(self.headline.iterancestors()) if self.headline is not None else set()
        )
        self.not_body = set(not_body)
        self._markers: list[Element] | None = None
        self._itemprop_map: dict[str, list[Element]] | None = None
        self._label_elements: list[Element] | None = None
        self._meta_found: list[Element] | None = None
        self._near_blocks: list[Element] | None = None
        self._leaf_found: dict[int, list[Element]] = {}

    def _meta(self, *keys: str) -> str | None:
        for key in keys:
            if key in self.metas:
                return self.metas[key]
        return None

    def to_item(self, source: str, *, now: datetime | None) -> ArticleItem:
        warnings: list[str] = []
        declared = self._declared_canonical()
        item = ArticleItem(source=source, url=self.url, fetched_url=self.url)
        if declared is not None:
            if self.policy.allows(declared):
                item.url = declared
            else:
                item.offsite_canonical = declared
        if not self.given_headline:
            item.kicker, item.title = self._title_and_kicker()
        item.teaser = self._teaser(item.title)
        item.published_at, item.date_signal = self._date(now=now)
        item.modified_at = self._modified(item.published_at, now=now)
        lead = self._lead()
        if lead is not None and item.teaser is None:
            # No teaser in the metadata: the page's lead paragraph is the teaser.
            item.teaser = text_of(lead)
        # The lead stays in the body: it is the article's first paragraph as the page shows
        # it (readers, exports and the benchmarks' gold bodies count it as text); the teaser
        # holds it too, and the web UI does not show it twice.
        item.body = self._body()
        item.tags = self._tags()
        item.section = self._section(item.title)
        item.author = self._author()
        item.image_url = _absolute(self.link_base, self._image())
        item.language = self._language()
        item.warnings = warnings
        self._learn()
        return item

    def _learn(self) -> None:
        """Tell the source's memory what this page showed (after reading it: a page is
        never judged by its own values)."""
        if self.memory is None:
            return
        self.memory.titles.learn(self.title_tag)
        self.memory.descriptions.learn(self._meta("description", "og:description"), self.url)
        self.memory.keywords.learn(self._meta("keywords"), self.url)

    # -- title -------------------------------------------------------------------------

    def _headline(self) -> Element | None:
        """The headline element: the first ``<h1>`` of the article that a reference title
        confirms, else the first ``<h1>``; when that is a label (a logo, a section name), a
        heading that states a reference title exactly. An ``<h1>`` that links to the site's
        home is its logo, never the headline."""
        first: Element | None = None
        # The main content's <h1>s, then those of an <article> or <main>, then the rest: one
        # walk for the page's <h1>s (a page of 100,000 teaser <article>s is walked once, not
        # once per article).
        page_h1s = list(self.root.iter("h1"))
        in_box = [h for h in page_h1s if any(True for _ in h.iterancestors("article", "main"))]
        for candidates in (list(self.scope.iter("h1")), in_box, page_h1s):
            for h1 in candidates:
                text = text_of(h1)
                if not text or inside(h1, NOT_HEADLINE) or self._is_logo(h1):
                    continue
                if any(confirms(r, text) for r in self.references):
                    return h1
                first = first if first is not None else h1
        if first is None:
            # A site that sets its article in an <aside>: a confirmed headline there.
            for h1 in self.root.iter("h1"):
                if (
                    inside(h1, ("aside",))
                    and not inside(h1, ("nav", "footer", "form"))
                    and any(confirms(r, text_of(h1)) for r in self.references)
                ):
                    return h1
        text = text_of(first) or ""
        if first is None or is_label(text, self.references, self.site_names):
            wanted = {
                fold(clean_title(r, self.site_names, self._learned())) for r in self.references
            } - {""}
            for h in self.root.iter("h1", "h2"):
                if fold(text_of(h)) in wanted and not inside(h, NOT_HEADLINE):
                    return h
        if first is None and best_reference(self.references, self.site_names) is None:
            return self._subheading()
        return first

    def _subheading(self) -> Element | None:
        """Without an ``<h1>`` and usable metadata, the article's title set as ``<h2>`` (a blog
        whose ``<h1>`` is the site's logo): the main content's first one, else the last one
        above the main content inside its ``<main>`` or ``<article>`` (a title box over the
        text)."""
        for h in self.scope.iter("h2"):
            if text_of(h) and not inside(h, CHROME):
                return h
        box = next((a for a in self.scope.iterancestors("main", "article")), None)
        if box is None:
            return None
        above: Element | None = None
        for el in box.iter():
            if el is self.scope:
                return above
            if el.tag == "h2" and text_of(el) and not inside(el, CHROME):
                above = el
        return None

    def _without_home_links(self, h1: Element) -> Element:
        """The headline without a link to the site's home set inside it (a logo)."""
        homes = [a for a in h1.iter("a") if self._is_home(a)]
        if not homes:
            return h1
        copy = deepcopy(h1)
        for a in list(copy.iter("a")):
            if self._is_home(a) and (parent := a.getparent()) is not None:
                tail = a.tail
                parent.remove(a)
                if tail and tail.strip():
                    parent.text = (parent.text or "") + tail
        return copy

    def _is_home(self, link: Element) -> bool:
        href = urljoin(self.link_base, (link.get("href") or "").strip())
        path = urlsplit(href).path.rstrip("/")
        if path and path == urlsplit(self.url).path.rstrip("/"):
            return False  # the page itself (a headline linked to its own article)
        base_path = urlsplit(self.base_url).path.rstrip("/")
        home = path in ("", base_path) or "home" in (link.get("rel") or "").split()
        return home and urlsplit(href).netloc in ("", urlsplit(self.url).netloc)

    def _is_logo(self, heading: Element) -> bool:
        """A heading whose only content is a link to the site's home (``<h1><a href="/">Site
        </a></h1>``, often around the logo image)."""
        links = list(heading.iter("a"))
        if len(links) != 1 or fold(text_of(links[0])) != fold(text_of(heading)):
            return False
        return self._is_home(links[0])

    def _learned(self) -> frozenset[str]:
        return self.memory.titles.affixes() if self.memory is not None else frozenset()

    def _title_and_kicker(self) -> tuple[str | None, str | None]:
        """``(kicker, title)``."""
        names, learned = self.site_names, self._learned()
        if self.headline is not None:
            kicker, title = self._split_headline(self.headline)
            if title and not is_label(title, self.references, names):
                return kicker or self._kicker(title), title
        title = best_reference(self.references, names, learned)
        if title is None and self.headline is not None:
            # The <h1> is a label and the metadata is unusable: the article's <h2> title.
            title = text_of(self._subheading())
        return None, title

    def _split_headline(self, h1: Element) -> tuple[str | None, str | None]:
        """A Dachzeile set inside the headline, and the title: glued to a title that a
        reference states alone ("Kicker: Title" with a JSON-LD headline "Title"), or as the
        headline's first inline element (``<h1><span>Kicker</span><span>Title</span></h1>``,
        ``<h1><span class="category">Kicker</span>Title</h1>``)."""
        h1 = self._without_home_links(h1)
        text = text_of(h1)
        if not text:
            return None, None
        if h1.find(".//a") is not None and not any(confirms(r, text) for r in self.references):
            # A link set into the headline (the site's logo, an edition's front page) that
            # a reference title confirms without it.
            bare = _without_links(h1)
            bare_text = text_of(bare)
            if bare_text and any(confirms(r, bare_text) for r in self.references):
                h1, text = bare, bare_text
        kicker, title = strip_glued_kicker(text, self.references)
        if kicker is not None:
            return kicker, title
        parts = [c for c in h1 if isinstance(c.tag, str) and c.tag != "br"]
        if not parts or (h1.text or "").strip() or parts[0].tag not in INLINE_PARTS:
            return None, text
        first = text_of(parts[0])
        rest = clean_text(
            (parts[0].tail or "")
            + " "
            + " ".join((text_of(c) or "") + " " + (c.tail or "") for c in parts[1:])
        )
        rest = clean_text((rest or "").lstrip(" :|–—-"))
        if not first or not rest or len(first) > MAX_KICKER or len(first) >= len(rest):
            return None, text
        if len(rest.split()) < 2:
            return None, text
        # The site's own title naming kicker and title as one phrase: no kicker.
        if any(" ".join((r or "").split()) == f"{first} {rest}" for r in self.references):
            return None, text
        return first.rstrip(":").strip(), rest

    def _kicker(self, title: str) -> str | None:
        """The Dachzeile: a short line right above the headline in its own element (``<span>``
        or ``<p>`` before the ``<h1>``, as news sites set it), holding no link (category links
        above a headline are navigation) and no date; else the kicker of an og:title
        "Kicker: Title" when the page shows that kicker near the headline."""
        assert self.headline is not None
        before = self.headline.getprevious()
        while before is not None and not isinstance(before.tag, str):
            before = before.getprevious()  # comments
        if before is not None and before.tag in KICKER_TAGS:
            text = text_of(before)
            if (
                text
                and len(text) <= MAX_KICKER
                and not text.endswith((".", ":"))
                and "\n" not in text
                and not is_date_line(text)
                and before.find(".//a") is None
                and before.find(".//time") is None
            ):
                return text
        for reference in self.references[:2]:
            kicker = split_reference_kicker(reference, title)
            parent = self.headline.getparent()
            if kicker and parent is not None and fold(kicker) in fold(text_of(parent)):
                return kicker
        return None

    def _site_names(self) -> list[str]:
        names = [self._meta("og:site_name", "application-name") or ""]
        for obj in (self.ld, self.page_ld):
            publisher = jsonld_by_id(self.objects, obj.get("publisher")) if obj else None
            if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
                names.append(publisher["name"])
        for obj in self.objects:
            if "WebSite" in str(obj.get("@type")) and isinstance(obj.get("name"), str):
                names.append(obj["name"])
        # The text of a logo heading (or its image's alt text) is the site's name.
        for h in self.root.iter("h1"):
            if self._is_logo(h):
                names.append(text_of(h) or "")
                names += [img.get("alt") or "" for img in h.iter("img")]
        return [n for n in names if n]

    # -- teaser ------------------------------------------------------------------------

    def _teaser(self, title: str | None) -> str | None:
        """The description the page gives (og:description, description, twitter:description,
        JSON-LD), unless it is the site's and not the article's: the site's name, a generic
        phrase, the title again, or (as the crawl learned) the same on other pages. K21's
        visible ``[dd.mm.yyyy]`` prefix goes."""
        for value in (
            self._meta("og:description"),
            self._meta("description"),
            self._meta("twitter:description"),
            jsonld_text(self.ld, "description"),
        ):
            text = strip_more(value)
            if text and text.startswith("["):
                found, rest = split_leading_date(text)
                text = rest if found is not None else text
            if not text or self._site_wide_description(text, title):
                continue
            return text
        return None

    def _site_wide_description(self, text: str, title: str | None) -> bool:
        key = fold(text)
        if not key or key in {fold(n) for n in self.site_names} or key == fold(title):
            return True
        if GENERIC_DESCRIPTION.match(text):
            return True
        return self.memory is not None and self.memory.descriptions.site_wide(text)

    # -- date --------------------------------------------------------------------------

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
            block = _block_of(el)
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

    # -- body --------------------------------------------------------------------------

    def _body(self) -> str | None:
        return body_text(self.scope, skip=self._not_body(), after=self._body_start())

    def _body_start(self) -> Element | None:
        """Where the body starts: after the headline, or after the main content's first
        ``<h1>`` when that comes earlier (a theme that sets the confirmed title below the
        text's first heading must not cut the text before it); nowhere when the headline
        stands after the main content's start outside it."""
        h1 = self.headline
        if h1 is None or self.given_headline:
            return h1
        if is_within(h1, self.scope) or is_within(self.scope, h1):
            first = next(
                (h for h in self.scope.iter("h1") if text_of(h) and not inside(h, CHROME)), h1
            )
            return first
        for el in self.root.iter():
            if el is h1:
                return h1
            if el is self.scope:
                return None
        return h1

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
        if self._meta_found is None:
            self._meta_found = self._find_meta_lines()
        return self._meta_found

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
                if len(text) <= META_LINE and (BYLINE.match(text) or is_date_line(text)):
                    lines.append(el)
        return lines

    def _near_headline_blocks(self) -> list[Element]:
        """The first few leaf blocks around and after the headline (found once: the meta
        lines, the lead and the byline all look there)."""
        if self._near_blocks is None:
            self._near_blocks = list(self._find_near_headline_blocks())
        return self._near_blocks

    def _find_near_headline_blocks(self) -> Iterator[Element]:
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

    def _declared_canonical(self) -> str | None:
        href = link_href(self.root, "canonical") or meta_content(self.root, "og:url")
        url = _absolute(self.link_base, href)
        return url if url and url.startswith(("http://", "https://")) else None


def _following(el: Element) -> Iterator[Element]:
    """The elements after ``el`` in document order, lazily (XPath's ``following::*`` builds
    the whole list, while the callers stop after a few blocks)."""
    node: Element | None = el
    while node is not None:
        for sibling in node.itersiblings():
            yield sibling
            yield from sibling.iterdescendants()
        node = node.getparent()


def _without_links(el: Element) -> Element:
    """A copy of ``el`` without its links (their tails stay)."""
    copy = deepcopy(el)
    for a in list(copy.iter("a")):
        parent = a.getparent()
        if parent is None:
            continue
        tail = a.tail
        previous = a.getprevious()
        parent.remove(a)
        if tail and tail.strip():
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
    return copy


def _labelled_elements(root: Element) -> list[Element]:
    """The elements whose own first text opens with a tags label ("Stichwörter:") or a
    publication label ("Veröffentlicht:"), in page order: one pass over the page's text
    nodes' own first texts (an XPath ``contains()`` sieve or ``//text()`` costs more)."""
    match = ANY_LABEL.match
    # iter(Element): elements only (no comments or processing instructions).
    return [el for el in root.iter(etree.Element) if (text := el.text) and match(text)]


def _block_of(el: Element) -> Element:
    """The leaf block around an inline element (``<p><time>…</time></p>``)."""
    node = el
    while node.tag not in BODY_BLOCKS and node.tag != "div":
        parent = node.getparent()
        if parent is None:
            break
        node = parent
    return node


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


def _absolute(page_url: str, href: str | None) -> str | None:
    if not href or not (href := href.strip()):
        return None
    return urljoin(page_url, href)
