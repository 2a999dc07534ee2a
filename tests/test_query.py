"""The query language: parsing (a table of queries and what they mean), errors that point at
the problem, matching in Python and highlighting. Pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kn_crawl.dates import BERLIN
from kn_crawl.query import Query, QueryError, fold, highlight, match_article, parse_query, snippet

NOW = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)


def groups(q: Query) -> list[list[str]]:
    return [[str(t) for t in g] for g in q.groups]


@pytest.mark.parametrize(
    ("text", "expected_groups", "expected_excluded"),
    [
        ("", [], []),
        ("OZG", [["OZG"]], []),
        ("OZG Hessen", [["OZG"], ["Hessen"]], []),
        ('"digitale Verwaltung" OZG', [['"digitale Verwaltung"'], ["OZG"]], []),
        ("OZG OR Onlinezugangsgesetz", [["OZG", "Onlinezugangsgesetz"]], []),
        ("a OR b OR c d", [["a", "b", "c"], ["d"]], []),
        ("Bürgerbüro ODER Bürgeramt", [["Bürgerbüro", "Bürgeramt"]], []),
        ('OZG -Bayern -"Freistaat Sachsen"', [["OZG"]], ["Bayern", '"Freistaat Sachsen"']),
        ("OZG AND Hessen", [["OZG"], ["Hessen"]], []),
        ("E-Government", [["E-Government"]], []),
        ("( OZG ) –", [["OZG"]], []),
        ("or", [["or"]], []),  # only upper-case OR is the operator
    ],
)
def test_terms(text: str, expected_groups: list[list[str]], expected_excluded: list[str]) -> None:
    q = parse_query(text)
    assert groups(q) == expected_groups
    assert [str(t) for t in q.excluded] == expected_excluded


def test_terms_are_folded() -> None:
    q = parse_query('Bürgerbüro "Straße der Einheit" E-Government')
    assert [t.tokens for g in q.groups for t in g] == [
        ("buergerbuero",),
        ("strasse", "der", "einheit"),
        ("e", "government"),
    ]
    assert q.terms == ("Bürgerbüro", "Straße der Einheit", "E-Government")


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("tag:Dortmund", "tags", ("Dortmund",)),
        ('tag:"Smart City" stichwort:OZG', "tags", ("Smart City", "OZG")),
        ("-tag:Politik OZG", "excluded_tags", ("Politik",)),
        ("source:move quelle:kommune21", "sources", ("move", "kommune21")),
        ("OZG -source:move", "excluded_sources", ("move",)),
        ('section:"E-Government" rubrik:IT', "sections", ("E-Government", "IT")),
        ("TAG:Dortmund", "tags", ("Dortmund",)),
    ],
)
def test_filters(text: str, field: str, expected: tuple[str, ...]) -> None:
    assert getattr(parse_query(text), field) == expected


def b(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "since", "until"),
    [
        ("since:2025-03-01", b(2025, 3, 1), None),
        ("seit:01.03.2025", b(2025, 3, 1), None),
        ('since:"1. März 2025"', b(2025, 3, 1), None),
        ('since:"März 2025"', b(2025, 3, 1), None),
        ("since:2025-03", b(2025, 3, 1), None),
        ("since:03.2025", b(2025, 3, 1), None),
        ("since:2024", b(2024, 1, 1), None),
        ("until:31.03.2025", None, b(2025, 4, 1)),
        ("bis:2025-03", None, b(2025, 4, 1)),
        ("until:2024", None, b(2025, 1, 1)),
        ("until:2024-12", None, b(2025, 1, 1)),
        ("since:gestern", b(2025, 6, 14), None),
        ("since:2025-03-01 until:2025-03-31", b(2025, 3, 1), b(2025, 4, 1)),
        ("since:2024 since:2025", b(2025, 1, 1), None),  # the narrower bound wins
    ],
)
def test_dates(text: str, since: datetime | None, until: datetime | None) -> None:
    q = parse_query(text, now=NOW)
    assert (q.since, q.until) == (since, until)


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ('OZG "digitale Verwaltung', 4, "unclosed quotation mark"),
        ('OZG ""', 4, "empty phrase"),
        ("OR OZG", 0, "OR must stand between"),
        ("OZG OR", 4, "OR must stand between"),
        ("OZG OR OR Hessen", 7, "two ORs in a row"),
        ("OZG OR -Hessen", 4, "OR must stand between"),
        ("OZG OR tag:Hessen", 4, "OR must stand between"),
        ("OZG - Hessen", 4, "'-' must be followed"),
        ("-Bayern", 0, "needs a word, phrase or filter besides exclusions"),
        ("OZG tag:", 4, "filter 'tag:' needs a value"),
        ("tag:--", 4, "needs a value with letters or digits"),
        ("OZG foo:bar", 4, "unknown filter 'foo:'"),
        ("since:morgen2", 6, "is not a date"),
        ("since:2025-13", 6, "is not a month"),
        ("since:gestern", 6, "is not a date"),  # relative dates need ``now``
        ("-since:2025", 0, "cannot be negated"),
        ("since:2025 until:2024", 11, "since: is not before until:"),
        ("since:0000", 6, "is not a year from 1900 to 2100"),
        ("until:9999", 6, "is not a year from 1900 to 2100"),
        ("since:٢٠٢٥", 6, "is not a date"),
        ("since:٢٠٢٥-٠٣", 6, "is not a date"),
    ],
)
def test_errors_point_at_the_problem(text: str, position: int, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(text)
    assert info.value.position == position
    assert message in info.value.message
    rendered = str(info.value)
    assert "\n" not in rendered and message in rendered and f"character {position + 1}" in rendered


def test_query_error_is_a_value_error_and_long_queries_are_refused() -> None:
    assert issubclass(QueryError, ValueError)
    with pytest.raises(QueryError, match="longer than"):
        parse_query("x " * 600)


def test_bayern_colon_is_a_word_not_a_filter() -> None:
    assert groups(parse_query("Bayern: OZG")) == [["Bayern:"], ["OZG"]]
    assert groups(parse_query('"Bayern: OZG" 10:30')) == [['"Bayern: OZG"'], ["10:30"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bürgerbüro", "buergerbuero"),
        ("BÜRGERBÜRO", "buergerbuero"),
        ("Straße", "strasse"),
        ("Café", "cafe"),
        ("Bu\u0308rger", "buerger"),  # decomposed umlaut
        ("Ärzte Öl Übung", "aerzte oel uebung"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


ARTICLE = {
    "title": "Dortmund eröffnet neues Bürgerbüro mit Serviceportal",
    "kicker": "Nordrhein-Westfalen",
    "teaser": "Die Stadt setzt das Onlinezugangsgesetz (OZG) um; E-Government für alle.",
    "tags": ["Dortmund", "E-Government", "Smart City"],
    "source": "kommune21",
    "section": "Verwaltung",
    "published_at": datetime(2025, 3, 10, 9, 0, tzinfo=UTC),
}


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Bürgerbüro", ("Bürgerbüro",)),
        ("Buergerbuero", ("Buergerbuero",)),  # transliterated
        ("BUERGERBÜRO", ("BUERGERBÜRO",)),
        ("Bürger", ("Bürger",)),  # word prefix
        ("büro", ("büro",)),  # compound part (4+ characters)
        ("portal", ("portal",)),
        ("ozg", ("ozg",)),
        ('"setzt das Onlinezugangsgesetz"', ("setzt das Onlinezugangsgesetz",)),
        ("E-Government", ("E-Government",)),
        ("Westfalen", ("Westfalen",)),  # in the kicker
        ("Hessen OR Dortmund", ("Dortmund",)),
        ("OZG Dortmund", ("OZG", "Dortmund")),
        ("tag:eGovernment", ()),  # tag keys: any spelling
        ("tag:smart-city tag:dortmund source:Kommune21 section:verwaltung", ()),
        ("OZG since:2025-03-10 until:2025-03-10", ("OZG",)),
        ("source:move", None),
        ("", ()),
    ],
)
def test_match_article(text: str, terms: tuple[str, ...] | None) -> None:
    match = match_article(parse_query(text), **ARTICLE)  # type: ignore[arg-type]
    assert (match.terms if match else None) == terms


@pytest.mark.parametrize(
    "text",
    [
        "Hessen",
        "amt",  # short words only match at a word start
        "rge",  # not a word start and too short to be a compound part
        '"Bürgerbüro Dortmund"',  # phrase words must be adjacent
        '"OZG Onlinezugangsgesetz"',  # phrase words in order
        "OZG -Serviceportal",
        "OZG -portal",
        "Dortmund tag:Politik",
        "Dortmund -tag:Dortmund",
        "Dortmund source:move",
        "Dortmund -source:kommune21",
        "Dortmund section:Wirtschaft",
        "Dortmund since:2025-03-11",
        "Dortmund until:2025-03-09",
        "Bürgerbürokratie",
    ],
)
def test_no_match(text: str) -> None:
    assert match_article(parse_query(text), **ARTICLE) is None  # type: ignore[arg-type]


def test_dates_without_published_at_never_match_a_date_filter() -> None:
    q = parse_query("since:2025")
    assert match_article(q, title="x", kicker=None, teaser=None) is None
    assert match_article(parse_query("x"), title="x", kicker=None, teaser=None) is not None


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        ("Das Bürgerbüro", ["Buergerbuero"], [("Das ", False), ("Bürgerbüro", True)]),
        ("Bürgerbüro", ["bürger"], [("Bürger", True), ("büro", False)]),
        ("Serviceportal", ["portal"], [("Service", False), ("portal", True)]),
        ("Gesamtamt", ["amt"], [("Gesamtamt", False)]),
        ("OZG und ozg", ["OZG"], [("OZG", True), (" und ", False), ("ozg", True)]),
        (
            "Die digitale  Verwaltung",
            ["digitale Verwaltung"],
            [("Die ", False), ("digitale  Verwaltung", True)],
        ),
        ("Straße", ["strasse"], [("Straße", True)]),
        ("Bu\u0308ro", ["buero"], [("Bu\u0308ro", True)]),
        ("<b>OZG</b>", ["ozg"], [("<b>", False), ("OZG", True), ("</b>", False)]),
        ("abc", [], [("abc", False)]),
        ("", ["x"], []),
        (
            "Bürger Bürgerbüro",
            ["bürger", "bürgerbüro"],
            [("Bürger", True), (" ", False), ("Bürgerbüro", True)],
        ),
    ],
)
def test_highlight(text: str, terms: list[str], expected: list[tuple[str, bool]]) -> None:
    segments = highlight(text, terms)
    assert segments == expected
    assert "".join(s for s, _ in segments) == text


def test_snippet_is_a_window_around_the_first_match() -> None:
    body = " ".join(["Vorwort"] * 80) + " Das Bürgerbüro öffnet. " + " ".join(["Nachwort"] * 80)
    segments = snippet(body, ["Buergerbuero"], width=120)
    text = "".join(s for s, _ in segments)
    assert text.startswith("…") and text.endswith("…")
    assert ("Bürgerbüro", True) in segments
    assert len(text) <= 125
    assert snippet(None, ["x"]) == []
    assert "".join(s for s, _ in snippet("kurz", ["x"])) == "kurz"


def test_short_words_match_whole_words_only() -> None:
    q = parse_query("KI")
    assert match_article(q, title="Kita-Ausbau und Kinder", kicker=None, teaser=None) is None
    assert match_article(q, title="Die KI-Strategie", kicker=None, teaser=None) is not None
    assert highlight("KI für Kinder", ["ki"]) == [("KI", True), (" für Kinder", False)]
