"""Tables for kn_crawl.tags."""

from __future__ import annotations

import pytest

from kn_crawl.tags import clean_tag, split_tags, tag_key

SPLIT_CASES = [
    ("Stichwörter: Politik, Dortmund", ["Politik", "Dortmund"]),
    ("Politik, Dortmund", ["Politik", "Dortmund"]),
    ("Stichworte: Politik, Dortmund", ["Politik", "Dortmund"]),
    ("Stichwort: Politik", ["Politik"]),
    ("Schlagwörter: Politik; Dortmund", ["Politik", "Dortmund"]),
    ("Schlagworte: Politik | Dortmund", ["Politik", "Dortmund"]),
    ("Tags: Politik, Dortmund.", ["Politik", "Dortmund"]),
    ("STICHWÖRTER:Politik,Dortmund", ["Politik", "Dortmund"]),
    ("Stichwoerter: Politik", ["Politik"]),
    ("Stichwörter:\n  Politik,\n  Dortmund\n", ["Politik", "Dortmund"]),
    ("Stichwörter: Politik\u00a0, Smart\u00a0City", ["Politik", "Smart City"]),
    ("Stichwörter: Politik, , Dortmund,", ["Politik", "Dortmund"]),
    ("Stichwörter: Politik, Dortmund, Politik", ["Politik", "Dortmund"]),
    ("E-Government, eGovernment, E Government, E-government", ["E-Government"]),
    ("Bürgerbüro, Buergerbuero", ["Bürgerbüro"]),
    ("„OZG“, 'Registermodernisierung'", ["OZG", "Registermodernisierung"]),
    ("#Digitalisierung • #KI", ["Digitalisierung", "KI"]),
    ("Stadt &amp; Werk, Energie", ["Stadt & Werk", "Energie"]),
    ("Stichwörter:", []),
    ("", []),
    (None, []),
    (" , ; | ", []),
]


@pytest.mark.parametrize(("text", "expected"), SPLIT_CASES)
def test_split_tags(text: str | None, expected: list[str]) -> None:
    assert split_tags(text) == expected


KEY_CASES = [
    ("E-Government", "egovernment"),
    ("E-government", "egovernment"),
    ("eGovernment", "egovernment"),
    ("E Government", "egovernment"),
    ("E‑Government", "egovernment"),  # non-breaking hyphen U+2011
    ("Bürgerbüro", "buergerbuero"),
    ("Buergerbuero", "buergerbuero"),
    ("Bu\u0308rgerbu\u0308ro", "buergerbuero"),  # decomposed
    ("BÜRGERBÜRO", "buergerbuero"),
    ("Straße", "strasse"),
    ("STRASSE", "strasse"),
    ("Smart City", "smartcity"),
    ("Smart-City", "smartcity"),
    ("OZG 2.0", "ozg20"),
    ("Ｅ－Ｇｏｖｅｒｎｍｅｎｔ", "egovernment"),  # full-width, NFKC
    ("ﬁnanzen", "finanzen"),  # ligature, NFKC
    ("Künstliche Intelligenz (KI)", "kuenstlicheintelligenzki"),
    ("__", ""),
    ("", ""),
]


@pytest.mark.parametrize(("name", "expected"), KEY_CASES)
def test_tag_key(name: str, expected: str) -> None:
    assert tag_key(name) == expected
    assert tag_key(expected) == expected


CLEAN_CASES = [
    ("Politik", "Politik"),
    ("  Politik  ", "Politik"),
    ("Politik.", "Politik"),
    ("Politik,;", "Politik"),
    ("„Smart City“.", "Smart City"),
    ('"OZG"', "OZG"),
    ("#KI", "KI"),
    ("Smart\u00a0City", "Smart City"),
    ("Stadt &amp; Werk", "Stadt & Werk"),
    ("OZG 2.0", "OZG 2.0"),
    ("Digitalisierung!", "Digitalisierung"),
    ("x" * 80, "x" * 80),
    ("x" * 81, None),
    ("", None),
    ("  ", None),
    ("...", None),
    ("„“", None),
    ("\u00ad", None),
]


@pytest.mark.parametrize(("name", "expected"), CLEAN_CASES)
def test_clean_tag(name: str, expected: str | None) -> None:
    assert clean_tag(name) == expected
