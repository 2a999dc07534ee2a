"""The K21 media sites: kommune21.de, move-online.de, stadt-und-werk.de (one CMS, one URL
shape). What we know of them is in shared/docs/SOURCES.md.

``urls`` classifies URLs, ``pages`` holds the page objects, ``family`` the ``k21`` site
family that the generic news spider (``spiders.news``) reads the three sources with.
Importing this package registers the family; it needs no Scrapy (the page worker imports it).
"""

from spiders.k21.family import K21Family
from spiders.k21.pages import K21ArticlePage, K21ListingPage, looks_like_article
from spiders.k21.urls import UrlKind, classify_url, is_article_url, legacy_id

__all__ = [
    "K21ArticlePage",
    "K21Family",
    "K21ListingPage",
    "UrlKind",
    "classify_url",
    "is_article_url",
    "legacy_id",
    "looks_like_article",
]
