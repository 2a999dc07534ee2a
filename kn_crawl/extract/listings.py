"""Generic listing pages: the article teasers on a page, and the link to its next page.

Entries are the links a predicate accepts (the family's article rule: the catalogue entry's
article-URL pattern, or what looks like an article), each with the title of its link or
heading and the date of its teaser block (:func:`kn_crawl.extract.teasers.teaser_entries`).
The next page comes from the catalogue entry's ``next_page`` rule (a selector of the link,
or a URL template with ``{n}``), else from ``rel=next`` or a link that reads "Weiter",
"nächste Seite", "›", "»", "Next".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from kn_crawl.extract.dom import Element, text_of
from kn_crawl.extract.feeds import whole_titles
from kn_crawl.extract.generic import document_base
from kn_crawl.extract.selectors import select
from kn_crawl.extract.teasers import teaser_entries
from kn_crawl.items import Listing

NO_ARTICLES_MATCHED = "no_articles_matched"
# Page chrome: the site's menus, its sidebars ("Meistgelesen"), its footer.
CHROME = ("nav", "aside")
# (Not <header> and <footer>: a teaser <article> has its own, with its link and date.)
# What a next-page link reads: "Weiter", "nächste Seite", "›", "»", "Next", WordPress's
# "Ältere Beiträge" (twentytwentyone) and "Older posts".
NEXT_TEXT = re.compile(
    r"^(?:weiter|vor|nächste(?:\s+seite)?|next(?:\s+page)?|ältere\s+(?:beiträge|einträge)"
    r"|older\s+(?:posts|entries)|›|»|>|>>)(?:\s*[›»>]+)?$",
    re.IGNORECASE,
)
PREV_TEXT = re.compile(
    r"^(?:zurück|vorherige(?:\s+seite)?|previous(?:\s+page)?|neuere\s+(?:beiträge|einträge)"
    r"|newer\s+(?:posts|entries)|‹|«|<|<<)$",
    re.IGNORECASE,
)
NEXT_LABEL = re.compile(r"\b(?:nächste(?:n)?\s+seite|next\s+page|weiter)\b", re.IGNORECASE)


def read_listing_page(
    url: str,
    root: Element,
    *,
    is_article: Callable[[str], bool],
    pattern: str | None,
    next_page: str | None,
    same_origin: Callable[[str], bool],
    now: datetime | None = None,
) -> Listing:
    """The listing at ``url``: its entries, its next page, and a ``no_articles_matched``
    note when the page links pages of the source but none is an article. Without a
    ``pattern`` only the page's ``<main>`` is read (where it has one): a guess at what an
    article is must not take the site's menus and link lists for news."""
    scope = root if pattern else _main(root)
    link_base = document_base(url, root)
    entries = teaser_entries(
        scope,
        base_url=link_base,
        is_article=is_article,
        exclude=(url,),
        now=now,
        skip_inside=CHROME,
    )
    listing = Listing(url=url, entries=entries)
    whole_titles(listing)  # a colon in a title is the title's own (K21's kickers are K21's)
    if entries:
        found = next_page_url(url, root, next_page, same_origin=same_origin)
        # A teaser's own "weiter" link is no next page.
        listing.next_url = found if found not in {e.url for e in entries} else None
    else:
        links = _own_links(url, link_base, root, same_origin)
        if links:
            rule = f"the pattern {pattern!r}" if pattern else "the family's article rule"
            listing.notes.append(
                (
                    NO_ARTICLES_MATCHED,
                    f"{len(links)} links to the source on the page, none matches {rule}",
                )
            )
    return listing


def _main(root: Element) -> Element:
    for el in root.iter("main", "div", "section"):
        if el.tag == "main" or (el.get("role") or "").lower() == "main":
            return el
    return root


def _own_links(
    url: str, link_base: str, root: Element, same_origin: Callable[[str], bool]
) -> set[str]:
    found = set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("#", "mailto:", "javascript:", "tel:")):
            target = urljoin(link_base, href).partition("#")[0]
            if target != url and same_origin(target):
                found.add(target)
    return found


def next_page_url(
    url: str, root: Element, rule: str | None, *, same_origin: Callable[[str], bool]
) -> str | None:
    """The next page of the listing at ``url``: by ``rule`` (a URL template with ``{n}``, or
    a CSS/XPath selector of the link), else by ``rel=next`` or a "Weiter" link. None: the
    last page, or a link to another origin or back to this page."""
    found: str | None
    link_base = document_base(url, root)
    if rule and "{n}" in rule:
        found = next_from_template(url, rule)
        # Where the page shows its pages, the next one must be among them: the last page
        # links none (no request for a page past the end); a page without pagination links
        # (paged by script or a form) pages on blindly, while it shows articles.
        shown, visible = paging_links(url, rule, root, link_base)
        if visible and url_key(found) not in shown:
            found = None
    elif rule:
        found = _next_by_selector(link_base, root, rule)
    else:
        found = _next_by_markup(link_base, root)
    if found is None or found.partition("#")[0] == url or not same_origin(found):
        return None
    return found


