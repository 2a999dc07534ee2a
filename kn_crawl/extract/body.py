"""The article's main text: which element holds it, and its paragraphs.

:func:`main_content` finds the element holding the article; :func:`body_text` reads its
paragraphs without page chrome. Pure functions of a parsed tree, used by the generic
extractor (:mod:`kn_crawl.extract.generic`) and by catalogue selectors for a body. The
rules that judge a single block or line (class words, captions, "Mehr zum Thema") live in
:mod:`kn_crawl.extract.boilerplate`.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lxml import etree

from kn_crawl.extract.boilerplate import (
    boilerplate_line,
    class_weight,
    invisible,
    is_related_heading,
    negative_container,
)
from kn_crawl.extract.dom import Element, inside, is_within, text_of
from kn_crawl.text import clean_text

# Never article text: page chrome, and the article's own furniture.
NOT_BODY = frozenset(
    {"nav", "aside", "footer", "form", "figure", "figcaption", "header", "script", "style",
     "noscript", "template", "button", "select", "iframe", "svg", "textarea", "input",
     "label", "dialog", "menu", "object", "embed", "video", "audio", "canvas", "map"}
)  # fmt: skip
HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
BODY_BLOCKS = ("p", "h2", "h3", "h4", "h5", "li", "blockquote", "pre", "dd")
CHROME = frozenset({"nav", "aside", "footer", "form", "script", "style", "noscript", "template"})
CONTACT = re.compile(r"^(?:Pressekontakt|Kontakt|Ansprechpartner(?:in)?|Pressestelle)\s*:")

# Elements that start a new paragraph: their text is never run together with a neighbour's.
_BLOCKS = frozenset(
    {"p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "h1", "h2",
     "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "table",
     "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "figure", "figcaption", "form",
     "body", "html", "address", "center", "hr", "fieldset", "details", "summary", "hgroup",
     "dialog", "menu", "noscript", "iframe", "video", "audio", "picture", "object"}
)  # fmt: skip
# Page chrome for scoring: text in these never counts for a container.
_NOT_TEXT = frozenset(
    {"script", "style", "noscript", "template", "select", "textarea", "iframe", "svg", "head",
     "title", "meta", "link"}
)  # fmt: skip
_DEAD = _NOT_TEXT | {
    "nav",
    "aside",
    "footer",
    "form",
    "button",
    "figcaption",
    "label",
    "dialog",
    "menu",
}
# A block of at least this many characters of its own text is a paragraph to score (shorter
# ones are labels, buttons, dates; readability's threshold, in characters).
_MIN_PARAGRAPH = 25
# Inline text this much in links is a link list or a teaser, not a paragraph.
_LINKY = 0.5
# The headline may be added to the text container when the widened element holds at most
# this much more non-link text (a header with a date and a lead, not a sidebar).
_WIDEN = 1.3


class _Measure:
    """Text counts of a tree in one walk: for each block, the characters of its own inline
    text (not that of nested blocks), how many of them are in links, and its commas; for
    each element, the characters (and link characters) of all text beneath it."""

    __slots__ = ("commas", "order", "own", "own_link", "parent", "total", "total_link")

    def __init__(self, root: Element, dead_tags: frozenset[str] = _DEAD) -> None:
        own: dict[Element, int] = {}
        own_link: dict[Element, int] = {}
        commas: dict[Element, int] = {}
        parent_of: dict[Element, Element] = {}
        order: list[Element] = []
        # Depth-first with an explicit stack (a page may nest thousands of levels deep);
        # chrome and hidden subtrees are never entered. Counting does not need document
        # order: a tail counts for the block around its element, whenever it is met.
        stack: list[tuple[Element, Element, bool]] = [(root, root, False)]
        text = root.text
        if text and text.strip():
            own[root] = len(text.strip())
        while stack:
            el, block, link = stack.pop()
            for child in el:
                tail = child.tail
                if tail:
                    n = len(tail.strip())
                    if n:
                        own[block] = own.get(block, 0) + n
                        if link:
                            own_link[block] = own_link.get(block, 0) + n
                        if "," in tail:
                            commas[block] = commas.get(block, 0) + tail.count(",")
                tag = child.tag
                if not isinstance(tag, str) or tag in dead_tags:
                    continue
                if (
                    child.get("class") or child.get("style") or child.get("hidden") is not None
                ) and invisible(child):
                    continue
                child_block = child if tag in _BLOCKS else block
                child_link = link or tag == "a"
                parent_of[child] = el
                order.append(child)
                text = child.text
                if text:
                    n = len(text.strip())
                    if n:
                        own[child_block] = own.get(child_block, 0) + n
                        if child_link:
                            own_link[child_block] = own_link.get(child_block, 0) + n
                        if "," in text:
                            commas[child_block] = commas.get(child_block, 0) + text.count(",")
                if len(child):
                    stack.append((child, child_block, child_link))
        total = dict(own)
        total_link = dict(own_link)
        # Children were appended after their parents: backwards, every subtree is summed
        # before its parent takes it.
        for el in reversed(order):
            n = total.get(el, 0)
            if n:
                parent = parent_of[el]
                total[parent] = total.get(parent, 0) + n
                m = total_link.get(el, 0)
                if m:
                    total_link[parent] = total_link.get(parent, 0) + m
        self.own, self.own_link, self.commas = own, own_link, commas
        self.total, self.total_link = total, total_link
        self.order, self.parent = order, parent_of

    def plain(self, el: Element) -> int:
        """Characters of ``el``'s text outside links."""
        return self.total.get(el, 0) - self.total_link.get(el, 0)

    def link_density(self, el: Element) -> float:
        total = self.total.get(el, 0)
        return self.total_link.get(el, 0) / total if total else 0.0


