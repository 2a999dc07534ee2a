"""Rules for single fields of the generic extractor: the labels, meta names and class words
it reads, and pure functions over strings (Stichwörter from a keywords meta, the section of a
breadcrumb trail, an author's name). The page object that applies them is
:mod:`kn_crawl.extract.generic`; title rules live in :mod:`kn_crawl.extract.titles`, date
rules in :mod:`kn_crawl.dates`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from kn_crawl.dates import find_date, parse_date
from kn_crawl.extract.titles import confirms, fold
from kn_crawl.tags import clean_tag, tag_key
from kn_crawl.text import clean_text

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
DATE_LABEL = re.compile(
    r"^\s*(?:Datum|Erscheinungsdatum|Veröffentlicht|Ver(?:ö|oe)ffentlichungsdatum|Stand|vom"
    r"|Erstellt|Published|Posted|Date)\b\s*(?:am|on|:)?",
    re.IGNORECASE,
)
# A line that states when the article was changed, not when it was first published.
MODIFIED_LABEL = re.compile(
    r"^\s*(?:(?:zuletzt\s+)?(?:aktualisiert|geändert|bearbeitet)|letzte\s+(?:Änderung|"
    r"Aktualisierung)|(?:last\s+)?updated|last\s+modified|modified)\b\s*(?:am|on|:)?",
    re.IGNORECASE,
)
# Meta names of the first publication date, most specific first (htmldate reads much the same
# list; Parse.ly, Sailthru and Dublin Core are what CMS plugins write).
META_PUBLISHED = (
    "article:published_time", "og:article:published_time", "article:published",
    "og:published_time", "og:pubdate", "pubdate", "publishdate", "publish-date", "publish_date",
    "parsely-pub-date", "sailthru.date", "article.published", "article_date_original",
    "original-publish-date", "dc.date.issued", "dcterms.issued", "dc.date.created",
    "dcterms.created", "dc.date", "dcterms.date", "citation_publication_date", "citation_date",
    "date", "created", "dc:date", "dcterms:issued", "dcterms:created", "bepress_citation_date",
    "prism.publicationdate", "datecreated",
)  # fmt: skip
# A line that says when the article was published: "Veröffentlicht: 25.10.2007", "Dieser Artikel
# wurde am 14. Dezember 2015 … veröffentlicht", "Posted on March 3, 2025", "Date 10.06.2013".
PUBLISHED_LABEL = re.compile(
    r"^\s*(?:ver(?:ö|oe)ffentlicht|erschienen|erstellt|datum|published|posted|date\b|"
    r"(?:dieser|der)\s+(?:artikel|beitrag|text)\s+wurde\s+am|pressemitteilung\s+vom)",
    re.IGNORECASE,
)
# Either label, for one pass over the page's text (see _labelled_elements).
ANY_LABEL = re.compile(f"{TAGS_LABEL.pattern}|{PUBLISHED_LABEL.pattern}", re.IGNORECASE)
META_MODIFIED = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "article.updated",
    "dcterms.modified", "dc.date.modified", "last-modified", "lastmod", "revised",
    "datemodified",
)  # fmt: skip
META_AUTHOR = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author")
META_IMAGE = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image",
              "twitter:image:src")  # fmt: skip
META_LANGUAGE = ("content-language", "og:locale", "dc.language", "language")
# A keywords meta longer than this is SEO stuffing, not the article's Stichwörter.
MAX_META_KEYWORDS = 15
# A Stichwort is a term, not a sentence.
MAX_TAG_WORDS = 6
# hAtom microformat classes for the publication time (WordPress themes, Blogger).
PUBLISHED_CLASS = re.compile(r"(?:^|\s)(?:published|dtstart|entry-date|post-date)(?:\s|$)")
UPDATED_CLASS = re.compile(r"(?:^|\s)(?:updated|modified|date-modified)(?:\s|$)", re.IGNORECASE)
# Comment threads (WordPress #comments, .comment-list): their dates are no article's.
COMMENTS = re.compile(r"(?:^|[\s_-])comments?(?:$|[\s_-])", re.IGNORECASE)
# How far into the main content the last-resort date search looks (leaf blocks).
LAST_RESORT_BLOCKS = 25
COPYRIGHT = re.compile(r"©|\(c\)|copyright", re.IGNORECASE)
# Elements a page names as a date (the last resort of the visible layer).
DATE_CLASSED = (
    "//*[contains(@class, 'date') or contains(@class, 'Date') or contains(@class, 'datum')"
    " or contains(@id, 'date') or contains(@id, 'datum') or contains(@class, 'time')]"
)
# A breadcrumb trail: ARIA label, schema.org type or the well-known class.
BREADCRUMB = re.compile(r"breadcrumb", re.IGNORECASE)
# Descriptions a CMS puts on pages that have none of their own.
GENERIC_DESCRIPTION = re.compile(
    r"^(?:(?:die\s+)?(?:offizielle\s+)?(?:website|webseite|homepage|internetseite|"
    r"internetauftritt|startseite)\b|welcome\s+to\b|willkommen\s+(?:auf|bei)\b|"
    r"just another wordpress site$)",
    re.IGNORECASE,
)


def is_date_line(text: str) -> bool:
    """A line that is a date and little else: ``Datum: 03.02.2025``, ``22.01.2025``."""
    rest = DATE_LABEL.sub("", text)
    return parse_date(rest) is not None or (len(text) <= 40 and find_date(text) is not None)


def unique_tags(values: list[str]) -> list[str]:
    seen: set[str] = set()
    tags: list[str] = []
    for value in values:
        tag = clean_tag(value)
        if tag is None or tag_key(tag) in seen:
            continue
        seen.add(tag_key(tag))
        tags.append(tag)
    return tags


def jsonld_names(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = []
    for v in values:
        name = v.get("name") if isinstance(v, dict) else v
        if isinstance(name, str) and (cleaned := author_name(name)):
            names.append(cleaned)
    return list(dict.fromkeys(names))


def meta_keywords(value: str | None, site_names: Collection[str] = ()) -> list[str]:
    """The Stichwörter of a ``keywords`` meta: split at ``,`` or ``;``; none when it lists
    more than :data:`MAX_META_KEYWORDS` (SEO stuffing); terms longer than
    :data:`MAX_TAG_WORDS` words or equal to the site's name dropped."""
    if not value:
        return []
    parts = [p.strip() for p in re.split(r"[,;]", value) if p.strip()]
    if len(parts) > MAX_META_KEYWORDS:
        return []
    names = {fold(n) for n in site_names}
    return unique_tags(
        [p for p in parts if len(p.split()) <= MAX_TAG_WORDS and fold(p) not in names]
    )


def breadcrumb_section(trail: list[str], title: str | None) -> str | None:
    """The section of a breadcrumb trail (home first): the entry before the article when
    the trail ends with it, else the last entry; never the home entry alone."""
    names = [clean_text(n) for n in trail]
    items = [n for n in names if n]
    if items and title and (confirms(items[-1], title) or confirms(title, items[-1])):
        items = items[:-1]
    return items[-1] if len(items) >= 2 else None


def author_name(value: str | None) -> str | None:
    """A name from an author field: no URL, no "Von"/"By" prefix."""
    name = clean_text(value)
    if not name or name.startswith(("http://", "https://", "www.")) or "@" in name:
        return None
    name = re.sub(r"^(?:von|by)\s+", "", name, flags=re.IGNORECASE)
    return name or None
