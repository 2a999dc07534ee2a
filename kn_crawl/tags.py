"""Stichwörter (tags): splitting a tag line, display form and matching key."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from kn_crawl.text import clean_text

__all__ = ["MAX_TAG_LENGTH", "clean_tag", "concept_key", "split_tags", "tag_key"]

MAX_TAG_LENGTH = 80

# "Stichwörter: Politik, Dortmund". The label is optional and varies by site.
_PREFIX_RE = re.compile(
    r"^\s*(?:Stichw(?:ö|oe|o)rte?r?|Schlagw(?:ö|oe|o)rte?r?|Schl(?:ü|ue)sselw(?:ö|oe|o)rte?r?"
    r"|Tags?|Themen|Keywords?)\s*:\s*",
    re.IGNORECASE,
)
# Tags are separated by , ; | • · or line breaks. A tag is a run of anything else,
# where an entity like "&amp;" counts as one unit so its ";" does not split it.
_TAG_RE = re.compile(r"(?:&#?\w+;|[^,;|•·\n])+")
_QUOTES = "\"'`´„“”‚‘’«»‹›"
_TRAILING = ".,;:!?"
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NON_ALNUM_RE = re.compile(r"[\W_]+")


def tag_key(name: str) -> str:
    """Matching key: ``E-Government``, ``eGovernment``, ``E Government`` -> ``egovernment``.

    NFKC (folds ligatures, full-width letters, composes ü), casefold, umlauts
    spelled out (``Bürgerbüro`` and ``Buergerbuero`` meet), then everything that is
    not a letter or digit dropped. Empty string when nothing is left.
    """
    key = unicodedata.normalize("NFKC", name).casefold().translate(_UMLAUTS)
    return _NON_ALNUM_RE.sub("", key)


def concept_key(name: str, aliases: Mapping[str, str]) -> str:
    """``tag_key`` with synonyms folded: ``Onlinezugangsgesetz`` -> ``ozg`` when ``aliases``
    (tag key -> preferred tag key, see ``kn_crawl.alerts.vocabulary``) says so."""
    key = tag_key(name)
    return aliases.get(key, key)


def clean_tag(name: str) -> str | None:
    """Display form: cleaned, without surrounding quotes, ``#`` or trailing punctuation.

    None when nothing with a letter or digit is left, or when it is longer than
    ``MAX_TAG_LENGTH`` characters (that is a sentence caught by a bad selector).
    """
    cleaned = clean_text(name)
    if cleaned is None:
        return None
    # Strip quotes and trailing punctuation until stable: '„Smart City“.' -> Smart City
    previous = None
    while cleaned != previous:
        previous = cleaned
        cleaned = cleaned.strip(_QUOTES).rstrip(_TRAILING).lstrip("#").strip()
    if not cleaned or len(cleaned) > MAX_TAG_LENGTH or not tag_key(cleaned):
        return None
    return cleaned


def split_tags(text: str | None) -> list[str]:
    """``"Stichwörter: Politik, Dortmund"`` -> ``["Politik", "Dortmund"]``.

    The label (Stichwörter/Stichworte/Schlagwörter/Tags/…) is optional; ``,`` ``;``
    ``|`` ``•`` and line breaks separate. Tags are ``clean_tag``-ed; empty ones are
    dropped, and duplicates by ``tag_key`` (``E-Government``/``eGovernment``) keep
    the first spelling, in page order.
    """
    if not text:
        return []
    body = _PREFIX_RE.sub("", text, count=1)
    seen: set[str] = set()
    tags: list[str] = []
    for part in _TAG_RE.findall(body):
        tag = clean_tag(part)
        if tag is None:
            continue
        key = tag_key(tag)
        if key not in seen:
            seen.add(key)
            tags.append(tag)
    return tags
