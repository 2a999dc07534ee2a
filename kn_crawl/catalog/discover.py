"""What a site's page tells about it as a source: its feeds, sitemaps, article URLs, CMS.

Pure functions over bytes, text and URLs (``kn-crawl sources add`` fetches; these decide), each
tested with tables of cases.
"""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from kn_crawl.extract.dom import Element, decode_page, parse_html
from kn_crawl.text import clean_text

# --- feeds ----------------------------------------------------------------------------------

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
COMMON_FEED_PATHS = ("/feed/", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml", "/rss/")
TYPO3_FEED_QUERY = "type=9818"
"""tx_news' RSS page type: the news list page with ``?type=9818`` is its feed."""


def feed_links(root: Element, page_url: str) -> list[str]:
    """The feeds a page announces: ``<link rel="alternate" type="application/rss+xml|
    atom+xml|feed+json" href>``, absolute, in page order, once each."""
    found: dict[str, None] = {}
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = (link.get("href") or "").strip()
        # WordPress also announces its comments' feed: comments are not articles.
        if "alternate" in rel and kind in FEED_TYPES and href and "comments/feed" not in href:
            url = urljoin(page_url, href)
            if urlsplit(url).scheme in ("http", "https"):
                found[url.split("#")[0]] = None
    return list(found)


def feed_candidates(page_url: str, linked: Iterable[str] = ()) -> list[str]:
    """Where to look for feeds, in order: the announced ones, the common paths on the page's
    site, and the TYPO3 news feed of the page itself."""
    parts = urlsplit(page_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    urls = [*linked, *(origin + path for path in COMMON_FEED_PATHS)]
    urls.append(urlunsplit((parts.scheme, parts.netloc, parts.path or "/", TYPO3_FEED_QUERY, "")))
    return list(dict.fromkeys(urls))


_XML_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "recover": False,
}


def _xml_root(body: bytes) -> etree._Element | None:
    """The root of an XML document, or None; a document with a DTD is refused unparsed (no
    entity can be expanded: billion laughs, external entities)."""
    head = body[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        return None
    try:
        # Leading blank lines before the XML declaration: a common WordPress plugin fault
        # that feed readers forgive.
        root = etree.fromstring(body.lstrip(), etree.XMLParser(**_XML_PARSER_OPTIONS))
    except (etree.XMLSyntaxError, ValueError):
        return None
    return root


def feed_kind(body: bytes) -> str | None:
    """``rss``, ``atom``, ``rdf`` or ``json`` when ``body`` parses as that kind of feed, else
    None (an HTML page, a cookie wall, a sitemap, garbage)."""
    stripped = body.lstrip()
    if stripped[:1] in (b"{", b"["):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None
        version = data.get("version", "") if isinstance(data, dict) else ""
        if str(version).startswith("https://jsonfeed.org/version/") and isinstance(
            data.get("items"), list
        ):
            return "json"
        return None
    root = _xml_root(body)
    if root is None:
        return None
    tag = etree.QName(root).localname.lower()
    namespace = etree.QName(root).namespace or ""
    if tag == "rss":
        return "rss"
    if tag == "feed" and namespace == "http://www.w3.org/2005/Atom":
        return "atom"
    if tag == "rdf" and "rdf-syntax" in namespace:
        return "rdf"
    return None


# --- sitemaps -------------------------------------------------------------------------------

_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def sitemaps_in_robots(robots_txt: str, robots_url: str) -> list[str]:
    """The ``Sitemap:`` lines of a robots.txt, absolute, once each."""
    urls = (urljoin(robots_url, m.group(1)) for m in _SITEMAP_LINE.finditer(robots_txt))
    return list(dict.fromkeys(u for u in urls if urlsplit(u).scheme in ("http", "https")))


@dataclass(frozen=True, slots=True)
class Sitemap:
    kind: str
    """``urlset`` (pages) or ``index`` (further sitemaps)."""
    news: bool
    """A Google News sitemap (``news:`` entries: the recent articles with their dates)."""
    urls: tuple[str, ...]


def read_sitemap(body: bytes) -> Sitemap | None:
    """What a sitemap document holds, or None when it is not one."""
    root = _xml_root(body)
    if root is None:
        return None
    name = etree.QName(root)
    if name.namespace != SITEMAP_NS or name.localname not in ("urlset", "sitemapindex"):
        return None
    urls = tuple((loc.text or "").strip() for loc in root.iter(f"{{{SITEMAP_NS}}}loc") if loc.text)
    news = any(True for _ in root.iter(f"{{{NEWS_NS}}}news"))
    kind = "urlset" if name.localname == "urlset" else "index"
    if kind == "index":
        # An index names its news sitemap; there is no other sign before fetching it.
        news = any("news" in u.rsplit("/", 1)[-1].lower() for u in urls)
    return Sitemap(kind, news, urls)


# --- article URLs ----------------------------------------------------------------------------

MIN_ARTICLES = 3
"""A shape must have at least this many distinct article-like links to be proposed."""
_ASSET = re.compile(
    r"\.(?:css|js|mjs|png|jpe?g|gif|svg|webp|ico|pdf|zip|docx?|xlsx?|pptx?|mp3|mp4|xml|rss|"
    r"json|txt)$",
    re.IGNORECASE,
)
_NOT_ARTICLES = {
    "tag", "tags", "category", "categories", "kategorie", "author", "autor", "page", "seite",
    "schlagwort", "stichwort", "search", "suche", "feed", "wp-content", "wp-json", "login",
}  # fmt: skip
_NUMBERS = re.compile(r"[0-9][0-9._-]*")
_EXTENSION = re.compile(r"\.(?:html?|php|aspx?|jsp)$", re.IGNORECASE)
_HEX_ID_SUFFIX = re.compile(r"(?P<infix>[-_][a-z]{1,3}[-_])[0-9a-f]{32}$")
_WORDS_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){2,}")
_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")


def _escape(text: str) -> str:
    """A literal in a pattern, escaping only what is special (``-`` and ``_`` stay)."""
    return _SPECIAL.sub(r"\\\1", text)


def _segment_token(segment: str) -> str:
    """A directory segment in a pattern: numbers (years, months, days) become digit classes,
    words stay literal."""
    if _NUMBERS.fullmatch(segment):
        return re.sub(r"[0-9]+", lambda m: rf"\d{{{len(m.group(0))}}}", _escape(segment))
    return _escape(segment)


def _article_like(last: str) -> bool:
    """A slug of several words, a long name, or a numeric id: what an article's URL ends in
    (menu pages are one or two words: ``kontakt``, ``ueber-uns``)."""
    stem = _EXTENSION.sub("", last)
    if stem.isdigit():
        return len(stem) >= 2
    return stem.count("-") + stem.count("_") >= 2 or len(stem) >= 25


@dataclass
class _Shape:
    tokens: tuple[str, ...]
    ext: str
    slash: bool
    numeric: bool
    lasts: set[str] = field(default_factory=set)


def propose_pattern(links: Iterable[str], page_url: str) -> str | None:
    """An article-URL pattern for the links of a page (absolute URLs): same-origin links are
    grouped by the shape of their path (directories, with numbers as digit classes; the last
    segment varies), and the shape with the most distinct article-like last segments wins
    (at least ``MIN_ARTICLES``), e.g. ``^/aktuelles/details/[^/]+$``,
    ``^/\\d{4}/\\d{2}/\\d{2}/[^/]+/$``, ``-a-[0-9a-f]{32}/$``. None when no shape has enough."""
    page = urlsplit(page_url)
    shapes: dict[tuple[object, ...], _Shape] = {}
    for link in links:
        parts = urlsplit(link)
        if (parts.scheme, parts.netloc.lower()) != (page.scheme, page.netloc.lower()):
            continue
        path = parts.path
        if not path or path == "/" or _ASSET.search(path) or "//" in path:
            continue
        slash = path.endswith("/")
        segments = path.strip("/").split("/")
        *dirs, last = segments
        if any(s.lower() in _NOT_ARTICLES for s in segments):
            continue  # tag and category pages, pagination, feeds
        ext_match = _EXTENSION.search(last)
        ext = ext_match.group(0) if ext_match else ""
        numeric = _EXTENSION.sub("", last).isdigit()
        tokens = tuple(_segment_token(s) for s in dirs)
        key = (tokens, ext, slash, numeric)
        shape = shapes.setdefault(key, _Shape(tokens, ext, slash, numeric))
        if _article_like(last):
            shape.lasts.add(last)
    best = max(
        (s for s in shapes.values() if len(s.lasts) >= MIN_ARTICLES),
        key=lambda s: (len(s.lasts), len(s.tokens)),
        default=None,
    )
    return _pattern(best) if best is not None else None


def _pattern(shape: _Shape) -> str:
    end = _escape(shape.ext) + ("/" if shape.slash else "") + "$"
    if shape.tokens:
        last = r"\d+" if shape.numeric else "[^/]+"
        return "^/" + "/".join(shape.tokens) + "/" + last + end
    # Articles at the top level share it with the menu's pages: only a mark of their own
    # tells them apart — an id suffix (``-a-<32 hex>``), or a slug of several words.
    suffixes = {m.group("infix") for m in map(_HEX_ID_SUFFIX.search, shape.lasts) if m}
    hexed = sum(1 for last in shape.lasts if _HEX_ID_SUFFIX.search(_EXTENSION.sub("", last)))
    if len(suffixes) == 1 and hexed * 5 >= len(shape.lasts) * 4:
        return _escape(suffixes.pop()) + "[0-9a-f]{32}" + end
    if shape.numeric:
        return r"^/\d+" + end
    stems = [_EXTENSION.sub("", last) for last in shape.lasts]
    if all(_WORDS_SLUG.fullmatch(s) for s in stems):
        return "^/[a-z0-9]+(?:-[a-z0-9]+){2,}" + end
    return "^/[^/]+" + end


def page_links(root: Element, page_url: str) -> list[str]:
    """Every ``<a href>`` of the page, absolute and without fragment, in page order."""
    base = root.find(".//base[@href]")
    base_url = urljoin(page_url, base.get("href") or "") if base is not None else page_url
    links: dict[str, None] = {}
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("#", "mailto:", "javascript:", "tel:")):
            links[urljoin(base_url, href).split("#")[0]] = None
    return list(links)


