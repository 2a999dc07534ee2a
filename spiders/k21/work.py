"""What the K21 spider hands to the page worker: functions of a downloaded page's bytes.

Everything that needs a page's parsed tree happens here, in the worker process (or in the
crawl process when there is none): extraction, what the spider knows about how it got to the
page, normalisation. What comes back is small and picklable.
"""

from __future__ import annotations

from datetime import datetime

from kn_crawl.extract.dom import Element, decode_html
from kn_crawl.items import ArticleItem, Listing
from pipelines.normalize import normalize_article
from spiders.k21.pages import K21ArticlePage, K21ListingPage
from spiders.k21.urls import UrlKind, classify_url, legacy_id

ARTICLE = "spiders.k21.work:article"
LISTING = "spiders.k21.work:listing"

# Links handed to the spider already, per source, as written in the page: menus, footers and
# related lists repeat on every page, and an absolute or root-relative link means the same on
# every page, so each is looked at once per crawl.
_links_seen: dict[str, set[str]] = {}
MAX_LINKS_SEEN = 100_000
# Something the spider records about a page that was still used: (reason, detail).
Note = tuple[str, str]

# The default of KN_MAX_LINKS_PER_PAGE (kn_crawl.settings), for callers without settings.
MAX_LINKS_PER_PAGE = 1000


def article(
    source: str,
    base_url: str,
    url: str,
    body: bytes,
    content_type: str | None,
    redirects: list[str],
    type_label: str | None,
    max_links: int = MAX_LINKS_PER_PAGE,
    now: datetime | None = None,
) -> tuple[ArticleItem, list[str], list[Note]]:
    """The article on the page, normalised; the page's links not handed out before (``href``
    as written, in page order) for discovery, from its first ``max_links`` links; and notes
    for the record (more links than that, a mislabelled charset, a canonical URL on another
    origin). ``redirects`` are the URLs that redirected here, ``type_label`` the label a
    listing showed for the page, ``now`` the crawl's time (a publication date after tomorrow
    is no publication date)."""
    # Decoded by Scrapy's own rules, as the crawl process would have decoded it (but UTF-8
    # labelled Latin-1 read as UTF-8).
    text, notes = _decode(body, content_type)
    page = K21ArticlePage.from_html(url, text, source=source, base_url=base_url)
    item = finish_article(page.to_item(now=now), base_url, redirects, type_label)
    links, truncated = page_links(page.root, max_links)
    if truncated:
        notes.append(_too_many_links(max_links))
    if item.offsite_canonical is not None:
        notes.append(
            (
                "offsite_canonical",
                f"canonical URL {item.offsite_canonical} is on another origin: "
                "stored under the fetched URL",
            )
        )
    return normalize_article(item), new_links(source, links), notes


def _decode(body: bytes, content_type: str | None) -> tuple[str, list[Note]]:
    text, overruled = decode_html(body, content_type)
    if overruled is None:
        return text, []
    detail = f"labelled {overruled}, but the bytes are UTF-8: read as UTF-8"
    return text, [("charset_mislabelled", detail)]


def _too_many_links(max_links: int) -> Note:
    return ("too_many_links", f"more than {max_links} links on the page; the rest were ignored")


def finish_article(
    item: ArticleItem, base_url: str, redirects: list[str], type_label: str | None
) -> ArticleItem:
    """What the page alone does not say: the URLs that led to it, whether it was fetched at
    an old URL form, its type label (shown in listings, not on the page), and the article
    number of an old link that redirected to it."""
    item.alias_urls = list(dict.fromkeys([*redirects, *item.alias_urls]))
    item.legacy_url = classify_url(item.fetched_url, base_url) is UrlKind.LEGACY_ARTICLE
    if item.type_label is None:
        item.type_label = type_label
    if item.site_article_id is None:
        for redirect in redirects:
            number = legacy_id(redirect)
            if number:
                item.site_article_id = f"meldung:{number}"
                break
    return item


def page_links(root: Element, limit: int) -> tuple[list[str], bool]:
    """The page's first ``limit`` distinct links (``href`` as written, in page order, in-page
    anchors left out), and whether it had more. A trap page with 150,000 links would
    otherwise send them all over the pipe and queue a request for each (550 MB measured)."""
    links: dict[str, None] = {}
    for a in root.iter("a"):
        href = a.get("href")
        if href is None or href.startswith("#") or href in links:  # "#primary": this page
            continue
        if len(links) >= limit:
            return list(links), True
        links[href] = None
    return list(links), False


def new_links(source: str, links: list[str]) -> list[str]:
    """``links`` of a page not handed out before for ``source``."""
    seen = _links_seen.setdefault(source, set())
    fresh = []
    for href in links:
        if href in seen:
            continue
        if href.startswith(("http://", "https://", "/")) and len(seen) < MAX_LINKS_SEEN:
            seen.add(href)
        fresh.append(href)
    return fresh


def listing(
    source: str,
    base_url: str,
    url: str,
    body: bytes,
    content_type: str | None,
    with_sections: bool,
    max_links: int = MAX_LINKS_PER_PAGE,
) -> tuple[Listing, list[str], list[Note]]:
    """The listing's entries and next page, and (``with_sections``) the section pages it
    links — at most ``max_links`` of each — and notes for the record."""
    text, notes = _decode(body, content_type)
    page = K21ListingPage.from_html(url, text, source=source, base_url=base_url)
    result = page.to_listing()
    sections = page.section_urls() if with_sections else []
    if len(result.entries) > max_links or len(sections) > max_links:
        notes.append(_too_many_links(max_links))
    result.entries = result.entries[:max_links]
    return result, sections[:max_links], notes
