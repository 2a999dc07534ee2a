"""The K21 media sites: kommune21.de, move-online.de, stadt-und-werk.de (one CMS, one URL
shape). What we know of them is in shared/docs/SOURCES.md.

``urls`` classifies URLs, ``pages`` holds the page objects, ``work`` what the page worker
does with a page, ``spider`` the spiders (Scrapy finds them there; they are not imported
here, so the page worker, which imports ``work``, does without Scrapy).
"""

from spiders.k21.pages import K21ArticlePage, K21ListingPage, looks_like_article
from spiders.k21.urls import UrlKind, classify_url, is_article_url, legacy_id

__all__ = [
    "K21ArticlePage",
    "K21ListingPage",
    "UrlKind",
    "classify_url",
    "is_article_url",
    "legacy_id",
    "looks_like_article",
]