# --- the site itself ------------------------------------------------------------------------


def guess_family(root: Element, html: str) -> str:
    """``wordpress`` (generator meta, or ``/wp-content/`` in the page), ``typo3`` (generator
    meta, or ``typo3conf``/``typo3temp`` assets), else ``generic``."""
    generators = " ".join(
        (m.get("content") or "")
        for m in root.iter("meta")
        if (m.get("name") or "").lower() == "generator"
    ).lower()
    if "wordpress" in generators or "/wp-content/" in html or "/wp-includes/" in html:
        return "wordpress"
    if "typo3" in generators or "/typo3conf/" in html or "/typo3temp/" in html:
        return "typo3"
    return "generic"


def site_title(root: Element) -> str | None:
    """``og:site_name``, else the site's part of the page's ``<title>``: the last part after
    `` | `` (else after `` - `` / `` – ``), where sites put their name ("Startseite -
    move-online.de | move - moderne verwaltung" → "move - moderne verwaltung")."""
    for meta in root.iter("meta"):
        if (meta.get("property") or "").lower() == "og:site_name" and meta.get("content"):
            return clean_text(meta.get("content"))
    title = root.find(".//title")
    text = clean_text("".join(title.itertext())) if title is not None else None
    if not text:
        return None
    for separator in (" | ", " – ", " - "):
        if separator in text:
            return text.rsplit(separator, 1)[1].strip() or text
    return text


