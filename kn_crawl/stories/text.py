"""What a story's sketch is made of: the article's normalised title, teaser and body, cut into
overlapping word n-grams (shingles). Pure functions.

Word 3-grams, measured on the labelled set (``bench/bench_stories.py``, ``bench/README.md``):
their exact Jaccard keeps the loosest republication (0.449) above the closest pair of different
stories (0.419); word 2-grams put a pair of different stories (0.457) above a republication
(0.487 is close), 4-grams invert the two (0.374 against 0.382); character 5-grams separate them
too (0.618 against 0.551) at five times the shingles to hash per article.
"""

from __future__ import annotations

import re
import unicodedata

SHINGLE_WORDS = 3
"""Words per shingle (measured: see the module docstring)."""

_NON_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Case-folded words separated by single spaces: punctuation, quotes, dashes and layout
    are what editors change when they republish, not what a text says."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).replace("_", " ").split())


def story_text(title: str, teaser: str | None, body: str | None) -> str:
    """The text an article is compared by: title, teaser and body, normalised."""
    return normalise(" ".join(part for part in (title, teaser, body) if part))


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The set of ``size``-word n-grams of normalised ``text``; a text shorter than ``size``
    words is one shingle (an empty text none)."""
    words = text.split()
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def shingle_bytes(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """:func:`shingles`, UTF-8 encoded (what the sketch hashes): the text is encoded once
    instead of every shingle on its own."""
    words = text.encode("utf-8").split()
    if len(words) <= size:
        return {b" ".join(words)} if words else set()
    return {b" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}
