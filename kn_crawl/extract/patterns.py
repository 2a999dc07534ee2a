"""Catalogue article-URL patterns, matched against URLs the site chose.

A pattern with nested repetition (``^/a/(x+)+$``) backtracks for ever on a URL the site
controls; Python's ``re`` cannot be interrupted, so one feed entry would freeze the crawl.
Patterns are therefore compiled and matched with the ``regex`` module, whose ``timeout``
ends a match: a timeout counts as no match, and is told once per process as a note
(``pattern_timeout``). The text searched is capped too (no URL of an article is longer).
"""

from __future__ import annotations

from functools import lru_cache

import regex

# Seconds one match may take; a sane pattern needs microseconds.
MATCH_TIMEOUT = 0.05
# Characters of a URL's path and query searched (the rest is not looked at).
MAX_URL_CHARS = 2048

Note = tuple[str, str]


def compile_pattern(text: str) -> regex.Pattern[str]:
    """``text`` compiled the way the crawl matches it (``regex.error`` if it is none)."""
    return regex.compile(text, regex.VERSION0)


class ArticlePattern:
    """A catalogue ``article_pattern``, searched with a time limit."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.compiled = compile_pattern(text)
        self.timeouts = 0
        self._told = False

    def search(self, text: str) -> bool:
        """Whether the pattern occurs in ``text`` (a timeout: no)."""
        try:
            found = self.compiled.search(text[:MAX_URL_CHARS], timeout=MATCH_TIMEOUT)
        except TimeoutError:
            self.timeouts += 1
            return False
        return found is not None

    def take_notes(self) -> list[Note]:
        """The ``pattern_timeout`` note, the first time there is one to tell."""
        if self.timeouts == 0 or self._told:
            return []
        self._told = True
        detail = (
            f"the article pattern {self.text!r} took over {MATCH_TIMEOUT} s on a URL: "
            "counted as no match (a pattern with nested repetition?)"
        )
        return [("pattern_timeout", detail)]


@lru_cache(maxsize=256)
def article_pattern(text: str) -> ArticlePattern:
    """The one ``ArticlePattern`` of ``text`` in this process (its note is told once)."""
    return ArticlePattern(text)
