"""The article's main text: which element holds it, and its paragraphs.

:func:`main_content` finds the element holding the article; :func:`body_text` reads its
paragraphs without page chrome. Pure functions of a parsed tree, used by the generic
extractor (:mod:`kn_crawl.extract.generic`) and by catalogue selectors for a body.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from kn_crawl.extract.dom import Element, has_block_children, inside, is_within, text_of

# Never article text: page chrome, and the article's own furniture.
NOT_BODY = frozenset(
    {"nav", "aside", "footer", "form", "figure", "figcaption", "header", "script", "style",
     "noscript", "template", "button", "select", "iframe", "svg"}
)  # fmt: skip
HEADINGS = frozenset({"h2", "h3", "h4", "h5"})
BODY_BLOCKS = ("p", "h2", "h3", "h4", "h5", "li", "blockquote", "pre", "dd")
CHROME = frozenset({"nav", "aside", "footer", "form", "script", "style", "noscript", "template"})
CONTACT = re.compile(r"^(?:Pressekontakt|Kontakt|Ansprechpartner(?:in)?|Pressestelle)\s*:")


def main_content(root: Element) -> Element:
    """The element holding the article: the ``<article>`` with the most paragraph text, else
    ``<main>`` (or ``role=main``), else the element whose own paragraphs hold the most text."""
    articles = [a for a in root.iter("article") if not inside(a, CHROME)]
    if articles:
        best = max(articles, key=_paragraph_text)
        if _paragraph_text(best) > 0 or len(articles) == 1:
            return best
    for el in root.iter("main", "div", "section"):
        if el.tag == "main" or (el.get("role") or "").lower() == "main":
            return el
    scores: dict[Element, int] = {}
    for p in root.iter("p"):
        parent = p.getparent()
        if parent is None or inside(p, CHROME):
            continue
        scores[parent] = scores.get(parent, 0) + len(text_of(p) or "")
    if scores:
        return max(scores, key=lambda el: scores[el])
    body = root.find("body")
    return body if body is not None else root


def _paragraph_text(el: Element) -> int:
    return sum(len(text_of(p) or "") for p in el.iter("p") if not inside(p, CHROME))


def body_text(
    scope: Element,
    *,
    skip: Collection[Element] = (),
    teaser: str | None = None,
    after: Element | None = None,
) -> str | None:
    """The paragraphs of ``scope``, in page order, separated by blank lines: ``<p>``,
    sub-headings, list items, quotes, and text-only ``<div>``s; nothing inside page chrome,
    figures or the headline's header, nothing in ``skip``, nothing before ``after`` (the
    headline: a kicker or date line above it is no body) and no first paragraph that only
    repeats the teaser. One walk over the tree (a page of 20,000 paragraphs is read in well
    under a second): a block taken or refused is not looked into again."""
    paragraphs: list[tuple[str, str]] = []
    started = after is None or not is_within(after, scope)
    stack = [iter(scope)]
    while stack:
        el = next(stack[-1], None)
        if el is None:
            stack.pop()
            continue
        if not isinstance(el.tag, str):
            continue
        if not started:
            # Before the headline: only the branch that holds it is walked into.
            if after is not None and is_within(after, el):
                started = el is after or el in skip or el.tag in NOT_BODY
                if not started:
                    stack.append(iter(el))
            continue
        if el in skip or el.tag in NOT_BODY:
            continue
        if el.tag not in BODY_BLOCKS and not (el.tag == "div" and not has_block_children(el)):
            stack.append(iter(el))
            continue
        text = text_of(el)
        if not text or (skip and _only_skipped(el, text, skip)):
            continue
        if teaser and not paragraphs and text == teaser:
            continue
        if _link_only(el, text):
            continue
        paragraphs.append((el.tag, text))
    # A heading with nothing after it heads a share bar or a link list, not text; a press
    # contact closes a press release, it is not its text.
    while paragraphs and (paragraphs[-1][0] in HEADINGS or CONTACT.match(paragraphs[-1][1])):
        paragraphs.pop()
    return "\n\n".join(text for _, text in paragraphs) or None


def _only_skipped(el: Element, text: str, skip: Collection[Element]) -> bool:
    """A block whose text is all in skipped elements (a metadata line a selector took)."""
    inner = [d for d in el.iterdescendants() if d in skip]
    if not inner:
        return False
    rest = text
    for d in inner:
        rest = rest.replace(text_of(d) or "", "", 1)
    return not rest.strip()


def _link_only(el: Element, text: str) -> bool:
    """A short block that is nothing but a link: "nach oben", a share button, a tag."""
    if len(text) > 40 or text.endswith((".", "!", "?")):
        return False
    links = "".join(text_of(a) or "" for a in el.iter("a"))
    return bool(links) and len(links.replace(" ", "")) >= len(text.replace(" ", ""))
