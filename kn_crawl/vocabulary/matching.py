"""Which terms of the vocabulary an article names: three compiled passes per text, not a
loop over terms.

The terms are compiled into regular expressions, each a trie of their spellings (so the engine
follows one path per text position instead of trying hundreds of alternatives):

* the *folded* one runs over the text folded like search (``kn_crawl.query.fold``: case,
  umlauts, ß): a spelling matches as a whole word with a German ending (``Kommunen``,
  ``Landkreises``), as the first part of a compound (``Glasfaserausbau``) or, for single words
  of five letters or more, as the last part (``Verwaltungscloud``); hyphens and spaces
  between its parts may be written or left out (``E-Akte``, ``E Akte``, ``EAkte``), a hyphen
  may stand at a compound's joint (``Register-Modernisierung``), and an adjective before the
  last word takes any ending (``Deutsche Städtetag``, ``Deutschem Städtetag``). Compound
  ends are found by a second pass over the reversed text, so each word is tried once, not
  once per letter;
* the *exact* one runs over the text as written, for acronyms (``KI`` as a word or a hyphen
  part — ``KI-Strategie`` — never in ``Kiel``, ``Kita`` or ``SKI``) and for names that are
  also everyday words (``Essen``, ``Hof``), which count only after a place cue (``in Essen``,
  ``Stadt Hof``, ``Oberbürgermeister von Hagen``; not ``nach dem Essen``).

The longest spelling at a position wins: ``Brandenburg an der Havel`` is the city, not the
Land; ``Landkreis Leipzig`` is the Kreis, not the city.

How often is enough (:func:`Matcher.tags`): a term in the title or teaser counts; in the
body only when named at least twice, or once in a short body (a feed entry's few lines),
because a long article mentions many places and topics in passing. Measured on the 111
German article pages of the development set (``bench/bench_vocabulary.py``): counting a single
body mention would add 67 Stichwörter to 29 of them, nearly all incidental — a city in an
imprint or a quote, "Social Media" from a share line, a topic of a linked article.

Cost (same script, same run, a busy machine): median 0.79 ms per page against 15.1 ms for
its extraction (5 %; before the rules of inflected adjectives, hyphens at a joint and place
contexts, 0.74 ms).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# The per-character folding of search itself, so both fold every character the same.
from kn_crawl.query.fold import _fold_char
from kn_crawl.tags import tag_key
from kn_crawl.vocabulary.terms import Spelling, Term

__all__ = ["BODY_MENTIONS", "SHORT_BODY", "Matcher", "choose", "compile_terms", "fast_fold"]

# A term named only in the body counts from this many mentions, unless the body is shorter
# than SHORT_BODY characters (then once is enough).
BODY_MENTIONS = 2
SHORT_BODY = 1000

_SEP_CHARS = " \t\n\u00a0\u202f\\-\u2010\u2011/()."
_SEP = f"[{_SEP_CHARS}]{{0,3}}"
_SEP_RE = re.compile(_SEP)
_WORD = r"[^\W_]"
# German endings after a whole word: Kommunen, Landkreises, Dortmunder, Clouds.
_ENDINGS = frozenset({"", "s", "n", "e", "en", "er", "es", "ern", "ers", "ns"})
_NOTHING = "(?!)"
# Words after which an everyday word is a place: "in Essen", "Stadt Hof".
CUES = (
    "in", "aus", "nach", "von", "bei", "zwischen",
    "Stadt", "Landeshauptstadt", "Hansestadt", "Universitätsstadt", "Kreisstadt", "Großstadt",
    "Stadtverwaltung", "Stadtrat", "Stadtwerke",
    "Oberbürgermeister", "Oberbürgermeisterin", "Bürgermeister", "Bürgermeisterin",
)  # fmt: skip
# Everyday-word places: "von"/"nach"/"bei"/"zwischen" are cues only after a noun cue
# ("Oberbürgermeister von Hagen"): alone they start "eine Serie von Siegen", "nach Siegen".
_WEAK_CUES = ("von", "nach", "bei", "zwischen")
_STRONG_CUES = tuple(c for c in CUES if c not in _WEAK_CUES)
_CUE_BEFORE_RE = re.compile(
    r"(?<![^\W_])(?i:" + "|".join(re.escape(c) for c in _STRONG_CUES) + r")[\s\u00a0]+\Z"
)
_WEAK_CUE_BEFORE_RE = re.compile(
    r"(?<![^\W_])(?i:" + "|".join(re.escape(c) for c in CUES if c[0].isupper()) + r")"
    r"[\s\u00a0]+(?i:" + "|".join(_WEAK_CUES) + r")[\s\u00a0]+\Z"
)
_NUMBER_AFTER_RE = re.compile(r"[\s\u00a0]*\d")  # "Halle 4.1", "Halle 2.2", "Hof 3"
_HYPHEN_PART_RE = re.compile(r"[-\u2010\u2011](?=[^\W\d_])")  # "Mülheim-Kärlich"
_NAME_BEFORE_RE = re.compile(r"[A-ZÄÖÜ][^\W\d_]+[\s\u00a0]*\(\Z")  # "Thomas Kufen (Essen)"
_LIST_AFTER_RE = re.compile(r"(?:,|[\s\u00a0]+(?:und|oder|sowie))[\s\u00a0]+(\w)")
_LIST_BEFORE_RE = re.compile(r"(?:,|[\s\u00a0]+(?:und|oder|sowie))[\s\u00a0]+\Z")
# "in Weiden und Wiesen": a pair with a plural noun is the everyday word.
_PAIR_AFTER_RE = re.compile(r"[\s\u00a0]+(?:und|oder)[\s\u00a0]+([A-ZÄÖÜ][^\W\d_]*(?:en|n))\b")
PLACE_KINDS = frozenset({"land", "kreis", "city"})
# A place's -er word ("Hamburger") is the place only before an administration's name.
_ADJECTIVE_ENDINGS = frozenset({"er", "ern", "ers"})
_ADMINISTRATION_RE = re.compile(
    r"[\s\u00a0]+(?:Senat|Stadt|Rat|Verwaltung|Landes|Kreis|Bürger|Oberbürger|Magistrat|Behörde"
    r"|Amt|Ämter|Polizei|Feuerwehr|Verkehrs|Regierung|Ministeri|Landtag|Digital|Schul"
    r"|Universität|Hochschule|Gericht|Verwaltungsgericht|Klinik|Wirtschaft|Rathaus|Kommun"
    r"|Haushalt|Bezirk|Jobcenter|IT|Ortsteil|Stadtteil|Innenstadt|Hafen|Verbund)"
)
# "Landkreis Harburg", "Kreis Harburg", "des Landkreises Harburg", "Kreises Harburg" are one
# Kreis: its name is looked for once, after this head (the trie would hold it four times).
KREIS_HEAD_RE = re.compile("(?:land)?kreis\x00")
_KREIS_KEY = "kreis:"
_PART_RE = re.compile(r"[^\W_]+")
_SEP_TOKEN = "\x00"
_ENDING_TOKEN = "\x01"  # an adjective's ending, any of them
_HYPHEN_TOKEN = "\x02"  # a hyphen that may be written
_ENDING_RE_TEXT = "(?:e[mnrs]?)?"
_ADJECTIVE_RE = re.compile(r"(?:e[mnrs]?)\Z")

_SOFT_HYPHEN = {0xAD: None}
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


def fast_fold(text: str) -> str:
    """``kn_crawl.query.fold`` for long texts: the same result (umlauts spelled out, other
    diacritics dropped, lower case), calling Python only for the few non-ASCII characters of
    a German text instead of for every character (a 5 KB German text: a sixth of the time)."""
    if text.isascii():
        return text.lower()
    # A decomposed umlaut (u + U+0308) folds like a composed one, as in fold().
    text = unicodedata.normalize("NFC", text)
    return _NON_ASCII_RE.sub(_fold_match, text).lower()


def _fold_match(match: re.Match[str]) -> str:
    return _fold_char(match.group())


class _Positions:
    """Maps a position in ``fast_fold(text)`` back to ``text`` (NFC): folding changes lengths
    ("ü" -> "ue", "ß" -> "ss"), and the passes over the folded and the written text must
    compare positions in one coordinate system (the written text's)."""

    __slots__ = ("_ends", "_origins", "_shifts")

    def __init__(self, text: str) -> None:
        # For each non-ASCII character whose folding has another length: where its folding
        # ends in the folded text, where it stands in the text, and the shift after it.
        self._ends: list[int] = []
        self._origins: list[tuple[int, int]] = []  # (folded start, text index)
        self._shifts: list[int] = []
        shift = 0
        for m in _NON_ASCII_RE.finditer(text):
            length = len(_fold_char(m.group()).lower())
            if length == 1:
                continue
            start = m.start() + shift
            shift += length - 1
            self._ends.append(start + length)
            self._origins.append((start, m.start()))
            self._shifts.append(shift)

    def __call__(self, folded_at: int) -> int:
        i = bisect_right(self._ends, folded_at)
        if i < len(self._origins) and self._origins[i][0] <= folded_at:
            return self._origins[i][1]  # inside an expansion: its character
        return folded_at - (self._shifts[i - 1] if i else 0)


def _units(spelling: Spelling) -> str:
    """The spelling as trie units: its parts (folded unless exact) joined by a separator
    token."""
    as_written = spelling.exact or spelling.ambiguous  # matched in the text as written
    text = spelling.text if as_written else fast_fold(spelling.text)
    return _SEP_TOKEN.join(_PART_RE.findall(text))


def _is_place(text: str, start: int, end: int, places: dict[int, int]) -> bool:
    """Whether an everyday word at ``text[start:end]`` ("Essen", "Hof", "Halle") is the place
    here: after a place cue ("in Essen", "Stadt Hof"; "von"/"nach" only after a noun cue:
    "Oberbürgermeister von Hagen", not "eine Serie von Siegen"), in parentheses after a name
    ("Thomas Kufen (Essen)"), or in a list with another place ("Dortmund, Essen und
    Bochum"). Never before a number ("Halle 4.1" at a fair), a hyphen part ("Essen-Kettwig",
    another place) or in a pair with a plural noun ("in Weiden und Wiesen")."""
    after = text[end : end + 40]
    if _NUMBER_AFTER_RE.match(after) or _HYPHEN_PART_RE.match(text, end):
        return False
    before = text[max(0, start - 60) : start]
    if before.endswith("(") and after.startswith(")") and _NAME_BEFORE_RE.search(before):
        return True
    neighbour = _LIST_AFTER_RE.match(after)
    if neighbour and end + neighbour.start(1) in places:
        return True
    sep = _LIST_BEFORE_RE.search(before)
    if sep and start - len(sep.group()) in places.values():
        return True
    if not (_CUE_BEFORE_RE.search(before) or _WEAK_CUE_BEFORE_RE.search(before)):
        return False
    pair = _PAIR_AFTER_RE.match(after)
    return not (pair and end + pair.start(1) not in places)


def _same(position: int) -> int:
    return position


def _key(matched: str) -> str:
    return _SEP_RE.sub("", matched).replace(_SEP_TOKEN, "")


_UNIT_RE_TEXT = {_SEP_TOKEN: _SEP, _ENDING_TOKEN: _ENDING_RE_TEXT, _HYPHEN_TOKEN: "-?"}


def _trie_regex(words: Iterable[str]) -> str:
    """A regex matching any of ``words`` (longest first at a position), built as a trie."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    if not root:
        return _NOTHING

    # Emitted bottom-up with a stack, not by recursion: a long spelling is a deep trie, and
    # one recursion per character ended in RecursionError for a 900-character user spelling.
    done: dict[int, str] = {}
    stack: list[tuple[dict[str, Any], bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for char, child in node.items() if char)
            continue
        branches = [
            _UNIT_RE_TEXT.get(char, re.escape(char)) + done.pop(id(child))
            for char, child in sorted(node.items())
            if char
        ]
        if not branches:
            done[id(node)] = ""
            continue
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # A shorter spelling ends here: the longer ones are tried first.
        done[id(node)] = f"(?:{body})?" if "" in node else body
    return done[id(root)]


@dataclass(slots=True)
class _Hits:
    term: Term
    first: int
    head: int = 0
    """Mentions in the title or teaser."""
    body: int = 0


@dataclass(slots=True)
class Matcher:
    """The compiled vocabulary. Build it with :func:`compile_terms`."""

    terms: Sequence[Term]
    folded: re.Pattern[str]
    """Spellings at a word's start in the folded text; what follows is checked in Python."""
    suffixes: re.Pattern[str]
    """Compound-final spellings, reversed, in the reversed folded text."""
    exact: re.Pattern[str]
    by_folded: dict[str, Term]
    by_exact: dict[str, Term]
    joinable: frozenset[str]
    """Keys in ``by_folded`` that may start a compound ("glasfaser" in "Glasfaserausbau")."""
    vague: frozenset[str]
    """Keys in ``by_exact`` that count only after a place cue."""

    def mentions(self, text: str) -> list[Term]:
        """Every mention of a term in ``text``, in order of appearance."""
        text = text.translate(_SOFT_HYPHEN) if "\u00ad" in text else text
        if not text.isascii():
            text = unicodedata.normalize("NFC", text)
        folded = fast_fold(text)
        # Positions are the written text's; the folded passes' are mapped back to it.
        at = _Positions(text) if len(folded) != len(text) else _same
        found: list[tuple[int, Term]] = []
        places: dict[int, int] = {}  # start -> end of each place found
        whole: set[int] = set()  # starts of words a spelling covers whole
        hyphened: list[tuple[int, int, Term]] = []  # (start, hyphen part's start, city)
        adjectives: list[tuple[int, Term]] = []  # "Bonner", "Hamburger": see below
        for m in self.folded.finditer(folded):
            kreis = m.group("kreis")
            key = _KREIS_KEY + _key(kreis) if kreis else _key(m.group("core"))
            rest = m.group("rest")
            # A whole word with a German ending (Kommunen, Landkreises), or the first part
            # of a compound when the spelling may be one.
            if rest not in _ENDINGS and key not in self.joinable:
                continue
            term = self.by_folded.get(key)
            if term is None:
                continue
            start, end = at(m.start()), at(m.end())
            if term.kind in PLACE_KINDS:
                # "Hamburger", "Brandenburger Tor", "Kasseler Braten": an -er word of a
                # place is an adjective of anything from there; it names the place before an
                # administration ("Hamburger Senat", "Dortmunder Stadtwerke"), else only
                # counts as a further mention of a place the text names ("in Bonn … der
                # Bonner Fall").
                if rest in _ADJECTIVE_ENDINGS and not _ADMINISTRATION_RE.match(text, end):
                    adjectives.append((start, term))
                    continue
                if term.kind == "city" and (part := _HYPHEN_PART_RE.match(text, end)):
                    hyphened.append((start, part.end(), term))
                    continue
                places[start] = end
            if rest in _ENDINGS:
                whole.add(start)
            found.append((start, term))
        if self.suffixes.pattern != _NOTHING:
            backwards = folded[::-1]
            for m in self.suffixes.finditer(backwards):
                term = self.by_folded.get(_key(m.group("core")[::-1]))
                start = at(len(folded) - m.end())
                # One word, one term: "Schuldigitalisierung" is Digitale Bildung (a spelling
                # of the whole word), not also Digitalisierung (its last part).
                if term is not None and start not in whole:
                    found.append((start, term))
        # "Mülheim-Kärlich" is another town than Mülheim; "Berlin-Brandenburg" two places.
        for start, after, term in hyphened:
            if after in places:
                places[start] = after
                found.append((start, term))
        folded_at = {start for start, _ in found}
        vague: list[tuple[int, int, Term]] = []
        for m in self.exact.finditer(text):
            key = _key(m.group("word"))
            term = self.by_exact.get(key)
            if term is None or m.start() in folded_at:
                continue  # "Halle (Saale)" was found whole by the folded pass
            if key in self.vague:
                vague.append((m.start(), m.end(), term))
                continue
            found.append((m.start(), term))
        for start, end, term in vague:
            if _is_place(text, start, end, places):
                found.append((start, term))
        named = {term.name for _, term in found}
        found += [(start, term) for start, term in adjectives if term.name in named]
        found.sort(key=lambda pair: pair[0])
        return [term for _, term in found]

    def tags(
        self, title: str | None, teaser: str | None, body: str | None, *, given: Iterable[str] = ()
    ) -> list[str]:
        """The Stichwörter of the terms an article names (see the module docstring for how
        often is enough), in order of first mention, title first; none already ``given`` by
        the source in any of the term's spellings."""
        found = [
            (self.mentions(text), in_head)
            for text, in_head in ((title, True), (teaser, True), (body, False))
            if text
        ]
        return choose(found, short_body=body is None or len(body) < SHORT_BODY, given=given)


def choose(
    found: Iterable[tuple[Sequence[Term], bool]], *, short_body: bool, given: Iterable[str] = ()
) -> list[str]:
    """The Stichwörter of :meth:`Matcher.tags` from the mentions already found: ``found`` holds
    each text's mentions and whether the text is the title or teaser (else the body)."""
    given_keys = {tag_key(t) for t in given}
    hits: dict[str, _Hits] = {}
    order = 0
    for terms, in_head in found:
        for term in terms:
            entry = hits.get(term.name)
            if entry is None:
                entry = hits[term.name] = _Hits(term, order)
                order += 1
            if in_head:
                entry.head += 1
            else:
                entry.body += 1
    needed = 1 if short_body else BODY_MENTIONS
    chosen = [
        h for h in hits.values() if (h.head or h.body >= needed) and not (h.term.keys & given_keys)
    ]
    return [h.term.name for h in sorted(chosen, key=lambda h: h.first)]


@dataclass(slots=True)
class _Index:
    """The spellings of a vocabulary, sorted by how they are looked for."""

    by_folded: dict[str, Term] = field(default_factory=dict)
    by_exact: dict[str, Term] = field(default_factory=dict)
    folded: list[str] = field(default_factory=list)
    joinable: set[str] = field(default_factory=set)
    suffix: list[str] = field(default_factory=list)
    """Single words that may also end a compound, reversed."""
    exact: list[str] = field(default_factory=list)
    vague: set[str] = field(default_factory=set)
    """Everyday words: after a place cue only."""
    kreise: list[str] = field(default_factory=list)
    """What follows "Landkreis", "Kreis" in a spelling."""


_UMLAUTS = str.maketrans({"Ä": "AE", "Ö": "OE", "Ü": "UE", "ä": "ae", "ö": "oe", "ü": "ue"})


def _written_variants(units: str, *, ambiguous: bool) -> list[str]:
    variants = [units.translate(_UMLAUTS)]
    if ambiguous:
        variants += [units.upper(), units.upper().translate(_UMLAUTS)]
    return [v for v in dict.fromkeys(variants) if v != units]


def index_terms(terms: Sequence[Term]) -> _Index:
    """The spellings of ``terms`` by how they are matched; ``ValueError`` naming both terms
    when one spelling belongs to two of them. Cheap: a vocabulary file is checked with it
    when a command starts; the regular expressions are compiled when first needed."""
    index = _Index()
    for term in terms:
        for spelling in term.spellings:
            units = _units(spelling)
            as_written = spelling.exact or spelling.ambiguous
            table = index.by_exact if as_written else index.by_folded
            key = units.replace(_SEP_TOKEN, "")
            head = KREIS_HEAD_RE.match(units) if not as_written else None
            if head:  # one trie of names after one "(Land)kreis(es)" pattern
                units = units[head.end() :]
                key = _KREIS_KEY + units.replace(_SEP_TOKEN, "")
            other = table.get(key)
            if other is not None and other.name != term.name:
                raise ValueError(
                    f"{term.origin}: {spelling.text!r} of {term.name!r} is already a spelling "
                    f"of {other.name!r} ({other.origin})"
                )
            table[key] = term
            if as_written:
                index.exact.append(units)
                if spelling.ambiguous:
                    index.vague.add(key)
                # Written otherwise, still as written: "ESSEN" in a capitals headline (an
                # everyday word), "OEPNV" for "ÖPNV" (umlauts spelled out).
                for variant in _written_variants(units, ambiguous=spelling.ambiguous):
                    vkey = variant.replace(_SEP_TOKEN, "")
                    if table.setdefault(vkey, term) is term:
                        index.exact.append(variant)
                        if spelling.ambiguous:
                            index.vague.add(vkey)
                continue
            joinable = spelling.open_end or spelling.compound in ("both", "prefix")
            if not head and spelling.compound == "both" and not spelling.open_end:
                index.suffix.append(units[::-1])
            units, keys = _inflected(units)
            units = _hyphenable(units)
            prefix = _KREIS_KEY if head else ""
            for variant in keys:  # "Deutscher Städtetag": also "Deutsche", "Deutschem" …
                if table.setdefault(prefix + variant, term) is term and joinable:
                    index.joinable.add(prefix + variant)
            (index.kreise if head else index.folded).append(units)
            if joinable:
                index.joinable.add(key)
    return index


def _hyphenable(units: str) -> str:
    """ "Register-Modernisierung", "Gigabit-Strategie": a word may be written with a hyphen
    at a compound's joint, which a spelling does not mark, so between any two letters. Every
    folded spelling gets it, so that the trie's longest-first order holds between them."""
    return _SEP_TOKEN.join(
        _HYPHEN_TOKEN.join(part.rstrip(_ENDING_TOKEN))
        + _ENDING_TOKEN * part.endswith(_ENDING_TOKEN)
        for part in units.split(_SEP_TOKEN)
    )


def _inflected(units: str) -> tuple[str, list[str]]:
    """A folded spelling of several words with its adjectives inflected as any ending
    (``deutscher\\0staedtetag`` -> ``deutsch\\1\\0staedtetag``: "Der Deutsche Städtetag",
    "Laut Deutschem Städtetag"), and every key a match of it can have. ``_ENDINGS`` follows
    only the last word; these are the words before it."""
    parts = units.split(_SEP_TOKEN)
    if len(parts) == 1:
        return units, [units]
    options: list[list[str]] = []
    for i, part in enumerate(parts):
        stem = _ADJECTIVE_RE.sub("", part) if i < len(parts) - 1 else part
        if stem == part or len(stem) < 4:
            options.append([part])
        else:
            parts[i] = stem + _ENDING_TOKEN
            options.append([stem + e for e in ("", "e", "em", "en", "er", "es")])
    keys = [""]
    for choice in options:
        keys = [k + c for k in keys for c in choice]
    return _SEP_TOKEN.join(parts), keys


def compile_terms(terms: Sequence[Term]) -> Matcher:
    """The matcher of ``terms`` (``ValueError`` as :func:`index_terms`). Compiling the bundled
    vocabulary takes ~0.4 s, so it is done once per process (``load_matcher``)."""
    index = index_terms(terms)
    endings = "|".join(sorted((e[::-1] for e in _ENDINGS if e), key=len, reverse=True))
    suffix_trie = _trie_regex(index.suffix)
    return Matcher(
        terms,
        folded=re.compile(
            rf"\b(?:(?:land)?kreis(?:es)?[{_SEP_CHARS}]{{1,3}}(?P<kreis>{_trie_regex(index.kreise)})"
            rf"|(?P<core>{_trie_regex(index.folded)}))(?P<rest>{_WORD}*)"
        ),
        suffixes=re.compile(
            _NOTHING
            if suffix_trie == _NOTHING
            else rf"\b(?:{endings})?(?P<core>{suffix_trie}){_WORD}+"
        ),
        # Acronyms in the plural too: "KIs", "LLMs".
        exact=re.compile(rf"\b(?P<word>{_trie_regex(index.exact)})s?\b"),
        by_folded=index.by_folded,
        by_exact=index.by_exact,
        joinable=frozenset(index.joinable),
        vague=frozenset(index.vague),
    )
