"""The Stichwort vocabulary for alerts: spelling variants fold through ``tag_key``, synonyms
through an alias file (``aliases.toml`` next to this module, or ``KN_TAG_ALIASES_FILE``)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from kn_crawl.settings import ConfigError
from kn_crawl.tags import concept_key, tag_key


@dataclass(frozen=True, slots=True)
class Vocabulary:
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Tag key of a synonym -> tag key of its preferred Stichwort."""
    preferred: Mapping[str, str] = field(default_factory=dict)
    """Tag key of a preferred Stichwort -> its spelling in the alias file."""

    def key(self, name: str) -> str:
        """One key per Stichwort: ``eGovernment`` -> ``egovernment``, ``Onlinezugangsgesetz``
        -> ``ozg``."""
        return concept_key(name, self.aliases)

    def keys_of(self, name: str) -> tuple[str, ...]:
        """Every tag key that is the same Stichwort as ``name``: ``OZG`` and
        ``Onlinezugangsgesetz`` both give ``("onlinezugangsgesetz", "onlinezugangsgesetzumsetzung",
        "ozg", …)``. Search's ``tag:`` uses it, so search and alerts agree on synonyms."""
        concept = self.key(name)
        return tuple(sorted({concept, *(k for k, t in self.aliases.items() if t == concept)}))


def parse_aliases(text: str, origin: str) -> Vocabulary:
    """The vocabulary of an alias file's text; ConfigError naming ``origin`` when malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    synonyms = data.get("synonyms", {})
    if not isinstance(synonyms, dict) or set(data) - {"synonyms"}:
        raise ConfigError(f"{origin}: expected only a [synonyms] table")
    aliases: dict[str, str] = {}
    preferred: dict[str, str] = {}
    for name, variants in synonyms.items():
        target = tag_key(name)
        if not target or not isinstance(variants, list):
            raise ConfigError(f"{origin}: {name!r} needs a list of synonyms")
        preferred[target] = name
        for variant in variants:
            key = tag_key(variant) if isinstance(variant, str) else ""
            if not key:
                raise ConfigError(f"{origin}: bad synonym {variant!r} of {name!r}")
            if key == target:
                continue  # a spelling variant: already folded by tag_key
            if aliases.get(key, target) != target:
                raise ConfigError(f"{origin}: {variant!r} is a synonym of two Stichwörter")
            aliases[key] = target
    chained = sorted(set(aliases) & set(preferred))
    if chained:
        raise ConfigError(f"{origin}: {chained[0]!r} is both preferred and a synonym")
    return Vocabulary(aliases, preferred)


def configured_vocabulary() -> Vocabulary:
    """The vocabulary of ``KN_TAG_ALIASES_FILE`` (read as ``Settings`` reads it), else the
    bundled one: for the query paths (search, web UI), which get no settings passed."""
    path = os.environ.get("KN_TAG_ALIASES_FILE")
    return load_vocabulary(Path(path) if path else None)


@lru_cache(maxsize=4)
def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """The configured vocabulary (``Settings.tag_aliases_file``), or the bundled one."""
    if path is None:
        bundled = resources.files("kn_crawl.alerts").joinpath("aliases.toml")
        return parse_aliases(bundled.read_text(encoding="utf-8"), "bundled aliases.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"KN_TAG_ALIASES_FILE {path}: {exc.strerror}") from None
    return parse_aliases(text, str(path))
