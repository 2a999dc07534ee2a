"""The parser's messages in German, for the web UI and its JSON API: the CLI speaks English,
the web German, and one message must not mix both ("Ungültige Suche: unclosed quotation
mark"). Each English message of ``kn_crawl.query.parser`` has a pattern here; a message
without one still comes out German (the general line), never English."""

from __future__ import annotations

import re

from kn_crawl.query.model import QueryError

_FILTERS = "tag:, source:, section:, since:, until:"

# (English message pattern, German template using the pattern's groups)
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), german)
    for pattern, german in (
        (r"query is longer than (\d+) characters", r"die Suche ist länger als \1 Zeichen"),
        (
            r"a query needs a word, phrase or filter besides exclusions",
            "eine Suche braucht neben Ausschlüssen ein Wort, eine Phrase oder einen Filter",
        ),
        (r"since: is not before until:", "since: liegt nicht vor until:"),
        (
            r"'-' must be followed by a word, phrase or filter",
            "auf „-“ muss ein Wort, eine Phrase oder ein Filter folgen",
        ),
        (r"filter '(.+):' needs a value", r"Filter „\1:“ braucht einen Wert"),
        (
            r"unknown filter '(.+):' \(known: .*\)",
            rf"unbekannter Filter „\1:“ (bekannt: {_FILTERS}; Text mit Doppelpunkt in "
            "Anführungszeichen setzen)",
        ),
        (r"unclosed quotation mark", "Anführungszeichen nicht geschlossen"),
        (r"empty phrase", "leere Phrase"),
        (r"two ORs in a row", "zweimal OR hintereinander"),
        (
            r"OR must stand between two words or phrases",
            "OR muss zwischen zwei Wörtern oder Phrasen stehen",
        ),
        (r"'(.+):' cannot be negated", r"„\1:“ kann nicht ausgeschlossen werden"),
        (
            r"'(.+):' needs a value with letters or digits",
            r"„\1:“ braucht einen Wert mit Buchstaben oder Ziffern",
        ),
        (r"'(.*)' is not a month", r"„\1“ ist kein Monat"),
        (r"'(.*)' is not a year from 1900 to 2100", r"„\1“ ist kein Jahr von 1900 bis 2100"),
        (
            r"'(.*)' is not a date \(try .*\)",
            r"„\1“ ist kein Datum (z. B. 2025-03-01, 01.03.2025 oder „März 2025“)",
        ),
        (
            r"the query has no words or filters, so it would match everything",
            "die Suche enthält weder Wörter noch Filter und fände daher alles",
        ),
    )
)


def german_message(error: QueryError) -> str:
    """The error's message in German, without the position (see ``german``)."""
    for pattern, template in _MESSAGES:
        match = pattern.fullmatch(error.message)
        if match:
            return match.expand(template)
    return "die Suche ist nicht lesbar"


def german(error: QueryError) -> str:
    """``Anführungszeichen nicht geschlossen (Zeichen 5)``: the message and where."""
    return f"{german_message(error)} (Zeichen {error.position + 1})"
