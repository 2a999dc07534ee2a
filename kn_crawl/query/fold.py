"""Folding: the one spelling-insensitive form of text that search and matching compare.

``Bürgerbüro``, ``BUERGERBUERO`` and ``Buergerbuero`` all fold to ``buergerbuero``: casefolded,
umlauts spelled out (ä -> ae, ß -> ss, as in ``kn_crawl.tags.tag_key``), other diacritics
dropped (é -> e). The SQL backends apply the same umlaut replacements in their triggers, so the
index holds folded text and a query only has to be folded the same way.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["UMLAUTS", "fold", "fold_with_map", "tokens"]

# The replacements the database triggers apply too (see kn_crawl/search/sqlite.py): keep the
# two lists the same or the index and the query stop meeting.
UMLAUTS: dict[str, str] = {
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "Ä": "Ae",
    "Ö": "Oe",
    "Ü": "Ue",
    "ß": "ss",
    "ẞ": "SS",
}
_COMBINING_DIAERESIS = "\u0308"
_TOKEN_RE = re.compile(r"[^\W_]+")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in UMLAUTS:
        return UMLAUTS[char].casefold()
    if char.isascii():
        return char.lower()
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base.casefold()


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """The folded text and, for every folded character, the index of the original character it
    came from — so a match found in folded text can be marked in the original."""
    out: list[str] = []
    offsets: list[int] = []
    previous = ""
    for index, char in enumerate(text):
        # A decomposed umlaut (u + U+0308, from macOS copy-paste) folds like a composed one.
        umlaut = char == _COMBINING_DIAERESIS and previous != "" and previous in "aouAOU"
        folded = "e" if umlaut else _fold_char(char)
        out.append(folded)
        offsets.extend([index] * len(folded))
        previous = char
    return "".join(out), offsets


def fold(text: str) -> str:
    """``"Bürgerbüro"`` -> ``"buergerbuero"``; see the module docstring."""
    if text.isascii():
        return text.lower()
    return fold_with_map(text)[0]


def tokens(text: str) -> list[str]:
    """Folded words: runs of letters and digits (``E-Government`` -> ``["e", "government"]``)."""
    return _TOKEN_RE.findall(fold(text))
