"""The catalogue families' page objects against saved pages of each CMS: every case in
tests/fixtures/pages/families has the HTML, the catalogue entry that reads it and the
expected extraction as JSON (``python -m tests.fixtures.pages.families.cases`` rewrites
them after a reviewed change)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kn_crawl.extract.dom import decode_page, parse_html
from spiders.family import Family, family_class
from spiders.generic import GenericFamily
from spiders.wordpress import WordPressFamily
from tests.fixtures.pages.families.cases import cases, extract_case, source_of

CASES = cases()


@pytest.mark.parametrize("meta", CASES, ids=[c.stem for c in CASES])
def test_family_page_extraction_matches_expected(meta: Path) -> None:
    case = json.loads(meta.read_text())
    actual = extract_case(case, meta.with_suffix(".html").read_bytes())
    expected = case["expected"]
    for key in sorted(set(expected) | set(actual)):
        assert actual.get(key) == expected.get(key), f"{meta.stem}: field {key!r}"


def test_every_cms_has_a_case() -> None:
    assert [c.stem for c in CASES] == [
        "drupal-node",
        "gsb-press-listing",
        "gsb-press-release",
        "liferay-asset",
        "liferay-listing",
        "wordpress-article",
        "wordpress-category",
    ]


@pytest.mark.parametrize(
    ("name", "cls"), [("generic", GenericFamily), ("wordpress", WordPressFamily)]
)
def test_families_load_by_name_and_read_a_page(name: str, cls: type[Family]) -> None:
    assert family_class(name) is cls
    meta = next(c for c in CASES if c.stem == "wordpress-article")
    case = json.loads(meta.read_text())
    family = family_class(name)(source_of(case))
    root = parse_html(decode_page(meta.with_suffix(".html").read_bytes(), "text/html"))
    item = family.read_article(case["url"], root, now=None)
    assert (item.source, item.title, item.author) == (
        "behoerdenspiegel",
        "Registermodernisierung: Bund und Länder einigen sich auf Zeitplan",
        "Anna Beispiel",
    )
    assert family.looks_like_article(root) is True
