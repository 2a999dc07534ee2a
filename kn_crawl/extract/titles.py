"""Title rules: the page's headline without the site's name, and its kicker kept apart.

A page states its title up to four times: the ``<h1>`` a reader sees, ``og:title`` (or
``twitter:title``), the JSON-LD ``headline`` and the ``<title>`` of the browser tab, which is
usually "Headline | Site". None of them is right everywhere: the ``<h1>`` may be the site's
logo or a section name, ``og:title`` may carry a kicker ("Kicker: Headline"), and the
``<title>``'s site name varies by site. So they are compared (:func:`choose_title`): the
``<h1>`` wins when another signal confirms it, a reference title wins when the ``<h1>`` is
plainly not a headline. Site names come from ``og:site_name`` / the JSON-LD publisher and,
in a crawl, from the source's other pages (:class:`SiteTitles`: a segment at the same end of
the ``<title>`` of several pages is the site's name).

Pure functions of strings, plus that one small state holder.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from kn_crawl.text import clean_text

# "Titel | Site", "Titel - Site", "Titel – Site", "Titel :: Site", "Titel · Site", "Titel » Site".
# Not "/": "Band 14 / Kapitel 121" is one title.
TITLE_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|::|·|•|»|«|›|‹)\s+")
# A site's name in a <title> is a few words without a sentence's punctuation ("Die PARTEI
# Lübeck", "BMEIA, Außenministerium Österreich", "BRIGITTE.de").
SITE_LABEL_WORDS = 4
SENTENCE_MARK = re.compile(r"[?!:]|\.(?:\s|$)")
# "Kicker: Headline" in an og:title or a <title>.
KICKER_SEPARATOR = re.compile(r"\s*:\s+")
# A kicker is a short line (K21's longest: ~60 characters).
MAX_KICKER = 80
# An <h1> of at most this many words that no other signal confirms is a logo or a section
# name ("Pressemitteilungen", "CNN"), not the article's headline.
LABEL_WORDS = 3
# A <title> affix seen on this many pages of a source is the source's name.
LEARNED_AFTER = 2

_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str | None) -> str:
    """``text`` for comparing titles: NFC, case-folded, punctuation and quotes as spaces."""
    if not text:
        return ""
    return " ".join(_NOT_WORD.sub(" ", unicodedata.normalize("NFC", text).casefold()).split())


def segments(title: str) -> list[str]:
    """A title split at its separators (``"A | B - C"`` → ``["A", "B", "C"]``)."""
    return [p for p in TITLE_SEPARATOR.split(title) if p.strip()]


def clean_title(
    title: str | None, site_names: Iterable[str], learned: Collection[str] = ()
) -> str | None:
    """A ``<title>`` or ``og:title`` without the site's name: ``"X | Site"``, ``"Site - X"``,
    ``"X - Rubrik - Site"``. Parts equal to a known site name (or to an affix ``learned`` from
    the source's other pages, as :func:`fold` keys) go, at either end; then short trailing
    parts (one or two words without sentence punctuation: a section, a site's short name)
    go — a longer one may be the rest of a title that holds a dash."""
    title = clean_text(title)
    if not title:
        return None
    parts = segments(title)
    if not parts:
        return None
    names = {fold(n) for n in site_names if n} | set(learned)
    names.discard("")

    def known(part: str) -> bool:
        return fold(part) in names

    if len(parts) > 1 and known(parts[0]):
        # "Site - Rubrik - Title" (Government Site Builder): the site first, then sections.
        while len(parts) > 1 and (known(parts[0]) or _short_label(parts[0])):
            parts.pop(0)
    while len(parts) > 1 and (
        known(parts[-1]) or _short_label(parts[-1]) or _site_label(parts[-1], parts[:-1])
    ):
        parts.pop()
    while len(parts) > 1 and known(parts[0]):
        parts.pop(0)
    return clean_text(_join_parts(title, parts))


def _short_label(part: str) -> bool:
    return len(part.split()) <= 2 and not SENTENCE_MARK.search(part)


def _site_label(part: str, rest: list[str]) -> bool:
    """A trailing part of a few words, no sentence, at most half as long as the title before
    it: the site's name ("Headline … | Die PARTEI Lübeck")."""
    words = len(part.split())
    return (
        words <= SITE_LABEL_WORDS
        and not SENTENCE_MARK.search(part)
        and 2 * len(part) <= len(" ".join(rest))
    )


def _join_parts(title: str, parts: list[str]) -> str:
    """The span of ``title`` from its first kept part to its last (separators as written)."""
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end] if 0 <= start < end else " ".join(parts)


def confirms(reference: str | None, headline: str | None) -> bool:
    """Whether a reference title (og:title, ``<title>``, JSON-LD headline) confirms a
    headline: the same words, or the same words as the reference's leading or trailing
    segments ("Headline | Site", "Site - Headline", "Kicker: Headline") — not merely words
    inside it ("WordPress.com" in "Headline — The WordPress.com Blog")."""
    ref, head = fold(reference), fold(headline)
    if not ref or not head:
        return False
    if ref == head:
        return True
    if len(head) < 12 or not reference:  # "News" of "News | Site" confirms nothing
        return False
    parts = [p for p in re.split(r"\s+(?:\||-|–|—|::|·|•|»|«|›|‹)\s+|:\s+", reference) if p]
    for i in range(1, len(parts)):
        if head in (fold(" ".join(parts[:i])), fold(" ".join(parts[i:]))):
            return True
    return False


def is_label(headline: str, references: Iterable[str | None], site_names: Iterable[str]) -> bool:
    """An ``<h1>`` that is no headline: a site name, or a short line (a logo's text, a section
    name) that no reference title confirms while one exists that is longer."""
    head = fold(headline)
    if head in {fold(n) for n in site_names if n}:
        return True
    refs = [r for r in references if r]
    if not refs or any(confirms(r, headline) for r in refs):
        return False
    return word_count(headline) <= LABEL_WORDS and any(
        word_count(fold(r)) > word_count(head) for r in refs
    )


def _ideographic(char: str) -> bool:
    """A character of a script written without spaces between words (Chinese, Japanese)."""
    return (
        "\u3040" <= char <= "\u30ff" or "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"
    )


def word_count(text: str) -> int:
    """Words of ``text``: what spaces separate, and in Chinese or Japanese, which set no
    spaces, one word per two characters (their words' usual length): an 18-character Chinese
    headline is no three-word label."""
    count = 0
    for word in text.split():
        ideographs = sum(1 for c in word if _ideographic(c))
        count += max(1, (ideographs + 1) // 2)
    return count


def split_reference_kicker(reference: str | None, headline: str) -> str | None:
    """The kicker of a reference title that is "Kicker: Headline" (or "Kicker - Headline")
    for the page's headline, else None."""
    ref = clean_text(reference)
    if not ref:
        return None
    for sep in (KICKER_SEPARATOR, TITLE_SEPARATOR):
        parts = sep.split(ref, maxsplit=1)
        if len(parts) == 2 and fold(parts[1]) == fold(headline) and fold(parts[0]) != "":
            kicker = clean_text(parts[0])
            if kicker and len(kicker) <= MAX_KICKER:
                return kicker
    return None


def strip_glued_kicker(headline: str, references: Iterable[str | None]) -> tuple[str | None, str]:
    """``(kicker, headline)`` for an ``<h1>`` whose text is a kicker glued to a headline that a
    reference title states alone ("Digitalisierung Stadt startet App" with og:title "Stadt
    startet App"): the reference is the headline, the short rest before it the kicker."""
    head = fold(headline)
    for reference in references:
        ref = fold(reference)
        if not reference or len(ref) < 12 or ref == head or not head.endswith(" " + ref):
            continue
        # Where the reference starts in the headline as written (a word boundary).
        for m in re.finditer(r"\s+", headline):
            title = clean_text(headline[m.end() :].lstrip(" :|–—-"))
            if fold(title) != ref:
                continue
            kicker = clean_text(headline[: m.start()].rstrip(" :|–—-"))
            if kicker and title and len(kicker) <= MAX_KICKER:
                return kicker, title
    return None, headline


def best_reference(
    references: Iterable[str | None], site_names: Iterable[str], learned: Collection[str] = ()
) -> str | None:
    """The title when there is no usable ``<h1>``: the first reference (in the caller's order:
    og:title, JSON-LD headline, ``<title>``) that is left after removing site names, preferring
    one that another reference confirms."""
    names = list(site_names)
    cleaned = [clean_title(r, names, learned) for r in references if r]
    cleaned = [c for c in cleaned if c and fold(c) not in {fold(n) for n in names if n}]
    for i, title in enumerate(cleaned):
        if any(confirms(other, title) for j, other in enumerate(cleaned) if j != i):
            return title
    return cleaned[0] if cleaned else None


@dataclass
class SiteTitles:
    """What a crawl learns about one source's ``<title>`` layout: how often each first and
    last segment occurred (as :func:`fold` keys). A segment at the same end on
    :data:`LEARNED_AFTER` pages with different titles is the site's name. Kept per source for
    one run by the source's family object; pages read before the evidence exists are read
    without it (the ``<h1>`` and og:title decide on most pages anyway)."""

    first: Counter[str] = field(default_factory=Counter)
    last: Counter[str] = field(default_factory=Counter)
    seen: set[str] = field(default_factory=set)

    def learn(self, title: str | None) -> None:
        """Count the affixes of one page's ``<title>`` (each distinct title once)."""
        key = fold(title)
        if not key or key in self.seen or len(self.seen) > 10_000:
            return
        self.seen.add(key)
        parts = segments(clean_text(title) or "")
        if len(parts) < 2:
            return
        self.first[fold(parts[0])] += 1
        self.last[fold(parts[-1])] += 1

    def affixes(self) -> frozenset[str]:
        """The segments learned to be the site's name."""
        return frozenset(
            k
            for counter in (self.first, self.last)
            for k, n in counter.items()
            if n >= LEARNED_AFTER
        )
