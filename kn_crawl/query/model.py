"""The parsed query: an immutable value that the SQL backends, the web UI and the alert matcher
all read. Built by ``kn_crawl.query.parser.parse_query``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class QueryError(ValueError):
    """A query that cannot be understood; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, position: int, text: str = "") -> None:
        self.message = message
        self.position = position
        self.text = text
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.text:
            return f"{self.message} (at character {self.position + 1})"
        start = max(0, self.position - 25)
        before = ("…" if start else "") + self.text[start : self.position]
        after = self.text[self.position : self.position + 25]
        if self.position + 25 < len(self.text):
            after += "…"
        # One line, whatever the query held.
        context = " ".join(f"{before}⟶{after}".split())
        return f"{self.message} (at character {self.position + 1}: {context})"


@dataclass(frozen=True, slots=True)
class Term:
    """A word or an exact phrase, as typed (``text``) and folded (``tokens``).

    A single word of at least ``PART_MIN_LENGTH`` characters matches the start of a word
    (``Bürger`` finds ``Bürgerbüro``) and any part of a compound (``büro`` finds
    ``Bürgerbüro``); a shorter one matches whole words only (``KI`` finds ``KI`` and
    ``KI-Strategie``, not ``Kinder``). A phrase, or a word with inner punctuation such as
    ``E-Government``, matches its folded words in sequence, exactly.
    """

    text: str
    tokens: tuple[str, ...]
    phrase: bool = False
    position: int = 0

    @property
    def key(self) -> str:
        return " ".join(self.tokens)

    @property
    def is_word(self) -> bool:
        return not self.phrase and len(self.tokens) == 1

    @property
    def matches_parts(self) -> bool:
        """Whether this term also matches inside compounds (see the class docstring)."""
        return self.is_word and len(self.tokens[0]) >= PART_MIN_LENGTH

    def __str__(self) -> str:
        return f'"{self.text}"' if self.phrase else self.text


# Shorter words would match everywhere inside other words ("amt" in "gesamt", "ki" in "kinder").
PART_MIN_LENGTH = 4


@dataclass(frozen=True, slots=True)
class Query:
    """Words and phrases plus filters. An article matches when

    * every group of ``groups`` has a matching term (a group is ``a OR b OR …``),
    * no term of ``excluded`` matches,
    * it has every Stichwort of ``tags`` and none of ``excluded_tags`` (compared by tag key),
    * its source is one of ``sources`` (if any) and none of ``excluded_sources``,
    * its section is one of ``sections`` (if any) and none of ``excluded_sections``,
    * ``since <= published_at < until`` (``until`` is exclusive: ``until:31.03.2025`` means
      before 1 April).
    """

    text: str = ""
    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    tags: tuple[str, ...] = ()
    excluded_tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    excluded_sources: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    excluded_sections: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    @property
    def terms(self) -> tuple[str, ...]:
        """Every positive word and phrase, as typed (for highlighting)."""
        return tuple(term.text for group in self.groups for term in group)

    @property
    def has_terms(self) -> bool:
        return bool(self.groups)

    @property
    def is_empty(self) -> bool:
        """True for a query without terms or filters (it matches everything)."""
        return self == Query(text=self.text)

    def __str__(self) -> str:
        return self.text
