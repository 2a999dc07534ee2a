"""Is the page at an article URL an article? A listing, a cookie wall, a login form or an
error page served with 200 is not, whatever its URL says.

:func:`page_verdict` judges a parsed page and the item the extractor read from it by what a
reader sees, never by class names:

- **a listing**: several teasers, each headed by a linked heading, few paragraphs between
  the headline and the first of them (an article's text stands there; its "related
  articles" come after it; a home page's menus, section labels and linked titles are no
  paragraphs), and no run of text between them as long as an article's — or so many
  teasers (six) that one long run (a blog's home page with its latest post in full) does not
  make it an article. An article of two lines without metadata followed by six linked
  teasers is taken for a listing: the price of catching home pages;
- **a cookie wall**: consent wording with a control that accepts ("Alle akzeptieren"), or a
  "please enable JavaScript / cookies" page, saying twice as much as the rest of the page,
  which is next to no text;
- **a login page**: a password field under a title or headline that asks to log in, and
  next to no other text;
- **an error page**: "Seite nicht gefunden", "404", "Page not found" … as the page's
  ``<title>`` or headline, and next to no other text;
- **not HTML**: a file that is no web page — binary (a PDF, an image, gzip …), a feed
  (RSS, Atom), other XML, JSON or plain text: :func:`kn_crawl.extract.result.page_tree`
  gives such a file an empty tree that says what it is (:func:`not_html_tree`);
- **empty**: no headline and no text at all (an empty file, an empty ``<body>``).

A page that declares itself an article (JSON-LD ``NewsArticle`` & co., ``og:type`` article)
is never taken for a listing; the walls and error pages must still show little text. The
page is measured in one walk over the tree (a 10 MB page takes well under a second).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from kn_crawl.extract.dom import Element, text_of
from kn_crawl.extract.metadata import jsonld_article, meta_content
from kn_crawl.items import ArticleItem

ARTICLE = "article"
NOT_ARTICLE = "not_article"

# Text that is no reading text: the page's chrome, furniture and scripts. Not ``<form>``:
# ASP.NET wraps whole pages in one. Not ``<header>``: a teaser's or an article's own header
# holds its headline (the site's header is ``role=banner`` or little text).
_CHROME = frozenset(
    {"nav", "aside", "footer", "script", "style", "noscript", "template", "button", "select",
     "option", "svg", "iframe", "dialog", "title", "head"}
)  # fmt: skip
# ARIA landmarks of the same: sidebars and footers written as ``<div role=…>``.
_CHROME_ROLES = frozenset(
    {"navigation", "complementary", "contentinfo", "banner", "search", "dialog", "alertdialog"}
)
_NO_TEXT = frozenset({"script", "style", "noscript", "template", "head", "title"})
_BLOCKS = frozenset(
    {"p", "div", "section", "article", "main", "li", "dd", "dt", "td", "th", "blockquote",
     "pre", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "body"}
)  # fmt: skip
_TEASER_HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})

# At least this many distinct linked headings make a page of teasers …
MIN_TEASERS = 3
# … when no run of text between two of them is this long (characters). Teasers of German
# news listings run to ~400 characters with their date and "weiterlesen"; the shortest
# articles of the dev set (Kurzmeldungen) hold ~600 in one run.
ARTICLE_RUN = 600
# Or this many, whatever stands between them (a blog's home page with a post in full).
MANY_TEASERS = 6
# … and the text after the headline, up to the first teaser, is a listing's introduction at
# most (an article of two short paragraphs has more).
LEAD_RUN = 250
# Only paragraphs count there: a block of at least this many characters, most of them
# outside links (a home page's menu items, section labels and linked titles do not).
LEAD_BLOCK = 100
# Enough of a page to judge it: the dev set's pages have at most 2,646 elements; a 10 MB page
# of 400,000 would take seconds to walk, and its first screens say what it is.
MAX_ELEMENTS = 20_000
# A wall or an error page shows at most this much text besides its own message.
LITTLE_TEXT = 400

# The words of consent banners (not "Zustimmung" or "akzeptiert" alone: articles use them) …
CONSENT = re.compile(
    r"\bcookies?\b|\bconsent\b|datenschutz-?einstellungen|privacy settings|\btracking\b",
    re.IGNORECASE,
)
# … and of the control that answers them: a wall always offers one.
ACCEPT = re.compile(
    r"akzeptier|zustimm|einverstanden|annehmen|erlauben|zulassen|\baccept|\bagree|\ballow"
    r"|\bok\b|\bweiter\b|\bcontinue\b",
    re.IGNORECASE,
)
# A page that asks to switch something on shows nothing else.
SWITCH_ON = re.compile(
    r"(?:aktivieren|enable|einschalten)\s+(?:sie\s+)?(?:javascript|cookies)"
    r"|(?:javascript|cookies)\s+(?:aktivieren|einschalten|is disabled|is required|are disabled)",
    re.IGNORECASE,
)
# A title or headline that asks to log in (an article with a login box in its sidebar has
# its own headline).
LOGIN_TITLE = re.compile(
    r"anmeld|\blog\s?in\b|\bsign\s?in\b|einlogg|passwort|kennwort|\bkonto\b|\baccount\b"
    r"|benutzer|zugang",
    re.IGNORECASE,
)
# A title or headline that says the page is an error ("Seite nicht gefunden", "Error 404",
# "404 - Not Found") — not a headline that only starts with a number ("500 Millionen …").
ERROR_TITLE = re.compile(
    r"^\W*(?:fehler|error|http)\s*:?\s*[45]\d\d\b"
    r"|^\W*(?:404|410)\s*(?:$|[-–—:|]|not found|nicht gefunden|page|seite|fehler|error)"
    r"|seite\s+(?:wurde\s+|konnte\s+)?nicht\s+gefunden|seite\s+existiert\s+nicht"
    r"|page\s+(?:was\s+|could\s+not\s+be\s+)?not\s+found|^\W*(?:file\s+)?not\s+found\b"
    r"|^\W*(?:fehler|error|oops|hoppla)\W*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the page is: ``kind`` ``article`` or ``not_article``; for the latter ``reason``
    (``listing``, ``cookie_wall``, ``login``, ``error_page``, ``not_html``, ``empty``) and a
    ``detail``
    with the evidence, as a drop's detail says it."""

    kind: str
    reason: str | None = None
    detail: str | None = None

    @property
    def is_article(self) -> bool:
        return self.kind == ARTICLE

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.reason is not None:
            data["reason"] = self.reason
            data["detail"] = self.detail
        return data


