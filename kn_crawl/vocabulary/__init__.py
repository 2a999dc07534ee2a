"""The vocabulary of the field: Stichwörter for articles whose sources give none (or few).

``terms.toml`` (bundled) lists several hundred terms — laws, programmes, systems, bodies,
topics, the Länder, Landkreise and larger cities — and ``KN_VOCABULARY_FILE`` extends it.
:func:`vocabulary_tags` says which of them an article names; :func:`apply_vocabulary` adds
them to an item, marking each ``tag_origins[tag] = "vocabulary"``.

How this relates to ``kn_crawl/alerts/aliases.toml``: that file says which Stichwörter mean
the same for alerts (``OZG`` = ``Onlinezugangsgesetz``), whoever gave them; this one says
which words in a text make an article carry a Stichwort. A term's aliases here are spellings
to look for; its name is the one Stichwort given. No two terms here are synonyms there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from kn_crawl.items import VOCABULARY, ArticleItem
from kn_crawl.settings import ConfigError
from kn_crawl.vocabulary.matching import Matcher, compile_terms
from kn_crawl.vocabulary.terms import Term, load_terms

__all__ = [
    "VOCABULARY",
    "Matcher",
    "Term",
    "apply_vocabulary",
    "check_vocabulary",
    "load_matcher",
    "vocabulary_tags",
]


@lru_cache(maxsize=4)
def load_matcher(user_file: Path | None = None) -> Matcher:
    """The compiled vocabulary: the bundled terms extended by ``user_file``
    (``Settings.vocabulary_file``). ``ConfigError`` with file and line when a file is bad."""
    terms = load_terms(user_file)
    try:
        return compile_terms(terms)
    except ValueError as exc:  # a spelling of two terms: the message names file and line
        raise ConfigError(str(exc)) from None
    except (RecursionError, re.error) as exc:
        # A pattern the engine refuses or nests too deep (spellings are capped in length, so
        # this is a last resort): still one line, not a traceback per page.
        where = f"KN_VOCABULARY_FILE {user_file}" if user_file else "bundled terms.toml"
        raise ConfigError(f"{where}: the vocabulary does not compile ({exc})") from None


def check_vocabulary(user_file: Path | None) -> None:
    """Refuse a bad ``user_file`` (``ConfigError``: file, line, what): the commands that tag
    call it when they start. It compiles the vocabulary (cached, so the crawl does not pay
    twice), so whatever compiling refuses is one line at start-up, not one traceback per
    page."""
    load_matcher(user_file)


def vocabulary_tags(
    title: str | None,
    teaser: str | None,
    body: str | None,
    matcher: Matcher,
    *,
    given: Iterable[str] = (),
) -> list[str]:
    """The vocabulary's Stichwörter for an article's text (see ``matching``), leaving out the
    terms a ``given`` tag already names."""
    return matcher.tags(title, teaser, body, given=given)


def apply_vocabulary(item: ArticleItem, matcher: Matcher) -> ArticleItem:
    """Add the vocabulary's Stichwörter to ``item`` after the source's own, in place
    (idempotent). A tag the site or feed gave keeps its origin."""
    given = [t for t in item.tags if item.tag_origins.get(t) != VOCABULARY]
    found = vocabulary_tags(item.title, item.teaser, item.body, matcher, given=given)
    item.tags = given + found
    origins = {t: o for t, o in item.tag_origins.items() if t in given}
    origins.update(dict.fromkeys(found, VOCABULARY))
    item.tag_origins = origins
    item.vocabulary_applied = True
    return item