def host_is_address(url: str) -> bool:
    """The URL's host is an IP address (a mirror, a test server): it says nothing of the site."""
    try:
        ipaddress.ip_address(urlsplit(url).hostname or "")
    except ValueError:
        return False
    return True


_NAME_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def name_from_title(title: str) -> str | None:
    """A catalogue name from a site's title: ASCII, umlauts spelled out, words joined by
    ``_`` (``Städtetag NRW`` → ``staedtetag_nrw``); None when no letter or digit is left."""
    text = unicodedata.normalize("NFKC", title).lower().translate(_NAME_TRANSLIT)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if not name:
        return None
    if not name[0].isalpha():
        name = "s" + name
    return name[:64].rstrip("_")


def source_name_for(url: str, title: str | None = None) -> str:
    """A catalogue name from a site's host: ``www.behoerden-spiegel.de`` → ``behoerdenspiegel``,
    ``digitalservice.bund.de`` → ``digitalservice``. An IP address names no site: then the
    site's ``title`` (``Stadt Musterstadt`` → ``stadt_musterstadt``), else ``source_<port>``."""
    parts = urlsplit(url)
    if host_is_address(url):
        named = name_from_title(title) if title else None
        if named:
            return named
        return f"source_{parts.port}" if parts.port else "source"
    labels = [label for label in (parts.hostname or "").lower().split(".") if label]
    if labels and labels[0] == "www":
        labels = labels[1:]
    name = re.sub(r"[^a-z0-9_]", "", labels[0]) if labels else ""
    if not name:
        return "source"
    if not name[0].isalpha():
        name = "s" + name
    return name[:64]


def read_page(body: bytes, content_type: str | None) -> tuple[Element, str]:
    """The parsed page and its HTML text, decoded as the crawl decodes pages."""
    text = decode_page(body, content_type)
    return parse_html(text), text