def page_number(url: str, template: str) -> int:
    """Which page of a ``{n}``-templated listing ``url`` is (1: the template is not in it)."""
    if template.startswith(("?", "&")):
        key, _ = _template_param(template)
        value = dict(parse_qsl(urlsplit(url).query)).get(key, "")
        return int(value) if value.isdigit() else 1
    shape = re.escape(template.lstrip("/")).replace(r"\{n\}", r"(\d+)")
    match = re.search(shape + r"$", urlsplit(url).path) or re.search(shape, url)
    return int(match.group(1)) if match else 1


def next_from_template(url: str, template: str) -> str:
    """Page n+1 of a listing paged by ``template``: a query (``?page={n}``,
    ``?delta=20&start={n}``: set on the URL, its other parameters kept), a path relative to
    the first page (``page/{n}/``), a root-relative path or a whole URL."""
    n = page_number(url, template) + 1
    if template.startswith(("?", "&")):
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.update(parse_qsl(template[1:].replace("{n}", str(n)), keep_blank_values=True))
        return urlunsplit(parts._replace(query=urlencode(query), fragment=""))
    if template.startswith(("http://", "https://", "/")):
        return urljoin(url, template.replace("{n}", str(n)))
    first = _first_page(url, template)
    if not urlsplit(first).path.endswith("/"):
        first = first.split("?", 1)[0] + "/"
    return urljoin(first, template.replace("{n}", str(n)))


def paging_links(
    url: str, template: str, root: Element, link_base: str
) -> tuple[set[tuple[object, ...]], bool]:
    """The page's links to further pages (2, 3, …) of the same ``{n}``-templated listing, as
    keys, and whether the page shows pagination at all (such links, or a link back to an
    earlier page: ``rel=prev``, "Vorherige Seite", "«")."""
    first = url_key(_first_of(url, template))
    found = set()
    back = False
    for a in root.iter("a", "link"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        target = urljoin(link_base, href)
        if url_key(_first_of(target, template)) != first:
            continue
        if page_number(target, template) > 1:
            found.add(url_key(target))
        elif "prev" in (a.get("rel") or "").lower().split() or PREV_TEXT.match(
            (text_of(a) or "").strip(" .:")
        ):
            back = True
    return found, bool(found) or back


def _first_of(url: str, template: str) -> str:
    """Page 1 of the templated listing ``url`` belongs to."""
    if template.startswith(("?", "&")):
        key, _ = _template_param(template)
        parts = urlsplit(url)
        query = [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k != key and (k, v) not in parse_qsl(template[1:])
        ]
        return urlunsplit(parts._replace(query=urlencode(query), fragment=""))
    return _first_page(url, template)


def url_key(url: str | None) -> tuple[object, ...]:
    """A URL compared as a reader would: the order of query parameters does not count."""
    if url is None:
        return ()
    parts = urlsplit(url)
    return (
        parts.scheme,
        parts.netloc.lower(),
        parts.path.rstrip("/"),
        tuple(sorted(parse_qsl(parts.query, keep_blank_values=True))),
    )


def _template_param(template: str) -> tuple[str, str]:
    for key, value in parse_qsl(template[1:], keep_blank_values=True):
        if "{n}" in value:
            return key, value
    raise ValueError(f"no {{n}} in the query template {template!r}")


def _first_page(url: str, template: str) -> str:
    """``url`` without the template's part: ``/news/page/3/`` -> ``/news/``."""
    shape = re.escape(template.lstrip("/")).replace(r"\{n\}", r"\d+")
    parts = urlsplit(url)
    path = re.sub(shape + r"$", "", parts.path)
    return urlunsplit(parts._replace(path=path, query="", fragment=""))


def _next_by_selector(url: str, root: Element, rule: str) -> str | None:
    try:
        matches = select(root, rule)
    except ValueError:
        return None  # the catalogue checks selectors at load; a bad one pages nowhere
    for match in matches:
        node = match.root
        href = node if isinstance(node, str) else node.get("href")
        if href and href.strip():
            return urljoin(url, href.strip())
    return None


def _next_by_markup(url: str, root: Element) -> str | None:
    for el in root.iter("link", "a"):
        if "next" in (el.get("rel") or "").lower().split() and (el.get("href") or "").strip():
            return urljoin(url, (el.get("href") or "").strip())
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        text = (text_of(a) or "").strip(" .:")
        label = " ".join(filter(None, (a.get("aria-label"), a.get("title"))))
        if NEXT_TEXT.match(text) or (label and NEXT_LABEL.search(label)):
            return urljoin(url, href)
    return None
