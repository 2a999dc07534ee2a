"""Matching a parsed query against one article in Python (alerts, "why it matched") and
marking the matched words in a text (snippets, highlighting) — the same rules the SQL
backends apply to title, kicker and teaser."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from kn_crawl.query.fold import fold_with_map, tokens
from kn_crawl.query.model import PART_MIN_LENGTH, Query, Term
from kn_crawl.tags import tag_key

__all__ = ["Match", "highlight", "match_article", "snippet"]

_W = r"[^\W_]"


@dataclass(frozen=True, slots=True)
class Match:
    """Why an article matched: the query's words and phrases found in it, as typed."""

    terms: tuple[str, ...]


@lru_cache(maxsize=2048)
def _pattern(folded_tokens: tuple[str, ...], parts: bool) -> re.Pattern[str]:
    """A regex over *folded* text for a term (see ``Term`` for the rules)."""
    if len(folded_tokens) == 1:
        token = re.escape(folded_tokens[0])
        # Long words match anywhere inside a word (its start, or a compound part); short ones
        # only as a whole word ("KI" is not "Kinder").
        return re.compile(token if parts else rf"(?<!{_W}){token}(?!{_W})")
    inner = r"[\W_]+".join(re.escape(t) for t in folded_tokens)
    return re.compile(rf"(?<!{_W}){inner}(?!{_W})")


def _term_pattern(term: Term) -> re.Pattern[str]:
    return _pattern(term.tokens, term.matches_parts)


def _folded(text: str) -> str:
    return fold_with_map(text)[0]


def match_article(
    query: Query,
    *,
    title: str,
    kicker: str | None,
    teaser: str | None,
    tags: Sequence[str] = (),
    source: str | None = None,
    section: str | None = None,
    published_at: datetime | None = None,
) -> Match | None:
    """The ``Match`` if the article satisfies ``query``, else None.

    Words and phrases are looked for in title, kicker and teaser (folded: case, umlauts and
    ß do not matter). Stichwörter, source and section compare by their normalised keys.
    A query without words (only filters, or empty) matches with ``Match(terms=())``.
    """
    if not _filters_hold(query, tags, source, section, published_at):
        return None
    haystack = "\n".join(_folded(part) for part in (title, kicker, teaser) if part)
    if any(_term_pattern(term).search(haystack) for term in query.excluded):
        return None
    found: list[str] = []
    for group in query.groups:
        hits = [term.text for term in group if _term_pattern(term).search(haystack)]
        if not hits:
            return None
        found.extend(hit for hit in hits if hit not in found)
    return Match(terms=tuple(found))


def _filters_hold(
    query: Query,
    tags: Sequence[str],
    source: str | None,
    section: str | None,
    published_at: datetime | None,
) -> bool:
    # Synonyms are one Stichwort, as in the SQL search (kn_crawl.search.filters.synonym_keys).
    from kn_crawl.alerts.vocabulary import configured_vocabulary

    concept = configured_vocabulary().key
    tag_keys = {concept(t) for t in tags}
    if any(concept(t) not in tag_keys for t in query.tags):
        return False
    if any(concept(t) in tag_keys for t in query.excluded_tags):
        return False
    if not _one_of(source, query.sources, query.excluded_sources):
        return False
    if not _one_of(section, query.sections, query.excluded_sections):
        return False
    if query.since is not None and (published_at is None or published_at < query.since):
        return False
    return not (query.until is not None and (published_at is None or published_at >= query.until))


def _one_of(value: str | None, wanted: Sequence[str], unwanted: Sequence[str]) -> bool:
    key = tag_key(value) if value else None
    if wanted and key not in {tag_key(w) for w in wanted}:
        return False
    return not (unwanted and key in {tag_key(u) for u in unwanted})


def highlight(text: str, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """Split ``text`` into ``(segment, is_match)`` pairs; the segments join back to ``text``.

    ``terms`` are words or phrases as typed (``Match.terms`` or ``Query.terms``); they are
    found with the rules of the query language, so ``Buergerbuero`` marks ``Bürgerbüro``.
    Render the segments escaped (Jinja2 autoescape, plain e-mail text): nothing here is HTML.
    """
    if not text:
        return []
    folded, offsets = fold_with_map(text)
    spans: list[tuple[int, int]] = []
    for raw in terms:
        folded_tokens = tuple(tokens(raw))
        if not folded_tokens:
            continue
        parts = len(folded_tokens) == 1 and len(folded_tokens[0]) >= PART_MIN_LENGTH
        for m in _pattern(folded_tokens, parts).finditer(folded):
            if m.end() > m.start():
                spans.append((offsets[m.start()], offsets[m.end() - 1] + 1))
    if not spans:
        return [(text, False)]
    segments: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in _merge(spans):
        if start > cursor:
            segments.append((text[cursor:start], False))
        segments.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        segments.append((text[cursor:], False))
    return segments


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str | None, terms: Sequence[str], width: int = 220) -> list[tuple[str, bool]]:
    """A window of about ``width`` characters of ``text`` around its first match, highlighted;
    the start of the text when nothing matches. Cut at word boundaries, with ``…`` marks."""
    if not text:
        return []
    segments = highlight(text, terms)
    first = 0
    position = 0
    for segment, is_match in segments:
        if is_match:
            first = position
            break
        position += len(segment)
    start = max(0, first - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > first else end
    window = highlight(text[start:end], terms)
    if start:
        window.insert(0, ("…", False))
    if end < len(text):
        window.append(("…", False))
    return window