IS_ARTICLE = Verdict(ARTICLE)

# The root of the tree a file that is no HTML page gets: libxml2's HTML parser roots every
# tree it builds at ``<html>``, so no page can pass for one.
NOT_HTML_TAG = "kn-not-html"


def not_html_tree(what: str) -> Element:
    """An empty tree for a file that is no HTML page; ``what`` says what it is ("an RSS
    feed", "binary file: a PDF document")."""
    root: Element = etree.Element(NOT_HTML_TAG, what=what)
    return root


@dataclass(slots=True)
class PageText:
    """What a reader sees of a page, measured."""

    teasers: int = 0
    """Distinct links in headings (``<h2>``–``<h6>``) outside the chrome."""
    longest_run: int = 0
    """The longest stretch of reading text (characters) between two linked headings (their
    own text, a teaser's title, left out)."""
    lead_run: int = 0
    """The paragraphs (:data:`LEAD_BLOCK`) from the headline to the first linked heading after
    it: an article's text, a listing's introduction. The headline: the ``<h1>``; without one,
    a first linked heading the ``<title>`` names (a blog post's), else the page's start."""
    reading: int = 0
    """Reading text in all: outside the chrome, not consent wording."""
    prose: int = 0
    """The part of the reading text outside links (a menu, a teaser's title are links)."""
    prose_run: int = 0
    """The longest stretch of prose between two linked headings."""
    consent: bool = False
    """Consent wording anywhere in the visible text."""
    consent_text: int = 0
    """Characters of the blocks (and chrome) that hold consent wording."""
    accept: bool = False
    """A button or link that accepts ("Alle akzeptieren", "Zustimmen", "OK")."""
    switch_on: bool = False
    """ "Bitte aktivieren Sie JavaScript" or the like."""
    password: bool = False

    @property
    def wall(self) -> bool:
        """A consent banner with its button, or a request to switch something on, that says
        twice as much as the rest of the page (a short article under a banner says more)."""
        asks = (self.consent and self.accept) or self.switch_on
        return asks and self.consent_text > 2 * self.reading


