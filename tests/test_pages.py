"""Page objects against saved pages: every case in tests/fixtures/pages has the HTML and the
expected extraction as JSON (refresh.py rewrites them after a reviewed change)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.pages.refresh import extract_case

CASES = sorted(Path(__file__).parent.joinpath("fixtures", "pages").glob("*.json"))


@pytest.mark.parametrize("meta", CASES, ids=[c.stem for c in CASES])
def test_page_extraction_matches_expected(meta: Path) -> None:
    case = json.loads(meta.read_text())
    actual = extract_case(case, meta.with_suffix(".html").read_bytes())
    expected = case["expected"]
    # Field by field, so a failure names the field.
    for key in sorted(set(expected) | set(actual)):
        assert actual.get(key) == expected.get(key), f"{meta.stem}: field {key!r}"