def main_content(root: Element) -> Element:
    """The element holding the article.

    Readability-style: every block of 25 or more characters of its own, mostly unlinked
    text is a paragraph, scored 1 + its commas + one point per 100 characters (at most 3);
    its parent gets the score, its grandparent half. A container's score is then weighted
    by its class and id words (``articleBody``, ``content`` … up; ``comment``, ``sidebar``
    … down) and by the share of its text that is not links. The best container wins; when
    a sibling holds nearly as much, their parent. The headline is taken in when that costs
    little: an ancestor holding the page's ``<h1>`` and at most 30 % more unlinked text
    (a header with the date and a lead, not a sidebar), so that the body can start after
    the headline and the other fields find the article's header."""
    measure = _Measure(root)
    found = _best(measure)
    if found is None or measure.plain(found[1]) < 200:
        # Nothing outside page chrome reads like text: some pages put the whole article
        # in an <aside> or a <header> (broken nesting, odd templates). Count those too.
        measure = _Measure(root, _NOT_TEXT)
        found = _best(measure) or found
    if found is None:
        body = root.find("body")
        return body if body is not None else root
    top, best = found
    titled = _titled_article(root, best, measure)
    if titled is not None:
        return titled
    return _below_chrome(top, _with_headline(root, best, measure))


def _titled_article(root: Element, best: Element, measure: _Measure) -> Element | None:
    """On a page of several full ``<article>``s (infinite scroll appends the next stories
    below the one asked for), the one whose headline the page's ``<title>`` names, when the
    chosen text is in another one; None otherwise."""
    articles = [a for a in root.iter("article") if measure.plain(a) >= 500]
    if len(articles) < 2:
        return None
    title = _folded(text_of(root.find(".//title")))
    if not title:
        return None
    named = [a for a in articles if _names_article(a, title)]
    if len(named) != 1 or is_within(best, named[0]) or is_within(named[0], best):
        return None
    return named[0]


def _names_article(article: Element, title: str) -> bool:
    heading = next(article.iter("h1", "h2"), None)
    text = _folded(text_of(heading)) if heading is not None else None
    return text is not None and len(text) >= 10 and text in title


def _folded(text: str | None) -> str | None:
    return " ".join(text.casefold().split()) if text else None