def measure(root: Element) -> PageText:
    """One walk over the tree: the text of each block, in runs split at linked headings."""
    page = PageText()
    hrefs: set[str] = set()
    run = 0
    lead: int | None = 0  # None once the first linked heading after the headline is passed
    chrome = 0  # depth inside chrome elements
    buffers: list[list[str]] = []  # the open blocks' own text
    linked: list[list[str]] = []  # … and the part of it inside links
    prose_run = 0
    links: list[Element] = []  # the open links
    teaser_heading: Element | None = None  # a teaser's title is no reading text

    def flush(parts: list[str], in_links: list[str]) -> None:
        nonlocal run, lead, prose_run
        text = " ".join(" ".join(parts).split())
        link_text = " ".join(" ".join(in_links).split())
        parts.clear()
        in_links.clear()
        if not text:
            return
        if _asks(page, text):
            return
        run += len(text)
        page.reading += len(text)
        prose = max(0, len(text) - len(link_text))
        page.prose += prose
        prose_run += prose
        page.prose_run = max(page.prose_run, prose_run)
        if lead is not None and len(text) >= LEAD_BLOCK and prose * 2 >= len(text):
            lead += len(text)

    def flush_all() -> None:
        for parts, in_links in zip(buffers, linked, strict=True):
            flush(parts, in_links)

    h1_seen = False
    seen = 0
    title = _folded(text_of(root.find(".//title")))
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if event == "start":
            seen += 1
            if seen > MAX_ELEMENTS or (
                prose_run >= ARTICLE_RUN
                and page.reading >= LITTLE_TEXT
                and (page.lead_run if lead is None else lead) >= LEAD_RUN
            ):
                # Enough seen; or a lead of paragraphs and a run of text outside links as
                # long as an article's, which no listing, wall or error page shows: nothing
                # further changes the verdict. (Counting link text, a home page's menus
                # stopped the walk before its teasers.)
                break
            if tag == "input":
                kind = (el.get("type") or "").lower()
                page.password = page.password or kind == "password"
                if kind in ("submit", "button") and not page.accept:
                    page.accept = _accepts(el.get("value"))
            elif (tag in ("button", "a") or el.get("role") == "button") and not page.accept:
                page.accept = _accepts(text_of(el))
            if tag == "a" and _is_link(el):
                links.append(el)
            if _is_chrome(el):
                if not chrome and tag not in _NO_TEXT:
                    # Consent banners are often dialogs: their words count.
                    _asks(page, " ".join((text_of(el) or "").split()))
                chrome += 1
                continue
            if chrome:
                continue
            if tag == "h1" and not h1_seen:
                h1_seen = True
                flush_all()
                lead = 0
            elif tag in _TEASER_HEADINGS:
                # A heading holding a link, or inside one (``<a><h2>…</h2></a>`` cards).
                link = links[-1] if links else next((a for a in el.iter("a") if _is_link(a)), None)
                if link is not None:
                    teaser_heading = el
                    flush_all()
                    page.longest_run = max(page.longest_run, run)
                    run = prose_run = 0
                    if not h1_seen and not hrefs and _names(title, text_of(el)):
                        # No <h1> before it, and the <title> names it: the page's headline
                        # (a blog's post title links its permalink). The lead is the text
                        # under it. (A blog's home page is titled by the blog.)
                        lead = 0
                    elif lead is not None:
                        page.lead_run, lead = lead, None
                    hrefs.add(link.get("href", "").strip())
            if tag in _BLOCKS:
                buffers.append([])
                linked.append([])
            if el.text and buffers and teaser_heading is None:
                buffers[-1].append(el.text)
                if links:
                    linked[-1].append(el.text)
        else:
            if links and el is links[-1]:
                links.pop()
            if _is_chrome(el):
                chrome -= 1
            elif not chrome and tag in _BLOCKS and buffers:
                flush(buffers.pop(), linked.pop())
            if el is teaser_heading:
                teaser_heading = None
            if el.tail and not chrome and buffers and teaser_heading is None:
                buffers[-1].append(el.tail)
                if links:
                    linked[-1].append(el.tail)
    flush_all()
    page.longest_run = max(page.longest_run, run)
    if lead is not None:
        page.lead_run = lead
    page.teasers = len(hrefs)
    return page


