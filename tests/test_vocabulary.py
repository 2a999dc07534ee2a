"""The Stichwort vocabulary: spelling variants fold by key, synonyms by the alias file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kn_crawl.alerts.vocabulary import Vocabulary, load_vocabulary, parse_aliases
from kn_crawl.settings import ConfigError, Settings
from kn_crawl.tags import concept_key

BUNDLED = load_vocabulary()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("E-Government", "eGovernment"),
        ("E-government", "E Government"),
        ("OZG", "Onlinezugangsgesetz"),
        ("OZG", "Online-Zugangsgesetz"),
        ("onlinezugangsgesetz", "ONLINEZUGANGSGESETZ"),
        ("KI", "Künstliche Intelligenz"),
        ("KI", "Kuenstliche Intelligenz"),
        ("Smart City", "Smart Cities"),
        ("Smart City", "smart-city"),
        ("IT-Sicherheit", "Informationssicherheit"),
        ("Straße", "STRASSE"),
        ("Wärmeplanung", "kommunale Wärmeplanung"),
    ],
)
def test_same_stichwort(a: str, b: str) -> None:
    assert BUNDLED.key(a) == BUNDLED.key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("OZG", "E-Government"), ("KI", "Kiel"), ("Smart City", "Smart Meter"), ("PV", "PVC")],
)
def test_different_stichwoerter(a: str, b: str) -> None:
    assert BUNDLED.key(a) != BUNDLED.key(b)


def test_concept_key_without_aliases_is_tag_key() -> None:
    assert concept_key("E-Government", {}) == "egovernment"
    assert concept_key("Onlinezugangsgesetz", {"onlinezugangsgesetz": "ozg"}) == "ozg"


def test_alias_file_format() -> None:
    vocab = parse_aliases('[synonyms]\n"Bürgeramt" = ["Bürgerbüro", "Buergerbuero"]\n', "test")
    assert vocab.key("Bürgerbüro") == vocab.key("Bürgeramt") == "buergeramt"
    assert vocab.preferred == {"buergeramt": "Bürgeramt"}
    assert Vocabulary().key("Bürgerbüro") == "buergerbuero"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[synonyms]\n"A" = "B"\n', "needs a list"),
        ('[synonyms]\n"A" = ["X"]\n"B" = ["x"]\n', "synonym of two"),
        ('[synonyms]\n"A" = ["B"]\n"B" = ["C"]\n', "both preferred and a synonym"),
        ('[synonyms]\n"A" = ["--"]\n', "bad synonym"),
        ("[other]\n", "only a [synonyms] table"),
        ("[synonyms\n", "test.toml"),
    ],
)
def test_bad_alias_files_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        parse_aliases(text, "test.toml")


def test_alias_file_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "aliases.toml"
    path.write_text('[synonyms]\n"Digitalisierung" = ["Digitalisation"]\n', encoding="utf-8")
    settings = Settings.from_env({"KN_TAG_ALIASES_FILE": str(path)})
    vocab = load_vocabulary(settings.tag_aliases_file)
    assert vocab.key("Digitalisation") == "digitalisierung"
    # Replaces the bundled file rather than adding to it.
    assert vocab.key("Onlinezugangsgesetz") != vocab.key("OZG")
    with pytest.raises(ConfigError, match="KN_TAG_ALIASES_FILE"):
        load_vocabulary(tmp_path / "missing.toml")


def test_the_bundled_file_folds_the_mirror_synonym_groups() -> None:
    from kn_crawl.mirror.vocab import K21_TOPICS, MOVE_TOPICS, SUW_TOPICS

    topics = (*K21_TOPICS, *MOVE_TOPICS, *SUW_TOPICS)
    groups = [group for topic in topics for group in topic.tags if len(group) > 1]
    folded = [g for g in groups if len({BUNDLED.key(t) for t in g}) == 1]
    assert len(folded) == len(groups), [g for g in groups if g not in folded]
