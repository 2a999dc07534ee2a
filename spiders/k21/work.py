"""What the K21 spider hands to the page worker: functions of a downloaded page's bytes.

Everything that needs a page's parsed tree happens here, in the worker process (or in the
crawl process when there is none): extraction, what the spider knows about how it got to the
page, normalisation. What comes back is small and picklable.
"""

from __future__ import annotations

from kn_crawl.extract.dom import Element
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


def article(
    source: str,
    base_url: str,
    url: str,
    body: bytes,
    content_type: str | None,
    redirects: list[str],
    type_label: str | None,
) -> tuple[ArticleItem, list[str]]:
    """The article on the page, normalised, and the page's links not handed out before
    (``href`` as written, in page order) for discovery. ``redirects`` are the URLs that
    redirected here, ``type_label`` the label a listing showed for the page."""
    # Decoded by Scrapy's own rules, as the crawl process would have decoded it.
    page = K21ArticlePage.from_html(
        url, body, source=source, base_url=base_url, content_type=content_type
    )
    item = finish_article(page.to_item(), base_url, redirects, type_label)
    return normalize_article(item), new_links(source, page.root)


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


def new_links(source: str, root: Element) -> list[str]:
    seen = _links_seen.setdefault(source, set())
    links: dict[str, None] = {}
    for a in root.iter("a"):
        href = a.get("href")
        if href is None or href in seen or href.startswith("#"):  # "#primary": this page
            continue
        if href.startswith(("http://", "https://", "/")) and len(seen) < MAX_LINKS_SEEN:
            seen.add(href)
        links[href] = None
    return list(links)


def listing(
    source: str,
    base_url: str,
    url: str,
    body: bytes,
    content_type: str | None,
    with_sections: bool,
) -> tuple[Listing, list[str]]:
    """The listing's entries and next page, and (``with_sections``) the section pages it
    links."""
    page = K21ListingPage.from_html(
        url, body, source=source, base_url=base_url, content_type=content_type
    )
    return page.to_listing(), page.section_urls() if with_sections else []
