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
  These are read in :mod:`kn_crawl.extract.generic_dates`.
* the title: the ``<h1>`` when og:title, the JSON-LD headline or ``<title>`` confirm it,
  else the reference titles without the site's name (:mod:`kn_crawl.extract.titles`); a
  kicker kept apart.
* teaser, Stichwörter, section, author, image, language, canonical URL: metadata first,
  then what the page shows (Stichwörter, author, section, image and language in
  :mod:`kn_crawl.extract.generic_fields`).

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

from kn_crawl.catalog.model import Selectors
from kn_crawl.crawling.origin import OriginPolicy
from kn_crawl.dates import split_leading_date
from kn_crawl.extract.body import CHROME, body_text, main_content
from kn_crawl.extract.dom import Element, has_block_children, inside, is_within, text_of
from kn_crawl.extract.field_rules import (
    BYLINE,
    GENERIC_DESCRIPTION,
    LEAD_CLASS,
    META_LINE,
    TEASER_HEADINGS,
    is_date_line,
)
from kn_crawl.extract.generic_dates import DateSignals, block_of
from kn_crawl.extract.generic_fields import FieldSignals, marker_block
from kn_crawl.extract.metadata import (
    article_object,
    jsonld_article,
    jsonld_by_id,
    jsonld_objects,
    jsonld_text,
    link_href,
    meta_content,
    meta_map,
    page_object,
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


class _GenericPage(DateSignals, FieldSignals):
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
            skip.update(marker_block(marker))
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
            block = block_of(el)
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

    # -- canonical URL -----------------------------------------------------------------

    def _declared_canonical(self) -> str | None:
        href = link_href(self.root, "canonical") or meta_content(self.root, "og:url")
        url = _absolute(self.link_base, href)
        return url if url and url.startswith(("http://", "https://")) else None


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


def _absolute(page_url: str, href: str | None) -> str | None:
    if not href or not (href := href.strip()):
        return None
    return urljoin(page_url, href)
