"""Reading the source catalogue: the bundled ``sources.toml`` plus the user's file.

    [sources.vitako]
    title = "Vitako"
    family = "generic"
    base_url = "https://www.vitako.de/"
    feeds = ["/feed/"]                      # relative: resolved against base_url
    listings = ["/aktuelles/"]
    article_pattern = '^/aktuelles/[^/]+/$'

    [sources.vitako.selectors]              # optional, CSS or XPath (parsel)
    body = "article .content"

The user's file (``KN_SOURCES_FILE``, else ``./kn-sources.toml`` when present) adds entries,
overrides keys of bundled ones (a table with a bundled name replaces only the keys it gives)
and disables them (``enabled = false`` with a ``disabled_reason``).

Everything is checked at load: a bad entry stops the command with one line naming the file,
the line and the key (``kn-sources.toml:7: sources.vitako.feeds: …``), never later in a
crawl. tomllib gives positions for syntax errors only, so the lines of tables and keys are
found in the text (``_Lines``).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kn_crawl.catalog.checks import (
    MAX_NAME,
    MAX_TITLE,
    BadValue,
    bool_value,
    check_language,
    check_next_page,
    check_regex,
    check_schedule,
    check_selector,
    normalise_base_url,
    text_value,
    url_list,
)
from kn_crawl.catalog.model import Selectors, SourceEntry
from kn_crawl.settings import ConfigError, Settings

BUNDLED_FILE = Path(__file__).with_name("sources.toml")
DEFAULT_USER_FILE = Path("kn-sources.toml")
"""The user's catalogue when ``KN_SOURCES_FILE`` is unset (read when it exists; written
by ``kn-crawl sources add``)."""

NAME_RE = re.compile(r"[a-z][a-z0-9_]*")

ENTRY_KEYS = (
    "title",
    "family",
    "base_url",
    "feeds",
    "listings",
    "article_pattern",
    "next_page",
    "language",
    "schedule",
    "fetch_articles",
    "enabled",
    "disabled_reason",
    "selectors",
)
SELECTOR_KEYS = tuple(f.name for f in fields(Selectors))
REQUIRED_KEYS = ("title", "family", "base_url")


class CatalogError(ConfigError):
    """A catalogue file is unreadable or an entry is invalid; the message is one line
    starting with ``file:line:``."""


@dataclass(frozen=True, slots=True)
class Where:
    file: Path
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class Catalog(Mapping[str, SourceEntry]):
    """Every source of the catalogue by name, in catalogue order (bundled ones first)."""

    def __init__(self, entries: Mapping[str, SourceEntry], files: tuple[Path, ...] = ()) -> None:
        self._entries = dict(entries)
        self.files = files
        """The files read, bundled first."""

    def __getitem__(self, name: str) -> SourceEntry:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def enabled(self) -> list[SourceEntry]:
        return [e for e in self._entries.values() if e.enabled]

    def disabled(self) -> list[SourceEntry]:
        return [e for e in self._entries.values() if not e.enabled]


# --- where things are in the text ---------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')"""
_KEY = re.compile(rf"^\s*({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")
_PART = re.compile(r"""[A-Za-z0-9_-]+|"((?:[^"\\]|\\.)*)"|'([^']*)'""")


def _dotted(text: str) -> tuple[str, ...]:
    parts = []
    for m in _PART.finditer(text):
        if m.group(1) is not None:
            parts.append(m.group(1))
        elif m.group(2) is not None:
            parts.append(m.group(2))
        else:
            parts.append(m.group(0))
    return tuple(parts)


class _Lines:
    """The first line of every table header and key path of a TOML text: enough to point
    at ``[sources.x]`` and ``key =`` (also ``selectors.body =`` and inline tables, which
    fall back to the line of their key)."""

    def __init__(self, text: str) -> None:
        self.first: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        in_multiline = False
        for number, line in enumerate(text.splitlines(), start=1):
            if line.count('"""') % 2 or line.count("'''") % 2:
                in_multiline = not in_multiline
                if not in_multiline:
                    continue
            elif in_multiline:
                continue
            header = _HEADER.match(line)
            if header and not line.lstrip().startswith("[["):
                table = _dotted(header.group(1))
                self.first.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                self.first.setdefault((*table, *_dotted(key.group(1))), number)

    def line(self, *path: str) -> int:
        """The line of ``path``; else of its first sub-table (a table known only through
        ``[sources.x.selectors]``); else of its nearest parent; 1 at worst."""
        if path in self.first:
            return self.first[path]
        below = [n for p, n in self.first.items() if p[: len(path)] == path]
        if below:
            return min(below)
        for end in range(len(path) - 1, 0, -1):
            if path[:end] in self.first:
                return self.first[path[:end]]
        return 1


