"""The vocabulary's terms: the bundled ``terms.toml`` and a user file that extends it
(``KN_VOCABULARY_FILE``, same format). The format is described at the top of ``terms.toml``.

A bad file is refused with one line naming the file and the line of the culprit
(``ConfigError``), so a typo is found without reading a traceback.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from kn_crawl.settings import ConfigError
from kn_crawl.tags import tag_key

__all__ = ["KINDS", "Term", "bundled_terms", "load_terms", "parse_terms"]

Kind = Literal["law", "programme", "system", "body", "topic", "land", "kreis", "city"]
KINDS: tuple[Kind, ...] = ("law", "programme", "system", "body", "topic", "land", "kreis", "city")
Compound = Literal["both", "prefix", "none"]
Case = Literal["exact", "fold"]

# Kinds whose single words may be part of a compound by default ("Glasfaserausbau"). Bodies
# and places are names: "Berlinale" is no Berlin, "Dataporter" no Dataport.
_COMPOUND_KINDS = frozenset({"law", "programme", "system", "topic"})
# A spelling this short is never looked for inside another word ("KI" in "Kiel", "Hof" in
# "Friedhof"): five letters is the shortest that is still distinctive as a part ("Cloud").
MIN_COMPOUND_LETTERS = 5
# The longest spelling accepted: the field's longest names have ~45 characters
# ("Barrierefreie-Informationstechnik-Verordnung"); a longer one is a pasted text, not a term.
MAX_SPELLING = 120
_OPTIONS = frozenset({"aliases", "case", "compound", "ambiguous"})
_KEY_LINE_RE = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_-]+))\s*=')
_TABLE_LINE_RE = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]")
_PARTS_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Spelling:
    """One way of writing a term, with how it is matched."""

    text: str
    exact: bool
    """Matched case-sensitively as written (acronyms); else folded like search."""
    compound: Compound
    ambiguous: bool
    """Counts only after a place cue ("in Essen")."""
    open_end: bool
    """Written with a trailing ``*``: any word starting with it."""


@dataclass(frozen=True, slots=True)
class Term:
    name: str
    """The preferred spelling: the Stichwort an article gets."""
    kind: Kind
    spellings: tuple[Spelling, ...]
    origin: str
    """``file:line`` it was read from, for messages."""

    @property
    def keys(self) -> frozenset[str]:
        """The tag keys of every spelling: a site tag with one of them is this term."""
        return frozenset(tag_key(v) for s in self.spellings for v in kreis_variants(s.text))


def _is_exact(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return True  # KI, OZG, NRW, 5G, XÖV, OZG 2.0
    # A short word with capitals inside (EfA, XBau, eID) — not a short spelling of words that
    # each start with one (E-Akte).
    camel = any(sum(c.isupper() for c in part) >= 2 for part in _PARTS_RE.findall(text))
    return camel and len(letters) <= MIN_COMPOUND_LETTERS


def _default_compound(kind: Kind, text: str) -> Compound:
    if kind not in _COMPOUND_KINDS:
        return "none"
    parts = _PARTS_RE.findall(text)
    if len(parts) > 1:
        return "prefix"
    return "both" if len(text) >= MIN_COMPOUND_LETTERS else "none"


def kreis_variants(text: str) -> list[str]:
    """``Landkreis Harburg`` is also written ``Kreis Harburg``, and inflected ``des
    Landkreises Harburg``, ``des Kreises Harburg`` (the matcher knows: see
    ``matching.KREIS_HEAD``)."""
    for head in ("Landkreis ", "Kreis "):
        if text.startswith(head):
            rest = text[len(head) :]
            return [f"Landkreis {rest}", f"Landkreises {rest}", f"Kreis {rest}", f"Kreises {rest}"]
    return [text]


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """(table, key) -> line number, for messages about a key (tomllib gives none)."""
    lines: dict[tuple[str, str], int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE_LINE_RE.match(line)
        if header:
            table = header.group(1)
            lines.setdefault((table, ""), number)
            continue
        key = _KEY_LINE_RE.match(line)
        if key:
            name = key.group(1) if key.group(1) is not None else key.group(2)
            lines.setdefault((table, name.replace('\\"', '"')), number)
    return lines


def parse_terms(text: str, origin: str) -> list[Term]:
    """The terms of a vocabulary file's text; ``ConfigError`` ``origin:line: what`` when it is
    malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says where: "Expected '=' after a key (at line 3, column 7)".
        at = re.search(r"at line (\d+)", str(exc))
        raise ConfigError(f"{origin}{':' + at.group(1) if at else ''}: {exc}") from None
    lines = _key_lines(text)
    terms: list[Term] = []
    for kind, table in data.items():  # kind: checked against KINDS just below
        if kind not in KINDS or not isinstance(table, dict):
            number = lines.get((kind, ""), lines.get(("", kind), 1))
            raise ConfigError(
                f"{origin}:{number}: unknown kind [{kind}] (one of {', '.join(KINDS)})"
            )
        for name, value in table.items():
            terms.append(_term(kind, name, value, f"{origin}:{lines.get((kind, name), 1)}"))
    # "Essen" and "essen" (or "E-Akte" and "EAkte") would be two terms of one Stichwort.
    by_key: dict[str, Term] = {}
    for term in terms:
        other = by_key.setdefault(tag_key(term.name), term)
        if other is not term:
            raise ConfigError(
                f"{term.origin}: {term.name!r} is the Stichwort {other.name!r} "
                f"({other.origin}) written otherwise: one term, with the other as an alias"
            )
    return terms


