"""Catalogue article patterns: matched with ``regex`` and a time limit (kn_crawl.extract.patterns),
and checked at load with the same module (kn_crawl.catalog.checks.check_regex)."""

from __future__ import annotations

import pytest

from kn_crawl.catalog.checks import BadValue, check_regex
from kn_crawl.extract.patterns import MAX_URL_CHARS, ArticlePattern

TIMEOUT_NOTE = (
    "pattern_timeout",
    "the article pattern '^/a/(x|xx)+$' took over 0.05 s on a URL: counted as no match "
    "(a pattern with nested repetition?)",
)


@pytest.mark.parametrize(
    ("pattern", "text", "found", "notes"),
    [
        ("^/a/(x|xx)+$", "/a/xxx", True, []),
        ("^/a/(x|xx)+$", "/a/xxy", False, []),
        ("^/a/(x|xx)+$", "/a/" + 40 * "x" + "y", False, [TIMEOUT_NOTE]),  # backtracks for ever
        (r"^/node/\d+$", "/node/12", True, []),
        (r"-a-[0-9a-f]{4}/$", "/slug-a-00ff/", True, []),
        # Only the first MAX_URL_CHARS characters are searched.
        ("y$", "/" + (MAX_URL_CHARS - 2) * "x" + "y", True, []),
        ("y$", "/" + MAX_URL_CHARS * "x" + "y", False, []),
    ],
)
def test_article_pattern_search(
    pattern: str, text: str, found: bool, notes: list[tuple[str, str]]
) -> None:
    compiled = ArticlePattern(pattern)
    assert compiled.search(text) is found
    assert compiled.take_notes() == notes
    compiled.search(text)
    assert compiled.take_notes() == []  # told once per process


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("^/a/(x|xx)+$", None),
        (r"^/aktuelles/details/[a-z0-9-]+$", None),
        (r"\p{Lu}", None),  # regex's syntax is the syntax used
        ("^/a/(", "'^/a/(' is not a regular expression: missing ) at position 5"),
        ("[z-a]", "'[z-a]' is not a regular expression: bad character range at position 4"),
    ],
)
def test_check_regex(value: str, error: str | None) -> None:
    if error is None:
        assert check_regex(value) == value
    else:
        with pytest.raises(BadValue) as raised:
            check_regex(value)
        assert str(raised.value) == error
