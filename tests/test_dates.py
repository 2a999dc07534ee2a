"""Tables for kn_crawl.dates. Every expected value is an aware datetime; the
comparison also checks the offset and the zone, so "Berlin local" and "fixed
+01:00 as given" are distinguished."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kn_crawl import dates
from kn_crawl.dates import (
    BERLIN,
    date_from_url,
    dateline_date,
    find_date,
    first_published,
    is_banner_date,
    is_future_date,
    is_plausible_published,
    parse_date,
    split_leading_date,
)

# The day of the Kommune21 capture, noon Berlin time.
NOW = datetime(2025, 1, 31, 12, 0, tzinfo=BERLIN)


def B(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    """Wall time in Europe/Berlin."""
    return datetime(y, mo, d, h, mi, s, us, tzinfo=BERLIN)


def Z(y: int, mo: int, d: int, h: int, mi: int, s: int = 0, us: int = 0, *, off: float) -> datetime:
    """Fixed offset, as written in the source (off in hours)."""
    tz = UTC if off == 0 else timezone(timedelta(hours=off))
    return datetime(y, mo, d, h, mi, s, us, tzinfo=tz)


def same(result: datetime | None, expected: datetime | None) -> bool:
    if result is None or expected is None:
        return result is expected
    return (result, result.utcoffset(), str(result.tzinfo)) == (
        expected,
        expected.utcoffset(),
        str(expected.tzinfo),
    )


PARSE_CASES = [
    # --- K21 and other numeric German dates (day first, always)
    ("27.11.2017", B(2017, 11, 27)),
    ("[27.11.2017]", B(2017, 11, 27)),
    ("  [27.11.2017]  ", B(2017, 11, 27)),
    ("[ 27.11.2017 ]", B(2017, 11, 27)),
    ("(27.11.2017)", B(2017, 11, 27)),
    ("\u00a027.11.2017\u00a0", B(2017, 11, 27)),
    ("27.11.2017, 10:30 Uhr", B(2017, 11, 27, 10, 30)),
    ("27.11.2017 10:30", B(2017, 11, 27, 10, 30)),
    ("27.11.2017 um 10:30 Uhr", B(2017, 11, 27, 10, 30)),
    ("27.11.2017 10.30 Uhr", B(2017, 11, 27, 10, 30)),
    ("27.11.2017 10:30:15", B(2017, 11, 27, 10, 30, 15)),
    ("27.11.2017\n10:30 Uhr", B(2017, 11, 27, 10, 30)),
    ("27. 11. 2017", B(2017, 11, 27)),
    ("3.6.2024", B(2024, 6, 3)),
    ("10.11.2020", B(2020, 11, 10)),  # the classic trap: 10 November, not 11 October
    ("01.02.2024", B(2024, 2, 1)),
    ("29.02.2024", B(2024, 2, 29)),  # leap day
    ("31.01.25", B(2025, 1, 31)),
    ("01.01.00", B(2000, 1, 1)),
    ("Mo, 03.06.24", B(2024, 6, 3)),
    ("Mo., 03.06.24", B(2024, 6, 3)),
    ("Di 28.01.2025", B(2025, 1, 28)),
    ("Dienstag, 28.01.2025", B(2025, 1, 28)),
    ("23.10.2024 - 10:30", B(2024, 10, 23, 10, 30)),
    ("23.10.2024 – 10:30", B(2024, 10, 23, 10, 30)),
    ("23.10.2024 | 10:30 Uhr", B(2024, 10, 23, 10, 30)),
    ("28/01/2025", B(2025, 1, 28)),
    ("28-01-2025", B(2025, 1, 28)),
    ("27.11.2017 10:30 MEZ", Z(2017, 11, 27, 10, 30, off=1)),
    # --- spelled months
    ("23. Oktober 2024", B(2024, 10, 23)),
    ("23. oktober 2024", B(2024, 10, 23)),
    ("23 Oktober 2024", B(2024, 10, 23)),
    ("23. Oktober 2024.", B(2024, 10, 23)),
    ("Freitag, 31. Januar 2025", B(2025, 1, 31)),
    ("Freitag, den 31. Januar 2025", B(2025, 1, 31)),
    ("Fr., 31. Jan. 2025", B(2025, 1, 31)),
    ("3. März 2024", B(2024, 3, 3)),
    ("3. MÄRZ 2024", B(2024, 3, 3)),
    ("3. Maerz 2024", B(2024, 3, 3)),
    ("3. Mrz. 2024", B(2024, 3, 3)),
    ("3. Mrz 2024", B(2024, 3, 3)),
    ("3.März 2024", B(2024, 3, 3)),
    ("5. Jan. 2025", B(2025, 1, 5)),
    ("2. Jänner 2025", B(2025, 1, 2)),
    ("9. Sept. 2024", B(2024, 9, 9)),
    ("9. Sep 2024", B(2024, 9, 9)),
    ("1. Okt 2024", B(2024, 10, 1)),
    ("1. Okt. 2024", B(2024, 10, 1)),
    ("1. Mai 2024", B(2024, 5, 1)),
    ("15. Juni 2024", B(2024, 6, 15)),
    ("15. Juli 2024", B(2024, 7, 15)),
    ("24. Dez. 2024", B(2024, 12, 24)),
    ("23. Oktober 2024, 10:30 Uhr", B(2024, 10, 23, 10, 30)),
    ("23. Oktober 2024 um 10:30 Uhr", B(2024, 10, 23, 10, 30)),
    ("23. Oktober 2024 - 9:05", B(2024, 10, 23, 9, 5)),
    # --- ISO 8601 (datePublished, article:published_time)
    ("2025-01-28", B(2025, 1, 28)),
    ("2025-01-28T09:15:00+01:00", Z(2025, 1, 28, 9, 15, off=1)),
    ("2025-07-28T09:15:00+02:00", Z(2025, 7, 28, 9, 15, off=2)),
    ("2025-01-28T09:15:00+0100", Z(2025, 1, 28, 9, 15, off=1)),
    ("2025-01-28T09:15:00-05:00", Z(2025, 1, 28, 9, 15, off=-5)),
    ("2025-01-28T09:15:00Z", Z(2025, 1, 28, 9, 15, off=0)),
    ("2025-01-28t09:15:00z", Z(2025, 1, 28, 9, 15, off=0)),
    ("2025-01-28T09:15:00.123Z", Z(2025, 1, 28, 9, 15, 0, 123000, off=0)),
    ("2025-01-28T09:15:00.123456789+01:00", Z(2025, 1, 28, 9, 15, 0, 123456, off=1)),
    ("2025-01-28T09:15", B(2025, 1, 28, 9, 15)),
    ("2025-01-28 09:15:00", B(2025, 1, 28, 9, 15)),
    ("2025-07-01T10:00:00", B(2025, 7, 1, 10, 0)),
    ("2025/01/28", B(2025, 1, 28)),
    # --- RFC 822 / 2822 (RSS pubDate)
    ("Tue, 28 Jan 2025 09:15:00 +0100", Z(2025, 1, 28, 9, 15, off=1)),
    ("Tue, 28 Jan 2025 09:15:00 GMT", Z(2025, 1, 28, 9, 15, off=0)),
    ("Tue, 28 Jan 2025 09:15:00 UT", Z(2025, 1, 28, 9, 15, off=0)),
    ("Tue, 28 Jan 2025 09:15:00 -0500", Z(2025, 1, 28, 9, 15, off=-5)),
    ("Tue, 28 Jan 2025 09:15:00 EST", Z(2025, 1, 28, 9, 15, off=-5)),
    ("Wed, 02 Jul 2025 18:00:00 +0200", Z(2025, 7, 2, 18, 0, off=2)),
    ("28 Jan 2025 09:15 +0000", Z(2025, 1, 28, 9, 15, off=0)),
    ("Tue, 28 Jan 2025 09:15:00", B(2025, 1, 28, 9, 15)),
    ("Friday, 31 January 2025", B(2025, 1, 31)),
    # --- spellings only the dateparser fallback knows
    ("Jan 31, 2025", B(2025, 1, 31)),
    ("January 31st, 2025", B(2025, 1, 31)),
    ("31st January 2025", B(2025, 1, 31)),
    ("January 31, 2025 09:15 +0530", Z(2025, 1, 31, 9, 15, off=5.5)),
    ("July 4 2024 3pm", B(2024, 7, 4, 15, 0)),
    ("Thursday, May 30, 2019", B(2019, 5, 30)),
    ("Saturday, December 27, 2014, 12:06 PM", B(2014, 12, 27, 12, 6)),
    # ... and only text made of date words: a place or a byline is prose (find_date's).
    ("Schengen, 3. Juli 2018", None),
    ("by Jake Goulding on January 20, 2020", None),
    # ... but not soup with a month in it: dateparser would take the 5 of "UTC+5"
    # or the 3 of "3pm" as the day.
    ("Montag Feb UTC+5 1999", None),
    ("3pm 10:30 2025 May", None),
    ("Januar UTC+5 - 2025", None),
    # --- relative, against NOW = 2025-01-31 12:00 Berlin
    ("heute", B(2025, 1, 31)),
    ("Heute", B(2025, 1, 31)),
    ("gestern", B(2025, 1, 30)),
    ("vorgestern", B(2025, 1, 29)),
    ("heute, 10:30 Uhr", B(2025, 1, 31, 10, 30)),
    ("Heute um 10:30", B(2025, 1, 31, 10, 30)),
    ("gestern 14:05", B(2025, 1, 30, 14, 5)),
    ("Gestern, 14:05 Uhr", B(2025, 1, 30, 14, 5)),
    ("vor 2 Stunden", B(2025, 1, 31, 10, 0)),
    ("vor 5 Minuten", B(2025, 1, 31, 11, 55)),
    ("vor 1 Minute", B(2025, 1, 31, 11, 59)),
    ("vor einer Stunde", B(2025, 1, 31, 11, 0)),
    ("vor 2 Std.", B(2025, 1, 31, 10, 0)),
    ("Vor 3 Tagen", B(2025, 1, 28, 12, 0)),
    ("vor einem Tag", B(2025, 1, 30, 12, 0)),
    ("vor 1 Woche", B(2025, 1, 24, 12, 0)),
    ("today", B(2025, 1, 31)),
    ("yesterday", B(2025, 1, 30)),
    ("2 hours ago", B(2025, 1, 31, 10, 0)),
    ("an hour ago", B(2025, 1, 31, 11, 0)),
    # --- DST (Europe/Berlin: 2025-03-30 02:00 -> 03:00, 2025-10-26 03:00 -> 02:00)
    ("30.03.2025 01:59", B(2025, 3, 30, 1, 59)),
    # 02:30 does not exist that night: read as a clock not yet switched forward.
    ("30.03.2025 02:30", B(2025, 3, 30, 3, 30)),
    ("30.03.2025 03:00", B(2025, 3, 30, 3, 0)),
    ("31.03.2025", B(2025, 3, 31)),
    # 02:30 happens twice in October: the first (summer time, +02:00) is taken.
    ("26.10.2025 02:30", Z(2025, 10, 26, 2, 30, off=2).astimezone(BERLIN)),
    ("26.10.2025 03:30", B(2025, 10, 26, 3, 30)),
    # --- impossible, ambiguous, garbage -> None
    ("31.02.2024", None),
    ("29.02.2023", None),
    ("00.13.2020", None),
    ("32.01.2024", None),
    ("31.04.2024", None),
    ("00.01.2024", None),
    ("27.11.2017 24:00", None),
    ("27.11.2017 10:60", None),
    ("30. Februar 2024", None),
    ("2025-02-30", None),
    ("2025-13-01", None),
    ("2025-01-28T25:00:00Z", None),
    ("2025-01-28T09:15:00+25:00", None),
    ("", None),
    ("   ", None),
    ("garbage", None),
    ("Politik", None),
    ("Stichwörter: Politik, Dortmund", None),
    ("1 2 2020", None),  # dateparser would say 1 February: number soup is not a date
    ("12 34 5678 2020", None),
    ("2.0", None),
    ("10:30", None),
    ("10.11.", None),
    ("23. Oktober", None),  # no year: never filled in
    ("Oktober 2024", None),  # no day
    ("Januar 2025", None),
    ("28-01-25", None),  # could be 2028-01-25: ambiguous
    ("28/01/25", None),
    ("23.10.2024 - 24.10.2024", None),  # a range is not one date
    ("27.11.1850", None),  # outside 1900..2100
    ("01.01.2101", None),
    ("vor 2 Monaten", None),  # too vague to store
    ("vor 1 Jahr", None),
    ("vor einigen Minuten", None),
    ("vor allem Kommunen", None),
    ("Mitte Januar 2025", None),
    ("Anfang 2025", None),
    ("letzten Montag im Januar 2025", None),
    ("Am 23. Oktober 2024 hat der Rat beschlossen", None),  # prose: use find_date
    ("Dortmund 27.11.2017", None),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_date(text: str, expected: datetime | None) -> None:
    assert same(parse_date(text, now=NOW), expected)


def test_parse_table_is_long() -> None:
    assert len(PARSE_CASES) >= 50


RELATIVE = [
    "heute",
    "gestern",
    "vorgestern",
    "heute, 10:30 Uhr",
    "gestern 14:05",
    "vor 2 Stunden",
    "vor 5 Minuten",
    "vor 3 Tagen",
    "today",
    "yesterday",
    "2 hours ago",
]


@pytest.mark.parametrize("text", RELATIVE)
def test_relative_without_now_is_none(text: str) -> None:
    assert parse_date(text) is None
    assert find_date(f"Aktualisiert {text}") is None


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        # A naive now is wall time in tz.
        (datetime(2025, 1, 31, 12, 0), "vor 2 Stunden", B(2025, 1, 31, 10, 0)),
        # An aware now in another zone is converted first: 23:30 UTC is already
        # 31 January in Berlin.
        (datetime(2025, 1, 30, 23, 30, tzinfo=UTC), "heute", B(2025, 1, 31)),
        (datetime(2025, 1, 30, 23, 30, tzinfo=UTC), "gestern", B(2025, 1, 30)),
        # Hours count on the time line across the spring-forward gap ...
        (B(2025, 3, 30, 4, 0), "vor 2 Stunden", B(2025, 3, 30, 1, 0)),
        # ... days on the wall clock.
        (B(2025, 3, 30, 12, 0), "vor 1 Tag", B(2025, 3, 29, 12, 0)),
        (B(2025, 3, 30, 12, 0), "gestern", B(2025, 3, 29)),
    ],
)
def test_relative_now_handling(now: datetime, text: str, expected: datetime) -> None:
    assert same(parse_date(text, now=now), expected)


def test_tz_parameter() -> None:
    utc = ZoneInfo("UTC")
    assert same(parse_date("27.11.2017 10:30", tz=utc), datetime(2017, 11, 27, 10, 30, tzinfo=utc))
    # An explicit offset wins over tz.
    assert same(parse_date("2025-01-28T09:15:00+01:00", tz=utc), Z(2025, 1, 28, 9, 15, off=1))


@pytest.mark.parametrize(
    "text",
    [
        None,
        "\x00",
        "[]",
        "[[",
        "()",
        "Uhr",
        "Freitag,",
        "99999999999.1.2025",
        "1.1.99999",
        "vor 99999 Tagen",
        "vor 9999 Wochen",
        "2025-01-28T09:15:00.+01:00",
        "Tue, 28 Foo 2025 09:15:00 +0100",
        "x" * 10_000,
        "27.11.2017 " * 50,
        "🙂 31. Januar 2025",
        "٣١.٠١.٢٠٢٥",  # Arabic-Indic digits
    ],
)
def test_never_raises(text: str | None) -> None:
    result = parse_date(text, now=NOW)
    assert result is None or result.tzinfo is not None


# The documented formats must be handled by the regexes, never by dateparser
# (0.6-2 ms per call, on every page). This pins the fast path.
FAST_PATH = [
    "[27.11.2017]",
    "23. Oktober 2024",
    "Freitag, 31. Januar 2025",
    "27.11.2017, 10:30 Uhr",
    "31.01.25",
    "Mo, 03.06.24",
    "3. Mrz. 2024",
    "9. Sept. 2024",
    "23.10.2024 - 10:30",
    "2025-01-28T09:15:00.123+01:00",
    "Tue, 28 Jan 2025 09:15:00 +0100",
    "Tue, 28 Jan 2025 09:15:00 GMT",
    "heute, 10:30 Uhr",
    "gestern 14:05",
    "vor 2 Stunden",
    "March 3, 2025",
    "Dec. 23, 2016",
    "Juni 19th, 2018",
    "03. Feb. 2025",
]


@pytest.mark.parametrize("text", FAST_PATH)
def test_documented_formats_take_the_fast_path(text: str) -> None:
    assert dates._FULL_RE.fullmatch(dates._normalise(text)) is not None


FIND_CASES = [
    ("Veröffentlicht am 23. Oktober 2024 von Max Muster", B(2024, 10, 23)),
    ("Pressemitteilung vom 27.11.2017, 10:30 Uhr", B(2017, 11, 27, 10, 30)),
    ("Stand: 31.01.25", B(2025, 1, 31)),
    ("Am 1. Juni 2017 hat der Rat die Notwendigkeit beschlossen.", B(2017, 6, 1)),
    ("datePublished 2025-01-28T09:15:00+01:00 und mehr", Z(2025, 1, 28, 9, 15, off=1)),
    # KGSt event: a range, the first date is the start.
    ("12.03.2025 09:00 - 13.03.2025 16:00 | Köln", B(2025, 3, 12, 9, 0)),
    # IP addresses and versions are not dates; an invalid date is skipped.
    ("Server 192.168.10.11, Version 2.0, am 31.02.2024 oder 01.03.2024", B(2024, 3, 1)),
    ("Digitales Bayern 5.0 startet im Frühjahr", None),
    ("Die Stadt hat heute mitgeteilt, dass …", None),  # bare "heute" is prose
    ("Aktualisiert: heute, 10:30 Uhr", B(2025, 1, 31, 10, 30)),
    ("Max Muster · vor 2 Stunden", B(2025, 1, 31, 10, 0)),
    ("vor allem Kommunen profitieren", None),
    ("3 Kommunen 2024", None),
    # English order, month first (Blogger's "Friday, December 23, 2016", WordPress themes).
    ("Friday, December 23, 2016", B(2016, 12, 23)),
    ("Posted on March 3, 2025 at 10:30", B(2025, 3, 3, 10, 30)),
    ("MoritzMeyer Juni 19th, 2018 | 12 Kommentare", B(2018, 6, 19)),
    ("Seite 3, 2025", None),  # no month
    ("vom 3. Februar 2025", B(2025, 2, 3)),
    ("Veröffentlicht am 03. Feb. 2025", B(2025, 2, 3)),
    ("3 March 2025", B(2025, 3, 3)),
    # French, Spanish and Italian pages.
    ("Florence Audier, le 15 septembre 2009", B(2009, 9, 15)),
    ("Palma, 8 de enero de 2014", B(2014, 1, 8)),
    ("13 settembre 2019 alle 10:30", B(2019, 9, 13)),
    ("3 mars", None),  # no year
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "expected"), FIND_CASES)
def test_find_date(text: str | None, expected: datetime | None) -> None:
    assert same(find_date(text, now=NOW), expected)


SPLIT_CASES = [
    (
        "[27.11.2017] In Dortmund soll ein Chief Information Office …",
        B(2017, 11, 27),
        "In Dortmund soll ein Chief Information Office …",
    ),
    ("[28.01.2025] Im Frühjahr startet … mehr...", B(2025, 1, 28), "Im Frühjahr startet … mehr..."),
    ("  [28.01.2025]   Text", B(2025, 1, 28), "Text"),
    ("[28.01.2025]", B(2025, 1, 28), None),
    # Invalid but date-shaped: the date slot is removed, the date is unknown.
    ("[31.02.2024] Text", None, "Text"),
    ("[00.13.2020] Text", None, "Text"),
    # Not a date at all: untouched.
    ("[Update] Text", None, "[Update] Text"),
    ("In Dortmund [27.11.2017] soll", None, "In Dortmund [27.11.2017] soll"),
    ("Ohne Datum", None, "Ohne Datum"),
    ("", None, ""),
    (None, None, None),
]


@pytest.mark.parametrize(("text", "expected_date", "expected_rest"), SPLIT_CASES)
def test_split_leading_date(
    text: str | None, expected_date: datetime | None, expected_rest: str | None
) -> None:
    found, rest = split_leading_date(text)
    assert same(found, expected_date)
    assert rest == expected_rest


URL_CASES = [
    ("https://www.behoerden-spiegel.de/2025/01/28/digitale-verwaltung/", B(2025, 1, 28)),
    ("https://www.behoerden-spiegel.de/2025/01/28-digitale-verwaltung", B(2025, 1, 28)),
    ("https://example.org/news/2024/06/03", B(2024, 6, 3)),
    ("https://example.org/2024/06/03.html", B(2024, 6, 3)),
    ("https://example.org/2024/02/30/slug/", None),  # impossible
    ("https://example.org/1985/01/28/slug/", None),  # implausible year
    ("https://example.org/2025/01/slug/", None),  # no day: no guess
    ("https://www.dstgb.de/aktuelles/2025-12/slug/", None),  # year-number, not a date
    ("https://example.org/12025/01/28/", None),
    ("https://example.org/2025/01/281/", None),
    ("https://example.org/slug/?d=/2025/01/28/", None),  # query is not the path
    ("https://www.kommune21.de/k21-meldungen/potenziale-frueh-erkannt/", None),
    ("http://[::1", None),
    # Squarespace: month and day unpadded.
    ("https://www.befifty.de/home/2017/7/12/unter-uns-montauk", B(2017, 7, 12)),
    # A whole ISO date inside one segment.
    ("https://www.hertie-school.org/en/2019-12-02-health-workers", B(2019, 12, 2)),
    ("https://example.org/news-2024-06-03.html", B(2024, 6, 3)),
    ("https://example.org/2024-13-03-slug", None),  # impossible
    ("https://example.org/id/12024-06-03/", None),
    ("https://example.org/1985-06-03/", None),  # implausible year
    # Year-month and day as two segments (Chinese news sites).
    ("http://www.news.cn/fortune/2023-11/17/c_1129981476.htm", B(2023, 11, 17)),
    ("https://www.dstgb.de/aktuelles/2025-12/15-slug/", None),  # year-number, then a slug
    ("https://example.org/2025-13/17/x", None),  # impossible
]


@pytest.mark.parametrize(("url", "expected"), URL_CASES)
def test_date_from_url(url: str, expected: datetime | None) -> None:
    assert same(date_from_url(url), expected)


BANNER_CASES = [
    ("Freitag, 31. Januar 2025", True),
    ("  Freitag,  31. Januar 2025 ", True),
    ("Montag, 3. März 2025", True),
    ("Samstag 1. Februar 2025", True),
    ("Friday, 31 January 2025", True),
    ("31. Januar 2025", False),  # no weekday: an ordinary date
    ("Fr, 31. Januar 2025", False),  # abbreviated weekday
    ("Freitag, 31.01.2025", False),  # numeric month
    ("Freitag, 31. Februar 2025", False),  # impossible
    ("Freitag, 31. Januar 2025, 10:30 Uhr", False),
    ("Freitag", False),
    ("", False),
]


@pytest.mark.parametrize(("text", "expected"), BANNER_CASES)
def test_is_banner_date(text: str, expected: bool) -> None:
    assert is_banner_date(text) is expected


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        (B(2025, 1, 31, 12), NOW, False),  # today
        (B(2025, 2, 1, 23, 59), NOW, False),  # tomorrow, late
        (B(2025, 2, 2, 0, 0), NOW, True),  # the day after tomorrow
        (B(2099, 1, 1), NOW, True),
        (B(2025, 6, 1), NOW, True),  # months ahead
        (B(2017, 11, 27), NOW, False),
        # Days are Berlin days: 23:30 UTC on 1 Feb is 2 Feb in Berlin.
        (datetime(2025, 2, 1, 23, 30, tzinfo=UTC), NOW, True),
        (datetime(2025, 2, 1, 22, 30, tzinfo=UTC), NOW, False),
        # "now" late in the Berlin evening is already the next day in Berlin.
        (B(2025, 2, 2, 8), datetime(2025, 1, 31, 23, 30, tzinfo=UTC), False),
        (B(2025, 2, 2, 8), datetime(2025, 1, 31, 22, 30, tzinfo=UTC), True),
        # Naive values are Berlin wall time.
        (datetime(2025, 2, 1, 12), NOW, False),
        (datetime(2025, 2, 2, 12), NOW.replace(tzinfo=None), True),
    ],
)
def test_is_future_date(value: datetime, now: datetime, expected: bool) -> None:
    assert is_future_date(value, now=now) is expected


_PAST = datetime(2025, 1, 28, 9, 0, tzinfo=BERLIN)
_TOMORROW = datetime(2025, 2, 1, 9, 0, tzinfo=BERLIN)
_FUTURE = datetime(2099, 1, 1, tzinfo=BERLIN)
_LATER_FUTURE = datetime(2100, 1, 1, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        ([("jsonld", _PAST), ("time", _FUTURE)], (_PAST, "jsonld")),
        ([("jsonld", None), ("meta", _PAST)], (_PAST, "meta")),
        ([("jsonld", _FUTURE), ("visible", _PAST)], (_PAST, "visible")),
        ([("jsonld", _TOMORROW), ("visible", _PAST)], (_TOMORROW, "jsonld")),
        ([("meta", _FUTURE), ("url", _LATER_FUTURE)], (_FUTURE, "meta")),
        ([("jsonld", None), ("url", None)], (None, None)),
        ([], (None, None)),
    ],
)
def test_first_published_skips_dates_after_tomorrow(
    signals: list[tuple[str, datetime | None]], expected: tuple[datetime | None, str | None]
) -> None:
    asked: list[str] = []

    def getter(name: str, value: datetime | None) -> Callable[[], datetime | None]:
        def get() -> datetime | None:
            asked.append(name)
            return value

        return get

    found = first_published([(n, getter(n, v)) for n, v in signals], now=NOW)
    assert found == expected
    # Signals are asked lazily: none after the one that answered.
    if expected[1] is not None and expected[0] not in (_FUTURE,):
        assert asked[-1] == expected[1]


DATELINE_CASES = [
    ("(18.01.2018) Deutschlands Landwirte zittern vor der Schweinepest.", B(2018, 1, 18)),
    ("[27.11.2017] In Dortmund soll ein Pilotprojekt starten.", B(2017, 11, 27)),
    ("Schengen, 3. Juli 2018 — Die Außenministerin traf ihre Amtskollegen.", B(2018, 7, 3)),
    ("Berlin, 03.02.2025: Der Bund stellt das Programm vor.", B(2025, 2, 3)),
    ("03.02.2025 | Pressemitteilung der Stadt", B(2025, 2, 3)),
    ("3. Februar 2025 - Die Stadt startet ihr Portal.", B(2025, 2, 3)),
    # Prose about an event is no dateline.
    ("Am 3. Juli 2018 hat die Stadt ihr Portal gestartet.", None),
    ("Die Stadt Köln, 3. Juli 2018 hat entschieden", None),
    ("Ohne jedes Datum beginnt dieser Absatz.", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "expected"), DATELINE_CASES)
def test_dateline_date(text: str | None, expected: datetime | None) -> None:
    assert same(dateline_date(text), expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (B(1995, 1, 1), True),
        (B(2025, 2, 3), True),
        (B(1994, 12, 31), False),
        (datetime(1970, 1, 1, tzinfo=UTC), False),  # an epoch placeholder
    ],
)
def test_is_plausible_published(value: datetime, expected: bool) -> None:
    assert is_plausible_published(value) is expected


def test_first_published_skips_placeholder_dates() -> None:
    signals = [("jsonld", lambda: datetime(1970, 1, 1, tzinfo=UTC)), ("url", lambda: _PAST)]
    assert first_published(signals, now=NOW) == (_PAST, "url")