def _term(kind: Kind, name: str, value: Any, where: str) -> Term:
    options: dict[str, Any]
    if isinstance(value, list):
        options = {"aliases": value}
    elif isinstance(value, dict):
        options = value
    else:
        raise ConfigError(f"{where}: {name!r} needs a list of aliases or a table of options")
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise ConfigError(
            f"{where}: {name!r}: unknown option {unknown[0]!r} "
            f"(one of {', '.join(sorted(_OPTIONS))})"
        )
    aliases = options.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ConfigError(f"{where}: {name!r}: aliases must be a list of strings")
    case = options.get("case")
    if case not in (None, "exact", "fold"):
        raise ConfigError(f'{where}: {name!r}: case must be "exact" or "fold"')
    compound = options.get("compound")
    if compound not in (None, "both", "prefix", "none"):
        raise ConfigError(f'{where}: {name!r}: compound must be "both", "prefix" or "none"')
    written = [name, *aliases]
    ambiguous = options.get("ambiguous", False)
    if ambiguous is True:
        vague = set(written)
    elif ambiguous is False:
        vague = set()
    elif isinstance(ambiguous, list) and all(a in written for a in ambiguous):
        vague = set(ambiguous)
    else:
        raise ConfigError(
            f"{where}: {name!r}: ambiguous must be true, false or a list of its spellings"
        )
    spellings: list[Spelling] = []
    seen: set[tuple[str, bool]] = set()
    for raw in written:
        open_end = raw.endswith("*")
        core = raw.rstrip("*").strip()
        if not tag_key(core) or "*" in core:
            raise ConfigError(f"{where}: {name!r}: bad spelling {raw!r}")
        if len(core) > MAX_SPELLING:
            raise ConfigError(
                f"{where}: {name[:40]!r}…: spelling of {len(core)} characters "
                f"(at most {MAX_SPELLING})"
            )
        if (core, open_end) in seen:
            continue
        seen.add((core, open_end))
        spellings.append(
            Spelling(
                text=core,
                exact=case == "exact" if case is not None else _is_exact(core),
                compound=compound or _default_compound(kind, core),
                ambiguous=raw in vague,
                open_end=open_end,
            )
        )
    return Term(name=name, kind=kind, spellings=tuple(spellings), origin=where)


def bundled_terms() -> list[Term]:
    """The terms of the bundled ``terms.toml``."""
    text = resources.files("kn_crawl.vocabulary").joinpath("terms.toml").read_text("utf-8")
    return parse_terms(text, "bundled terms.toml")


def load_terms(user_file: Path | None) -> list[Term]:
    """The bundled terms extended by ``user_file`` (``KN_VOCABULARY_FILE``): a user term adds
    to the vocabulary, or replaces the bundled term of the same name."""
    terms = bundled_terms()
    if user_file is None:
        return terms
    try:
        text = user_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"KN_VOCABULARY_FILE {user_file}: {reason}") from None
    own = parse_terms(text, str(user_file))
    replaced = {tag_key(t.name) for t in own}
    return [t for t in terms if tag_key(t.name) not in replaced] + own
