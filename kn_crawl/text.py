"""Text cleanup for extracted page text: pure functions, str in, str (or None) out.

``None`` means "nothing there": every function maps empty or whitespace-only
results to ``None`` so callers need one emptiness check, not two.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "clean_paragraphs",
    "clean_text",
    "parse_credit",
    "split_kicker",
    "strip_more",
    "title_key",
]

# Characters that are invisible in a browser but break matching and dedupe: soft
# hyphens (CMS hyphenation), zero-width space/joiners, word joiner, BOM, and C0
# control characters other than whitespace (leftovers of copy-paste from Word).
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x7F]
    + [c for c in range(0x20) if chr(c) not in "\t\n\r\x0b\x0c"]
)
# No-break and typographic spaces. str.split() already treats most of them as
# whitespace; mapping them explicitly keeps the behaviour obvious and covers
# U+180E/U+2007/U+202F, which some Python versions do not split on.
_SPACES = dict.fromkeys(
    [0x00A0, 0x1680, 0x180E, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000], " "
)
_CLEAN_TABLE = {**_INVISIBLE, **_SPACES}
# str.translate with a dict looks up every character in Python; most texts contain none of
# these, and a regex character class finds that out at C speed (~10x faster).
_CLEAN_CHARS = re.compile("[" + "".join(re.escape(chr(c)) for c in _CLEAN_TABLE) + "]")


def clean_text(value: str | None) -> str | None:
    """Unescape entities, drop invisible characters, collapse whitespace, NFC.

    Entities are unescaped only when an ``&`` is present (a fast path for the
    common case). ``html.unescape`` follows HTML5, so legacy entities without a
    semicolon (``&copy``) are decoded too, as a browser would in text content.
    """
    if value is None:
        return None
    if "&" in value:
        value = html.unescape(value)
    if not value.isascii():
        if _CLEAN_CHARS.search(value):
            value = value.translate(_CLEAN_TABLE)
        # Decomposed umlauts (u + U+0308, common from macOS copy-paste) would not
        # compare equal to composed ones.
        if not unicodedata.is_normalized("NFC", value):
            value = unicodedata.normalize("NFC", value)
    elif not value.isprintable():
        value = value.translate(_INVISIBLE)
    value = " ".join(value.split())
    return value or None


def clean_paragraphs(parts: Iterable[str | None]) -> str | None:
    """Clean each paragraph, drop empty ones, join with a blank line."""
    cleaned = [p for p in map(clean_text, parts) if p]
    return "\n\n".join(cleaned) or None


# "Kicker: Title". The colon must be followed by whitespace, which rules out times
# (10:30) and URLs (https://). A kicker is a short label: at most five words and
# 60 characters, starting with a letter or digit, and no question or exclamation
# mark ("Was bleibt? Ein Fazit: …" is a sentence, not a label).
_KICKER_RE = re.compile(r"(?P<kicker>[^:]{1,60}?)\s*:\s+(?P<title>\S.*)", re.DOTALL)
_MAX_KICKER_WORDS = 5


def split_kicker(text: str | None) -> tuple[str | None, str | None]:
    """``"Bayern: Einheitlicher …"`` -> ``("Bayern", "Einheitlicher …")``.

    Without a plausible kicker the cleaned text is returned as the title:
    ``(None, text)``. Both parts are cleaned; empty input gives ``(None, None)``.
    """
    cleaned = clean_text(text)
    if cleaned is None:
        return None, None
    m = _KICKER_RE.match(cleaned)
    if m is None:
        return None, cleaned
    kicker = m.group("kicker").strip()
    if (
        not kicker
        or len(kicker.split()) > _MAX_KICKER_WORDS
        or not kicker[0].isalnum()
        or "?" in kicker
        or "!" in kicker
    ):
        return None, cleaned
    return kicker, m.group("title")


# Trailing "read more" decoration of teasers: "mehr...", "mehr…", "mehr »",
# "weiterlesen", "[…]", "(mehr)", "Read more →". A bare trailing "mehr" is a
# German word ("Die Stadt will mehr") and is left alone; it needs a marker.
_ARROWS = r"(?:\.{2,}|…|»|>>|>|›|→)"
_MORE_RE = re.compile(
    r"\s*(?:"
    r"\[\s*(?:…|\.{3})\s*\]"
    r"|\(\s*(?:mehr|weiter(?:lesen)?)\s*\)"
    rf"|\bmehr\s*{_ARROWS}"
    r"|\b(?:weiterlesen|weiter\s+lesen|mehr\s+lesen|mehr\s+erfahren|zum\s+artikel|"
    rf"zur\s+meldung|read\s+more|continue\s+reading)\s*{_ARROWS}?"
    r"|\s(?:»|›|→)"
    r")\s*$",
    re.IGNORECASE,
)


# How every decoration above ends (lower case). Most teasers end otherwise, and for them the
# regex — tried at every position of the text, ~15 µs for a teaser — is skipped. A non-ASCII
# ending always goes to the regex (its IGNORECASE knows case pairs ``lower()`` does not).
_MORE_ENDINGS = ("..", "…", "»", ">", "›", "→", "]", ")", "lesen", "erfahren", "artikel",
                 "meldung", "more", "reading")  # fmt: skip


def strip_more(text: str | None) -> str | None:
    """Clean text and strip trailing "read more" links (repeatedly: ``[…] mehr »``)."""
    cleaned = clean_text(text)
    while cleaned and (not (end := cleaned[-10:]).isascii() or end.lower().endswith(_MORE_ENDINGS)):
        # A decoration holds at most four spaces (whitespace is collapsed): search from the
        # fifth-last space, not from every position of the text. search(…, pos) still sees
        # the character before pos for \b.
        pos = len(cleaned)
        for _ in range(5):
            pos = max(cleaned.rfind(" ", 0, pos), 0)
        match = _MORE_RE.search(cleaned, pos)
        if match is None:
            break
        cleaned = cleaned[: match.start()]
    return cleaned or None


# Credit labels used by German sites. "Bild" and "Foto" also appear in captions as
# ordinary nouns, so an unbracketed label only counts at the start of the text or
# after a sentence end; a bracketed "(Foto: …)" or a "©" counts anywhere at the end.
_LABELS = (
    r"(?:Bildquellen?|Bildnachweis|Bildrechte|Quelle|Fotos?|Bild(?:er)?|Grafik|Abbildung|"
    r"Copyright|Credits?|Photo)"
)
_CREDIT_BRACKETED_RE = re.compile(
    rf"\(\s*(?:{_LABELS}\s*:\s*(?:©\s*)?|©\s*)(?P<credit>[^()]*(?:\([^()]*\)[^()]*)*)\)\s*$",
    re.IGNORECASE,
)
_CREDIT_PLAIN_RE = re.compile(
    rf"(?:^|(?<=[.!?|])\s+|\s+[|–—]\s+)(?:{_LABELS}\s*:\s*(?:©\s*)?|©\s*)(?P<credit>[^()]+)$",
    re.IGNORECASE,
)
_CREDIT_COPYRIGHT_RE = re.compile(r"(?:^|\s)©\s*(?P<credit>[^©()]+)$")
_CAPTION_TAIL = " \t|–—-/,;:"


def parse_credit(text: str | None) -> tuple[str | None, str | None]:
    """Split an image caption into (caption, credit).

    ``"… identifizieren. (Bildquelle: Anneke Wardenbach, Stadt Dortmund)"`` ->
    ``("… identifizieren.", "Anneke Wardenbach, Stadt Dortmund")``. Also ``(Foto: X)``,
    ``(© X)``, ``Foto: X`` (at the start or after a sentence), ``… © X``. A text that
    is only a credit gives ``(None, credit)``; no credit gives ``(caption, None)``.
    """
    cleaned = clean_text(text)
    if cleaned is None:
        return None, None
    for regex in (_CREDIT_BRACKETED_RE, _CREDIT_PLAIN_RE, _CREDIT_COPYRIGHT_RE):
        m = regex.search(cleaned)
        if m is not None:
            credit = m.group("credit").strip(" ,;") or None
            caption = cleaned[: m.start()].rstrip(_CAPTION_TAIL) or None
            return caption, credit
    return cleaned, None


# title_key: quotes/apostrophes vanish ("Kommune21's", „Digital“ vs "Digital"),
# umlauts are spelled out so "Bürger" and "Buerger" meet.
_TITLE_TABLE = str.maketrans(
    {
        **dict.fromkeys("\"'`´„“”‚‘’«»‹›", ""),
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
    }
)
_NON_WORD_RE = re.compile(r"[\W_]+")


def title_key(title: str) -> str:
    """Normalised title for fingerprints and near-duplicate detection.

    Cleaned, casefolded, umlauts spelled out (ä -> ae, ß -> ss), quotes removed,
    all other punctuation and dashes turned into spaces, whitespace collapsed:
    ``„Bürger-Service“ – jetzt online!`` -> ``buerger service jetzt online``.
    """
    cleaned = clean_text(title)
    if cleaned is None:
        return ""
    key = cleaned.casefold().translate(_TITLE_TABLE)
    return " ".join(_NON_WORD_RE.sub(" ", key).split())
