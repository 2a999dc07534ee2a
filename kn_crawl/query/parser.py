"""The query language: words, "exact phrases", -exclusions, OR, and filters.

    OZG "digitale Verwaltung" -Bayern tag:Dortmund source:move since:01.03.2025 until:2025-06-30
    Bürgerbüro OR Bürgeramt section:"Smart City"

* Words are ANDed. ``OR`` (or ``ODER``) joins the words or phrases on either side into one group.
* ``-word``, ``-"a phrase"`` exclude; ``-tag:X``, ``-source:X``, ``-section:X`` exclude a filter.
* Filters: ``tag:``/``stichwort:``, ``source:``/``quelle:``, ``section:``/``rubrik:``,
  ``since:``/``seit:``/``ab:``, ``until:``/``bis:``; values may be quoted (``tag:"Smart City"``).
  Several ``tag:`` filters must all hold; several ``source:`` or ``section:`` filters are
  alternatives (an article has one source and one section).
* Dates: anything ``kn_crawl.dates.parse_date`` reads (``2025-03-01``, ``01.03.2025``,
  ``1. März 2025``, ``gestern``) and also ``2025``, ``2025-03``, ``03.2025``, ``März 2025``.
  ``until:`` includes the whole day, month or year it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from kn_crawl.dates import BERLIN, MONTHS, parse_date
from kn_crawl.query.fold import tokens
from kn_crawl.query.model import Query, QueryError, Term
from kn_crawl.tags import tag_key

__all__ = ["parse_query"]

FILTERS: dict[str, str] = {
    "tag": "tag",
    "stichwort": "tag",
    "source": "source",
    "quelle": "source",
    "section": "section",
    "rubrik": "section",
    "since": "since",
    "seit": "since",
    "ab": "since",
    "until": "until",
    "bis": "until",
}
OR_WORDS = frozenset({"OR", "ODER"})
# Written out between words they are what the query does anyway.
AND_WORDS = frozenset({"AND", "UND"})
_FIELD_RE = re.compile(r"([^\W\d_]+):(.*)", re.DOTALL)
_MAX_QUERY_LENGTH = 1000


@dataclass(slots=True)
class _Item:
    kind: Literal["term", "filter", "or"]
    position: int
    negated: bool = False
    term: Term | None = None
    name: str = ""
    value: str = ""
    value_position: int = 0


@dataclass(slots=True)
class _Builder:
    text: str
    now: datetime | None
    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    filters: dict[tuple[str, bool], list[str]] = field(default_factory=dict)
    since: datetime | None = None
    until: datetime | None = None
    until_position: int = 0

    def error(self, message: str, position: int) -> QueryError:
        return QueryError(message, position, self.text)


def parse_query(text: str, *, now: datetime | None = None) -> Query:
    """Parse ``text`` (see the module docstring); raise ``QueryError`` pointing at a problem.

    ``now`` resolves relative dates (``since:gestern``); without it they are errors.
    An empty query is valid and matches everything.
    """
    if len(text) > _MAX_QUERY_LENGTH:
        raise QueryError(f"query is longer than {_MAX_QUERY_LENGTH} characters", 0, text[:60])
    builder = _Builder(text=text, now=now)
    items = _scan(text, builder)
    _combine(items, builder)
    if builder.excluded and not builder.groups and not _has_positive_filter(builder):
        raise builder.error(
            "a query needs a word, phrase or filter besides exclusions",
            builder.excluded[0].position,
        )
    if text.strip() and not (
        builder.groups or builder.excluded or builder.filters or builder.since or builder.until
    ):
        # Punctuation only (")(*&^"): searched, it listed every article; subscriptions
        # refused it. One answer everywhere.
        raise QueryError("the query has no words or filters, so it would match everything", 0, text)
    if builder.since and builder.until and builder.since >= builder.until:
        raise builder.error("since: is not before until:", builder.until_position)

    def values(name: str, negated: bool) -> tuple[str, ...]:
        return tuple(builder.filters.get((name, negated), ()))

    return Query(
        text=" ".join(text.split()),
        groups=tuple(tuple(g) for g in builder.groups),
        excluded=tuple(builder.excluded),
        tags=values("tag", False),
        excluded_tags=values("tag", True),
        sources=values("source", False),
        excluded_sources=values("source", True),
        sections=values("section", False),
        excluded_sections=values("section", True),
        since=builder.since,
        until=builder.until,
    )


def _has_positive_filter(b: _Builder) -> bool:
    return bool(
        any(values for (_, negated), values in b.filters.items() if not negated)
        or b.since
        or b.until
    )


def _scan(text: str, b: _Builder) -> list[_Item]:
    items: list[_Item] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        negated = False
        if text[i] == "-" and i + 1 < n and not text[i + 1].isspace():
            negated = True
            i += 1
        elif text[i] == "-":
            raise b.error("'-' must be followed by a word, phrase or filter", i)
        if text[i] == '"':
            phrase, i = _quoted(text, i, b)
            term = _term(phrase, True, start, b)
            if term is not None:
                items.append(_Item("term", start, negated, term=term))
            continue
        end = i
        while end < n and not text[end].isspace() and text[end] != '"':
            end += 1
        word = text[i:end]
        match = _FIELD_RE.fullmatch(word)
        if match and match.group(1).casefold() in FILTERS:
            name = FILTERS[match.group(1).casefold()]
            value, value_position = match.group(2), i + len(match.group(1)) + 1
            if not value and end < n and text[end] == '"':
                value, end = _quoted(text, end, b)
            if not value.strip():
                raise b.error(f"filter '{match.group(1)}:' needs a value", start)
            items.append(
                _Item("filter", start, negated, name=name, value=value.strip(),
                      value_position=value_position)
            )  # fmt: skip
        elif match and match.group(2):
            raise b.error(
                f"unknown filter '{match.group(1)}:' (known: tag:, source:, section:, since:, "
                "until:; put text with a colon in quotes)",
                start,
            )
        elif word in OR_WORDS and not negated:
            items.append(_Item("or", start))
        elif word in AND_WORDS and not negated:
            pass
        else:
            term = _term(word, False, start, b)
            if term is not None:
                items.append(_Item("term", start, negated, term=term))
        i = end
    return items


def _quoted(text: str, start: int, b: _Builder) -> tuple[str, int]:
    """The text between the quote at ``start`` and its partner, and the index after it."""
    close = text.find('"', start + 1)
    if close < 0:
        raise b.error("unclosed quotation mark", start)
    return text[start + 1 : close], close + 1


def _term(raw: str, phrase: bool, position: int, b: _Builder) -> Term | None:
    folded = tokens(raw)
    if not folded:
        if phrase:
            raise b.error("empty phrase", position)
        return None  # punctuation only ("–", "&"): nothing to search for
    return Term(text=" ".join(raw.split()), tokens=tuple(folded), phrase=phrase, position=position)


def _combine(items: list[_Item], b: _Builder) -> None:
    joined: list[list[_Item]] = []
    pending_or: _Item | None = None
    for item in items:
        if item.kind == "or":
            if pending_or is not None:
                raise b.error("two ORs in a row", item.position)
            if not joined or not _joinable(joined[-1][-1]):
                raise b.error("OR must stand between two words or phrases", item.position)
            pending_or = item
            continue
        if pending_or is not None:
            if not _joinable(item):
                raise b.error("OR must stand between two words or phrases", pending_or.position)
            joined[-1].append(item)
            pending_or = None
        else:
            joined.append([item])
    if pending_or is not None:
        raise b.error("OR must stand between two words or phrases", pending_or.position)
    for group in joined:
        first = group[0]
        if first.kind == "filter":
            _apply_filter(first, b)
        elif first.negated:
            assert first.term is not None
            b.excluded.append(first.term)
        else:
            b.groups.append([it.term for it in group if it.term is not None])


def _joinable(item: _Item) -> bool:
    return item.kind == "term" and not item.negated


def _apply_filter(item: _Item, b: _Builder) -> None:
    if item.name in ("since", "until"):
        if item.negated:
            raise b.error(f"'{item.name}:' cannot be negated", item.position)
        start, end = _date_range(item, b)
        if item.name == "since":
            b.since = start if b.since is None else max(b.since, start)
        else:
            b.until = end if b.until is None else min(b.until, end)
            b.until_position = item.position
        return
    if item.name in ("tag", "section") and not tag_key(item.value):
        raise b.error(f"'{item.name}:' needs a value with letters or digits", item.value_position)
    b.filters.setdefault((item.name, item.negated), []).append(item.value)


# ASCII digits: \d also matches other scripts' digits, which int() then accepts.
_YEAR_RE = re.compile(r"([0-9]{4})")
_YEAR_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})|([0-9]{1,2})[./]([0-9]{4})")
_MONTH_NAME_RE = re.compile(r"([^\W\d_]+)\.?\s+([0-9]{4})")
_YEARS = range(1900, 2101)


def _date_range(item: _Item, b: _Builder) -> tuple[datetime, datetime]:
    """The period a date value names: [start, end) in Berlin time."""
    value = item.value
    year_month = _month_of(value)
    if year_month is not None:
        year, month = year_month
        if not 1 <= month <= 12 or year not in _YEARS:
            raise b.error(f"'{value}' is not a month", item.value_position)
        start = datetime(year, month, 1, tzinfo=BERLIN)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=BERLIN)
        return start, end
    if _YEAR_RE.fullmatch(value):
        year = int(value)
        if year not in _YEARS:
            # since:0000 or until:9999 made datetime() fail: a 500 in the web UI.
            raise b.error(f"'{value}' is not a year from 1900 to 2100", item.value_position)
        return datetime(year, 1, 1, tzinfo=BERLIN), datetime(year + 1, 1, 1, tzinfo=BERLIN)
    parsed = parse_date(value, now=b.now)
    if parsed is None:
        raise b.error(
            f"'{item.name}:{value}' is not a date (try 2025-03-01, 01.03.2025 or \"März 2025\")",
            item.value_position,
        )
    local = parsed.astimezone(BERLIN)
    if (local.hour, local.minute, local.second) == (0, 0, 0) and ":" not in value:
        # A day: until: includes all of it.
        return parsed, (local.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=BERLIN)
    return parsed, parsed


def _month_of(value: str) -> tuple[int, int] | None:
    m = _YEAR_MONTH_RE.fullmatch(value)
    if m:
        if m.group(1):
            return int(m.group(1)), int(m.group(2))
        return int(m.group(4)), int(m.group(3))
    m = _MONTH_NAME_RE.fullmatch(value.strip())
    if m and m.group(1).casefold() in MONTHS:
        return int(m.group(2)), MONTHS[m.group(1).casefold()]
    return None
