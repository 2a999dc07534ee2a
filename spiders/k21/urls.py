"""K21 URLs: what a URL on one of the three sites is, and old ``meldung_NNNN`` ids."""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit

from kn_crawl.urls import same_site


class UrlKind(StrEnum):
    ARTICLE = "article"
    LEGACY_ARTICLE = "legacy_article"
    ARCHIVE = "archive"
    SECTION = "section"
    FEED = "feed"


_ARCHIVE = re.compile(r"^k21-meldungen/(?:page/\d+/?)?$")
_FEED = re.compile(r"^(?:k21-meldungen/)?feed/?$")
_ARTICLE = re.compile(r"^k21-meldungen/(?!page/|feed/?$)[^/?#]+/?$")
_SECTION = re.compile(r"^k21-themen/[^/]+/(?:page/\d+/?)?$")
# /meldung_33697, /meldung_39436_gn, /meldung_28242_Ratsinformationssystem+ist+sicher.html,
# /meldung_44452_KI+f%C3%BCr+flotteren+Busverkehr.pdf: the number is the article id.
_LEGACY = re.compile(r"^meldung_(\d+)(?:[_.][^/]*)?$")


def _relative_path(url: str, base_url: str) -> str | None:
    # Fast path, taken by nearly every link: the page writes URLs the way the base URL does.
    if url.startswith(base_url):
        rest = url[len(base_url) :]
        end = len(rest)
        for sep in "?#":
            cut = rest.find(sep)
            if cut != -1:
                end = min(end, cut)
        return rest[:end]
    if not same_site(url, base_url):
        return None
    path = urlsplit(url).path
    base_path = urlsplit(base_url).path
    if not path.startswith(base_path):
        return None
    return path[len(base_path) :]


def classify_url(url: str, base_url: str) -> UrlKind | None:
    """What a URL on a K21 site is; None for other pages (topics overview, Heftarchiv, …)."""
    path = _relative_path(url, base_url)
    if path is None:
        return None
    if _FEED.match(path):
        return UrlKind.FEED
    if _ARCHIVE.match(path):
        return UrlKind.ARCHIVE
    if _ARTICLE.match(path):
        return UrlKind.ARTICLE
    if _LEGACY.match(path):
        return UrlKind.LEGACY_ARTICLE
    if _SECTION.match(path):
        return UrlKind.SECTION
    return None


def legacy_id(url: str) -> str | None:
    """The article number of an old ``meldung_NNNN`` URL."""
    match = _LEGACY.match(urlsplit(url).path.rsplit("/", 1)[-1])
    return match.group(1) if match else None


def is_article_url(url: str, base_url: str) -> bool:
    return classify_url(url, base_url) in (UrlKind.ARTICLE, UrlKind.LEGACY_ARTICLE)