def _folded(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def _names(title: str, heading: str | None) -> bool:
    """Whether the page's (folded) ``<title>`` holds the ``heading``."""
    folded = _folded(heading)
    return len(folded) >= 3 and folded in title


def _asks(page: PageText, text: str) -> bool:
    """Whether ``text`` holds consent wording or asks to switch something on (noted)."""
    consent = CONSENT.search(text) is not None
    switch_on = SWITCH_ON.search(text) is not None
    if consent or switch_on:
        page.consent = page.consent or consent
        page.switch_on = page.switch_on or switch_on
        page.consent_text += len(text)
    return consent or switch_on


def _accepts(label: str | None) -> bool:
    return label is not None and len(label) <= 40 and ACCEPT.search(label) is not None


def _is_chrome(el: Element) -> bool:
    if el.tag in _CHROME:
        return True
    role = el.get("role")
    return role is not None and role.strip().lower() in _CHROME_ROLES


def _is_link(a: Element) -> bool:
    href = (a.get("href") or "").strip()
    return bool(href) and not href.startswith(("#", "javascript:"))


def page_verdict(root: Element, item: ArticleItem) -> Verdict:
    """Whether the page ``root`` (read into ``item``) shows an article; see the module."""
    if root.tag == NOT_HTML_TAG:
        return Verdict(NOT_ARTICLE, "not_html", f"not an HTML page: {root.get('what')}")
    page = measure(root)
    headlines = [text_of(root.find(".//title")) or "", item.title or ""]
    headlines += [text_of(h) or "" for h in root.iter("h1")][:3]
    error = next((h for h in headlines if h and ERROR_TITLE.search(h)), None)
    if error is not None and page.longest_run < ARTICLE_RUN:
        return Verdict(NOT_ARTICLE, "error_page", f"error page: {error[:80]!r}, little text")
    login = next((h for h in headlines if h and LOGIN_TITLE.search(h)), None)
    if page.password and login is not None and page.longest_run < LITTLE_TEXT:
        return Verdict(NOT_ARTICLE, "login", "login page: a password field, little text")
    if page.wall and page.reading < LITTLE_TEXT and page.longest_run < LITTLE_TEXT:
        return Verdict(
            NOT_ARTICLE,
            "cookie_wall",
            f"cookie wall: consent wording and {page.reading} characters of other text",
        )
    if (
        page.lead_run < LEAD_RUN
        and (
            (page.teasers >= MIN_TEASERS and page.longest_run < ARTICLE_RUN)
            or page.teasers >= MANY_TEASERS
        )
        and not _declares_article(root)
    ):
        return Verdict(
            NOT_ARTICLE,
            "listing",
            f"listing: {page.teasers} teasers with linked headings, at most "
            f"{page.longest_run} characters of text between them",
        )
    if not item.title and page.reading == 0 and not item.body:
        return Verdict(NOT_ARTICLE, "empty", "empty: no headline and no text")
    return IS_ARTICLE


def _declares_article(root: Element) -> bool:
    if jsonld_article(root) is not None:
        return True
    return (meta_content(root, "og:type") or "").strip().lower() == "article"
