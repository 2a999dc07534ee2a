"""The extraction scorer's pure checks (bench/bench_extract.py): normalisation, day
comparison, with/without fragments, not_article pages, ROUGE-LSum on a known pair."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "bench" / "bench_extract.py"
_SPEC = importlib.util.spec_from_file_location("bench_extract", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
bench = importlib.util.module_from_spec(_SPEC)
sys.modules["bench_extract"] = bench  # dataclasses look their module up by name
_SPEC.loader.exec_module(bench)


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        (None, ""),
        ("  Ein   Titel\n", "Ein Titel"),
        ("„Gänsefüßchen“ und «Guillemets»", '"Gänsefüßchen" und "Guillemets"'),
        ("it’s ‚halb‘", "it's 'halb'"),
        ("Bund – Länder — Kommunen − 1", "Bund - Länder - Kommunen - 1"),
        ("Digi\u00adtali\u00adsierung", "Digitalisierung"),
        ("Mu\u0308nchen\u00a0heute", "München heute"),  # decomposed umlaut, no-break space
        ("Groß und klein", "Groß und klein"),  # case kept
    ],
)
def test_normalise(text: str | None, normalised: str) -> None:
    assert bench.normalise(text) == normalised


@pytest.mark.parametrize(
    ("expected", "got", "ok"),
    [
        ("Lithium aus dem Schredder", "Lithium aus dem Schredder", True),
        ("„OZG“ – was nun?", '"OZG" - was nun?', True),
        ("Lithium aus dem Schredder", "Lithium aus dem Schredder | heise online", False),
        ("Lithium aus dem Schredder", "lithium aus dem schredder", False),
        ("Lithium aus dem Schredder", None, False),
    ],
)
def test_same_title(expected: str, got: str | None, ok: bool) -> None:
    assert bench.same_title(expected, got) is ok


BERLIN_SUMMER = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("expected", "got", "ok"),
    [
        ("2019-06-20", datetime(2019, 6, 20, 7, 30, tzinfo=BERLIN_SUMMER), True),
        # The page's own day counts, not UTC's: 00:30 +02:00 is still the 20th.
        ("2019-06-20", datetime(2019, 6, 20, 0, 30, tzinfo=BERLIN_SUMMER), True),
        ("2019-06-20", datetime(2019, 6, 19, 23, 0, tzinfo=UTC), False),
        ("2019-06-20", date(2019, 6, 20), True),
        ("2019-06-20", "2019-06-20", True),
        ("2019-06-20", "2019-06-20T07:30:00+02:00", True),
        ("2019-06-20", "2019-06-21", False),
        ("2019-06-20", None, False),
        ("2019-06-20", "kein Datum", False),
        (None, None, True),  # no_date page: right when no date is given
        (None, "2019-06-20", False),
    ],
)
def test_same_day(expected: str | None, got: object, ok: bool) -> None:
    assert bench.same_day(expected, got) is ok


PAGE = {
    "id": "p",
    "kind": "article",
    "title": "Glasfaser für alle",
    "date": "2024-03-05",
    "with": ["Der Kreis baut aus.", "Die Kosten trägt das Land."],
    "without": ["Lesen Sie auch: Neue Funkmasten"],
}


def test_checks_article_page() -> None:
    out = bench.Output(
        title="Glasfaser für alle",
        date=datetime(2024, 3, 5, 9, 0, tzinfo=UTC),
        teaser="Der Kreis baut aus.",  # the lead is in the teaser only: found
        body="Die Kosten trägt  das Land.\n\nLesen Sie auch: Neue Funkmasten",
    )
    result = [(c.field, c.ok) for c in bench.checks(PAGE, out)]
    assert result == [
        ("title", True),
        ("date", True),
        ("with", True),
        ("with", True),
        ("without", False),
    ]


def test_checks_without_only_looks_at_the_body() -> None:
    out = bench.Output(title="X", teaser="Lesen Sie auch: Neue Funkmasten", body="Text.")
    result = [(c.field, c.ok) for c in bench.checks(PAGE, out)]
    assert result == [
        ("title", False),
        ("date", False),
        ("with", False),
        ("with", False),
        ("without", True),
    ]


def test_checks_skip_absent_fields_and_check_no_date() -> None:
    page = {"id": "q", "kind": "article", "title": None, "date": None, "no_date": True}
    assert [(c.field, c.ok) for c in bench.checks(page, bench.Output())] == [("date", True)]
    dated = bench.Output(date="2020-01-01")
    assert [(c.field, c.ok) for c in bench.checks(page, dated)] == [("date", False)]
    assert bench.checks({"id": "r", "date": None}, dated) == []


@pytest.mark.parametrize(
    ("out", "ok"),
    [
        (bench.Output(), True),
        (bench.Output(title="Aktuelles", body=None), True),
        (bench.Output(title=None, body="Cookies …"), True),
        (bench.Output(title="Aktuelles", body="Meldung eins. Meldung zwei."), False),
    ],
)
def test_checks_not_article(out: object, ok: bool) -> None:
    [check] = bench.checks({"id": "home", "kind": "not_article", "title": "Home"}, out)
    assert (check.field, check.ok) == ("not_article", ok)


def test_sentences_one_a_line() -> None:
    text = "Erster Satz. Zweiter Satz!\n\n„Zitat“ am Anfang? Ja.\nz. B. Berlin"
    assert (
        bench.sentences(text)
        == 'Erster Satz.\nZweiter Satz!\n"Zitat" am Anfang?\nJa.\nz. B. Berlin'
    )


def _plain_lcs_table(ref: list[str], can: list[str]) -> list[list[int]]:
    table = [[0] * (len(can) + 1) for _ in range(len(ref) + 1)]
    for i in range(1, len(ref) + 1):
        for j in range(1, len(can) + 1):
            if ref[i - 1] == can[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table


@pytest.mark.parametrize(
    ("ref", "can"),
    [
        ("", ""),
        ("abc", ""),
        ("", "abc"),
        ("abcbdab", "bdcaba"),
        ("xyz", "abc"),  # no token in common: every row shared
        ("axbxc", "abc"),
        ("aaaa", "aa"),
        ("the council met on monday", "the council met monday"),
    ],
)
def test_lcs_table_equals_the_plain_table(ref: str, can: str) -> None:
    r, c = list(ref.replace(" ", "")), list(can.replace(" ", ""))
    assert bench.lcs_table(r, c) == _plain_lcs_table(r, c)


def test_rouge_lsum_known_pair() -> None:
    pytest.importorskip("rouge_score", reason="the bench extra (rouge-score) is not installed")
    gold = "The council met on Monday. It approved the budget."
    assert bench.rouge_lsum(gold, gold) == 1.0
    assert bench.rouge_lsum(gold, None) == 0.0
    # 8 of the 9 gold tokens in order, nothing extra: P = 8/8, R = 8/9, F1 = 16/17.
    got = "The council met on Monday. It approved budget."
    assert round(bench.rouge_lsum(gold, got), 6) == round(16 / 17, 6)
    # Stemmed: "approves" matches "approved".
    assert bench.rouge_lsum(gold, "The council met on Monday. It approves the budget.") == 1.0


def test_lang_group() -> None:
    assert [bench.lang_group(x) for x in ("de", "en", "fr", None)] == ["de", "en", "other", "other"]