def _best(measure: _Measure) -> tuple[Element, Element] | None:
    """The best-scoring container and what it grows to (see :func:`main_content`), or None
    without paragraphs."""
    scores: dict[Element, float] = {}
    own, own_link, commas, parent_of = measure.own, measure.own_link, measure.commas, measure.parent
    for block, n in own.items():
        if n < _MIN_PARAGRAPH or own_link.get(block, 0) > n * _LINKY:
            continue
        score = 1.0 + commas.get(block, 0) + min(n // 100, 3)
        if block.tag in _CONTAINERS:
            # Text directly in a container (old CMS, <br>-separated) scores the container.
            scores[block] = scores.get(block, 0.0) + score
        ancestor = parent_of.get(block)
        for divider in _DIVIDERS:
            if ancestor is None:
                break
            scores[ancestor] = scores.get(ancestor, 0.0) + score / divider
            ancestor = parent_of.get(ancestor)
    final: dict[Element, float] = {}
    for el, score in scores.items():
        if el.tag not in _NOT_CANDIDATES:
            final[el] = score * (1.0 + class_weight(el) / 100) * (1.0 - measure.link_density(el))
    if not final:
        return None
    ranked = sorted(final, key=final.__getitem__, reverse=True)
    top = ranked[0]
    best = _common_ancestor(top, ranked[1:5], final, measure)
    best = _climb(best, final, measure)
    return top, _with_siblings(best, final, measure)


# How much of a paragraph's score goes to its ancestors: all to the parent, half to the
# grandparent, then a third of that per level (Mozilla Readability's dividers).
_DIVIDERS = (1, 2, 6, 9, 12)
# A list or a table row holds items, not an article (a table cell may: layout tables).
_NOT_CANDIDATES = frozenset(
    {"html", "head", "ul", "ol", "dl", "li", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr"}
)
_CONTAINERS = frozenset({"div", "td", "section", "article", "main", "body", "blockquote"})


def _common_ancestor(
    best: Element, others: list[Element], final: dict[Element, float], measure: _Measure
) -> Element:
    """When three of the next best containers, each scoring at least three quarters of the
    best, sit in one ancestor with it, that ancestor: an article split into sections."""
    close = [el for el in others if final[el] >= final[best] * 0.75]
    if len(close) < 3:
        return best
    ancestor = measure.parent.get(best)
    while ancestor is not None and ancestor.tag not in ("body", "html"):
        if ancestor in final and sum(1 for el in close if is_within(el, ancestor)) >= 3:
            return ancestor
        ancestor = measure.parent.get(ancestor)
    return best


def _climb(best: Element, final: dict[Element, float], measure: _Measure) -> Element:
    """Up to an ancestor that scores higher than the level below it, as long as the
    ancestors in between keep a third of the best's score (the paragraphs of an article
    spread over several sections add up in their common ancestor)."""
    last = final.get(best, 0.0)
    threshold = last / 3
    parent = measure.parent.get(best)
    while parent is not None and parent.tag not in ("body", "html"):
        score = final.get(parent)
        if score is None:
            parent = measure.parent.get(parent)
            continue
        if score < threshold:
            break
        if score > last:
            best = parent
            break
        last = score
        parent = measure.parent.get(parent)
    # An only child says no more than its parent.
    parent = measure.parent.get(best)
    while (
        best.tag != "article"
        and parent is not None
        and parent.tag not in ("body", "html")
        and _only_child(best, parent)
    ):
        best, parent = parent, measure.parent.get(parent)
    return best


def _only_child(el: Element, parent: Element) -> bool:
    return sum(1 for c in parent if isinstance(c.tag, str)) == 1


def _with_siblings(best: Element, final: dict[Element, float], measure: _Measure) -> Element:
    """The lowest ancestor (up to five levels up) in which another branch also holds a
    container scoring at least a quarter of the best: an article whose paragraphs are split
    over several containers (an intro box, then the text; "chunks" between ad slots), as
    long as that ancestor is not mostly links."""
    best_score = final.get(best, 0.0)
    threshold = max(6.0, best_score * 0.25)
    chain: dict[Element, int] = {best: 0}
    el = measure.parent.get(best)
    while el is not None and el.tag not in ("body", "html") and len(chain) <= 5:
        chain[el] = len(chain)
        el = measure.parent.get(el)
    lowest = len(chain)
    for candidate, score in final.items():
        if score < threshold or candidate in chain:
            continue
        parent = measure.parent.get(candidate)
        while parent is not None and parent not in chain:
            parent = measure.parent.get(parent)
        if parent is None or parent is best:
            continue
        level = chain[parent]
        if level < lowest and measure.link_density(parent) < 0.35:
            lowest = level
    if lowest == len(chain):
        return best
    return next(el for el, level in chain.items() if level == lowest)


def _with_headline(root: Element, best: Element, measure: _Measure) -> Element:
    """``best``, or the nearest ancestor that is an ``<article>`` or holds an ``<h1>`` (the
    article's headline: the nearest one, not the site's logo heading at the top) when that
    adds at most 30 % more unlinked text (a header with a date line and a lead): the body
    starts after the headline, and the other fields look for the header in the scope."""
    del root  # the headline is looked for around ``best``
    if best.tag == "article":
        return best
    wants_headline = _headline_before(best, best) is None
    budget = measure.plain(best) * _WIDEN + 200
    el = measure.parent.get(best)
    for _ in range(5):
        if el is None or el.tag in ("body", "html") or measure.plain(el) > budget:
            break
        if el.tag == "article" or (wants_headline and _headline_before(el, best) is not None):
            return el
        el = measure.parent.get(el)
    return best


def _headline_before(el: Element, best: Element) -> Element | None:
    """The first ``<h1>`` with text in ``el`` that comes before ``best``'s text (a headline
    heads its article; an ``<h1>`` in a box after it is not the article's), or inside
    ``best`` when ``el`` is ``best``."""
    for h in el.iter("h1", best.tag):
        if h is best and el is not best:
            return None
        if h.tag == "h1" and not inside(h, CHROME) and text_of(h):
            return h
    return None


def _below_chrome(top: Element, chosen: Element) -> Element:
    """``chosen`` (``top`` or an ancestor of it), or the highest element between them that
    is not inside page chrome: :func:`body_text` does not enter an ``<aside>`` or a
    ``<header>`` below its scope, so the scope must not sit above one that holds the text
    (pages that put the whole article in an ``<aside>``)."""
    result = top
    el = top.getparent()
    while el is not None and result is not chosen:
        if el is chosen:
            return chosen
        if el.tag in NOT_BODY:
            return result
        result, el = el, el.getparent()
    return chosen


def body_text(
    scope: Element,
    *,
    skip: Collection[Element] = (),
    teaser: str | None = None,
    after: Element | None = None,
) -> str | None:
    """The paragraphs of ``scope``, in page order, separated by blank lines.

    A paragraph is the text of a block (``<p>``, a sub-heading, a list item, a quote) or a
    run of text between blocks (``<br><br>``-separated text of an old CMS). Left out: page
    chrome, figures and the headline's header; hidden elements; containers whose class or
    id says they are comments, share bars, related links, newsletters and the like (unless
    they hold most of the text); link lists and teaser cards of other articles; captions,
    image credits and "Anzeige" lines; everything in ``skip``, everything before ``after``
    (the headline: a kicker or date line above it is no body — but prose above it is, the
    "headline" then being an ``<h1>`` used as a sub-heading) and a first paragraph that
    only repeats the teaser. One walk over the tree: a block taken or refused is not looked
    into again."""
    walker = _Walker(scope, skip, after)
    walker.walk(scope)
    walker.flush()
    paragraphs = walker.paragraphs
    start = walker.headline_at
    if start is not None and not _prose(paragraphs[:start]):
        paragraphs = paragraphs[start:]
    kept: list[tuple[str, str]] = []
    for tag, text in paragraphs:
        if teaser and not kept and text == teaser:
            continue
        if boilerplate_line(text):
            continue
        kept.append((tag, text))
    kept = _drop_related(kept)
    # A heading with nothing after it heads a share bar or a link list, not text; a press
    # contact closes a press release, it is not its text.
    while kept and (kept[-1][0] in HEADINGS or CONTACT.match(kept[-1][1])):
        kept.pop()
    return "\n\n".join(text for _, text in kept) or None


def _prose(paragraphs: list[tuple[str, str]]) -> bool:
    """Whether these paragraphs hold prose: 400 characters in paragraphs of 80 or more."""
    return sum(len(text) for _, text in paragraphs if len(text) >= 80) >= 400


def _drop_related(paragraphs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop a "Mehr zum Thema" / "Related" heading and the short lines under it (the titles
    of other articles) up to the next heading or the first real paragraph."""
    out: list[tuple[str, str]] = []
    dropping = False
    for tag, text in paragraphs:
        if is_related_heading(text):
            dropping = True
            continue
        if dropping:
            if tag in HEADINGS or (len(text) > 150 and text.endswith((".", "!", "?", '"', "“"))):
                dropping = False
            else:
                continue
        out.append((tag, text))
    return out


class _Walker:
    """Collects paragraphs: a block's inline text is one paragraph (split at ``<br><br>``);
    nested blocks start their own."""

    def __init__(self, scope: Element, skip: Collection[Element], after: Element | None):
        self.scope = scope
        self.skip = skip
        self.after = after
        # Until the headline is met: then where it stood among the paragraphs.
        self.pending = after is not None and is_within(after, scope)
        self.headline_at: int | None = None
        self.paragraphs: list[tuple[str, str]] = []
        self.run: list[str] = []
        self.run_link = 0
        self.run_tag = "p"
        self._scope_text: int | None = None

    # -- runs of inline text -------------------------------------------------------------

    def add(self, text: str | None, link: bool) -> None:
        if text:
            self.run.append(text)
            if link:
                self.run_link += len(text.strip())

    def flush(self, tag: str = "p") -> None:
        if not self.run:
            return
        raw = "".join(self.run)
        link_chars = self.run_link
        self.run, self.run_link = [], 0
        parts = raw.split("\n\n") if "\n" in raw else [raw]
        texts = [t for t in (clean_text(p) for p in parts) if t]
        if not texts:
            return
        total = sum(len(t.replace(" ", "")) for t in texts)
        if link_chars and _link_dominated(link_chars, total, texts):
            return
        for text in texts:
            self.paragraphs.append((self.run_tag if len(texts) == 1 else "p", text))
        self.run_tag = tag

    # -- the walk ------------------------------------------------------------------------

    def walk(self, el: Element, link: bool = False) -> None:
        """Walk ``el``'s content (its text, children and their tails)."""
        self.add(el.text, link)
        for child in el:
            tag = child.tag
            if isinstance(tag, str):
                self.visit(child, tag, link)
            self.add(child.tail, link)

    def visit(self, el: Element, tag: str, link: bool) -> None:
        if self.pending:
            after = self.after
            assert after is not None
            # The headline, or its own header (kicker, date, byline): no body.
            if el is after or ((tag in NOT_BODY or el in self.skip) and is_within(after, el)):
                self.flush()
                self.pending = False
                self.headline_at = len(self.paragraphs)
                return
        if tag == "br":
            self.run.append("\n\n" if self._double_br(el) else " ")
            return
        if el in self.skip or tag in NOT_BODY or invisible(el):
            if tag in _BLOCKS or el in self.skip:
                self.flush()
            return
        if tag not in _BLOCKS:
            self.walk(el, link or tag == "a")
            return
        self.flush()
        if el is not self.scope and self._refused(el, tag):
            return
        if tag in ("ul", "ol", "dl", "table", "tbody"):
            self._list(el, link)
            return
        self.run_tag = tag
        self.walk(el, link)
        self.flush()

    def _list(self, el: Element, link: bool) -> None:
        """A list whose items are mostly links is a link list (related articles, a menu):
        left out whole, so that the odd item without a link does not stay behind."""
        start = len(self.paragraphs)
        self.walk(el, link)
        self.flush()
        items = len(list(el.iter("li", "tr", "dd")))
        taken = len(self.paragraphs) - start
        if items >= 3 and taken * 2 < items:
            del self.paragraphs[start:]

    def _double_br(self, br: Element) -> bool:
        """A ``<br>`` followed (after whitespace only) by another: a paragraph break."""
        if (br.tail or "").strip():
            return False
        nxt = br.getnext()
        return nxt is not None and nxt.tag == "br"

    def _refused(self, el: Element, tag: str) -> bool:
        verdict = negative_container(el)
        if verdict == "strong" and not self._holds_most(el):
            return True
        if verdict == "weak" and _chars(el) < 200:
            return True
        return _teaser_card(el, tag)

    def _holds_most(self, el: Element) -> bool:
        """Whether ``el`` holds at least half of the scope's text: a wrapper with an
        unlucky class word ("content has-sidebar"), not a comment box."""
        if self._scope_text is None:
            self._scope_text = _chars(self.scope)
        return _chars(el) * 2 >= self._scope_text


def _chars(el: Element) -> int:
    """Characters of the element's text, whitespace runs counted once (libxml2 counts)."""
    return int(_TEXT_LENGTH(el))


_TEXT_LENGTH = etree.XPath("string-length(normalize-space())")


def _link_dominated(link_chars: int, total: int, texts: list[str]) -> bool:
    """A run that is mostly link text: a menu entry, a "read more", another article's
    title. A long sentence that happens to be linked stays."""
    if link_chars >= total * 0.8:
        return True
    if link_chars >= total * _LINKY:
        return not any(len(t) > 100 and t.endswith((".", "!", "?")) for t in texts)
    return False


def _teaser_card(el: Element, tag: str) -> bool:
    """A small container that is another article's teaser: headed by a linked heading, or
    linking one address twice (the teaser's image and its title) with its first text a
    link (the title)."""
    if tag not in ("div", "article", "section", "li"):
        return False
    heading = next(el.iter("h2", "h3", "h4", "h5", "h6"), None)
    if heading is not None and (heading.find(".//a") is not None or _in_link(heading)):
        # Counted by libxml2 (a page of 100,000 teasers: text_of per heading and link costs
        # seconds); whitespace runs count once, as in _chars.
        heading_chars = _chars(heading)
        link_chars = sum(_chars(a) for a in heading.iter("a")) or heading_chars
        return link_chars * 10 >= heading_chars * 8 and _chars(el) < 600
    hrefs = [a.get("href") for a in el.iter("a")]
    if len(hrefs) < 2 or len(set(hrefs)) == len(hrefs) or _chars(el) >= 400:
        return False
    first = next((t for t in el.itertext() if t.strip()), None)
    return first is not None and any(
        (a.text or "").strip() == first.strip() for a in el.iter("a") if a.get("href")
    )


def _in_link(el: Element) -> bool:
    parent = el.getparent()
    return parent is not None and parent.tag == "a"