# --- reading one file ---------------------------------------------------------------------


@dataclass
class _Raw:
    """One ``[sources.<name>]`` table as written, each value with where it was written; a
    user's table with the same name is laid over the bundled one key by key."""

    name: str
    where: Where
    values: dict[str, tuple[Any, Where]] = field(default_factory=dict)
    selectors: dict[str, tuple[Any, Where]] = field(default_factory=dict)


def _suggest(key: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"


_SYNTAX_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_file(path: Path) -> dict[str, _Raw]:
    """The tables of one catalogue file, with their keys checked against the format (values
    are checked when the entries are built)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(f"{path}: no such catalogue file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read the catalogue: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _SYNTAX_POSITION.search(message)
        if position:
            line, column = position.groups()
            message = message[: position.start()]
            raise CatalogError(f"{path}:{line}:{column}: TOML syntax error: {message}") from None
        raise CatalogError(f"{path}: TOML syntax error: {message}") from None
    lines = _Lines(text)
    for key in data:
        if key != "sources":
            raise CatalogError(
                f"{path}:{lines.line(key)}: unknown key {key!r}{_suggest(key, ['sources'])}"
            )
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise CatalogError(f"{path}:{lines.line('sources')}: sources must be a table")
    tables: dict[str, _Raw] = {}
    for name, table in sources.items():
        where = Where(path, lines.line("sources", name))
        if not NAME_RE.fullmatch(name) or len(name) > MAX_NAME:
            raise CatalogError(
                f"{where}: sources.{name}: bad source name {name!r} (lower-case letters, "
                f"digits and _, starting with a letter, at most {MAX_NAME} characters)"
            )
        if not isinstance(table, dict):
            raise CatalogError(f"{where}: sources.{name} must be a table")
        raw = _Raw(name, where)
        for key, value in table.items():
            at = Where(path, lines.line("sources", name, key))
            if key not in ENTRY_KEYS:
                raise CatalogError(
                    f"{at}: sources.{name}: unknown key {key!r}{_suggest(key, ENTRY_KEYS)}"
                )
            if key != "selectors":
                raw.values[key] = (value, at)
                continue
            if not isinstance(value, dict):
                raise CatalogError(f"{at}: sources.{name}.selectors must be a table")
            for sel_key, expression in value.items():
                sel_at = Where(path, lines.line("sources", name, "selectors", sel_key))
                if sel_key not in SELECTOR_KEYS:
                    raise CatalogError(
                        f"{sel_at}: sources.{name}.selectors: unknown key {sel_key!r}"
                        f"{_suggest(sel_key, SELECTOR_KEYS)}"
                    )
                raw.selectors[sel_key] = (expression, sel_at)
        tables[name] = raw
    return tables


def merge(layers: list[dict[str, _Raw]]) -> dict[str, _Raw]:
    """Later layers over earlier ones: new names are added, known names get the keys given
    (each selector on its own), all else stays."""
    merged: dict[str, _Raw] = {}
    for layer in layers:
        for name, raw in layer.items():
            if name not in merged:
                merged[name] = _Raw(name, raw.where, dict(raw.values), dict(raw.selectors))
                continue
            base = merged[name]
            base.where = raw.where
            base.values.update(raw.values)
            base.selectors.update(raw.selectors)
    return merged


# --- checking values ----------------------------------------------------------------------


def build_entry(raw: _Raw, families: Collection[str]) -> SourceEntry:
    """The entry of a (merged) table, every value checked; CatalogError naming the first
    bad one."""
    name = raw.name

    def get(key: str) -> tuple[Any, Where] | None:
        return raw.values.get(key)

    def check(key: str, fn: Any, *args: Any) -> Any:
        found = get(key)
        if found is None:
            return None
        value, at = found
        try:
            return fn(value, *args)
        except BadValue as exc:
            raise CatalogError(f"{at}: sources.{name}.{key}: {exc}") from None

    for key in REQUIRED_KEYS:
        if get(key) is None:
            raise CatalogError(f"{raw.where}: sources.{name}: missing key {key!r}")
    title = check("title", text_value, MAX_TITLE)
    family = check("family", text_value, MAX_NAME)
    if family not in families:
        _, at = raw.values["family"]
        raise CatalogError(
            f"{at}: sources.{name}.family: unknown family {family!r}"
            f"{_suggest(family, sorted(families))}"
        )
    base_url = check("base_url", normalise_base_url)
    feeds = check("feeds", url_list, base_url) or ()
    listings = check("listings", url_list, base_url) or ()
    selectors: dict[str, str] = {}
    for key, (value, at) in raw.selectors.items():
        try:
            selectors[key] = check_selector(value)
        except BadValue as exc:
            raise CatalogError(f"{at}: sources.{name}.selectors.{key}: {exc}") from None
    enabled = check("enabled", bool_value)
    enabled = True if enabled is None else enabled
    reason = check("disabled_reason", text_value)
    if not enabled and reason is None:
        _, at = raw.values["enabled"]
        raise CatalogError(
            f"{at}: sources.{name}.enabled: a disabled source needs a disabled_reason "
            "(paywall, cookie wall, …)"
        )
    fetch_articles = check("fetch_articles", bool_value)
    entry = SourceEntry(
        name=name,
        title=title,
        family=family,
        base_url=base_url,
        feed_urls=feeds,
        listing_urls=listings,
        article_pattern=check("article_pattern", check_regex),
        next_page=check("next_page", check_next_page, base_url),
        selectors=Selectors(**selectors),
        language=check("language", check_language) or "de",
        schedule=check("schedule", check_schedule),
        fetch_articles=True if fetch_articles is None else fetch_articles,
        enabled=enabled,
        # A user may enable a bundled entry again: its old reason no longer applies.
        disabled_reason=None if enabled else reason,
    )
    if family == "generic" and entry.enabled:
        # The generic family knows nothing of a site but what its entry says.
        if not entry.feed_urls and not entry.listing_urls:
            raise CatalogError(f"{raw.where}: sources.{name}: needs feeds or listings")
        if entry.listing_urls and entry.article_pattern is None:
            _, at = raw.values["listings"]
            raise CatalogError(
                f"{at}: sources.{name}.listings: listings need an article_pattern "
                "(which links on them are articles)"
            )
    return entry


# --- the catalogue ------------------------------------------------------------------------


def known_families() -> set[str]:
    from spiders.family import family_names

    return set(family_names())


def user_file(settings: Settings) -> Path:
    """The user's catalogue file: ``KN_SOURCES_FILE``, else ``./kn-sources.toml``."""
    return settings.sources_file or DEFAULT_USER_FILE


def catalog_files(settings: Settings) -> tuple[Path, ...]:
    """The bundled file, and the user's: ``KN_SOURCES_FILE`` (which must exist), else
    ``./kn-sources.toml`` when it exists."""
    if settings.sources_file is not None:
        return (BUNDLED_FILE, settings.sources_file)
    if DEFAULT_USER_FILE.is_file():
        return (BUNDLED_FILE, DEFAULT_USER_FILE)
    return (BUNDLED_FILE,)


def load_files(
    files: tuple[Path, ...],
    *,
    families: Collection[str] | None = None,
    base_urls: Mapping[str, str] | None = None,
) -> Catalog:
    """The catalogue of ``files`` (later ones over earlier ones), every entry checked, with
    ``base_urls`` (source name → URL, from ``KN_BASE_URL_<NAME>``) applied."""
    families = known_families() if families is None else families
    merged = merge([read_file(path) for path in files])
    entries = {name: build_entry(raw, families) for name, raw in merged.items()}
    for name, url in (base_urls or {}).items():
        if name not in entries:
            # A typo would silently crawl the real site instead of the mirror.
            close = difflib.get_close_matches(name, list(entries), n=1)
            hint = (
                f"did you mean KN_BASE_URL_{close[0].upper()}?" if close else "see kn-crawl sources"
            )
            raise CatalogError(
                f"KN_BASE_URL_{name.upper()}: no source {name!r} in the catalogue ({hint})"
            )
        try:
            entries[name] = entries[name].rebased(normalise_base_url(url))
        except BadValue as exc:
            raise CatalogError(f"KN_BASE_URL_{name.upper()}: {exc}") from None
    return Catalog(entries, files)


_CACHE: dict[tuple[Any, ...], Catalog] = {}


def load_catalog(settings: Settings, *, families: Collection[str] | None = None) -> Catalog:
    """The configured catalogue (bundled plus the user's file, ``KN_BASE_URL_<NAME>``
    applied), read again only when a file changed."""
    files = catalog_files(settings)
    stamps = []
    for path in files:
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise CatalogError(f"{path}: no such catalogue file (KN_SOURCES_FILE)") from None
        except OSError as exc:
            raise CatalogError(f"{path}: cannot read the catalogue: {exc}") from None
        stamps.append((str(path.resolve()), stat.st_mtime_ns, stat.st_size))
    family_set = frozenset(known_families() if families is None else families)
    key = (tuple(stamps), tuple(sorted(settings.base_urls.items())), family_set)
    if key not in _CACHE:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = load_files(files, families=family_set, base_urls=settings.base_urls)
    return _CACHE[key]
