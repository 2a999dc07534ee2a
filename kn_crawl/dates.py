"""German date parsing for news pages, feeds and URLs.

Everything here is a pure function: text (and an explicit ``now``) in, an aware
``datetime`` or ``None`` out. Nothing raises on bad input and nothing guesses: a
string that is not exactly one unambiguous date gives ``None``.

Speed matters because these run for every page and every listing item. All the
formats listed in docs/SOURCES.md ("Date formats to expect") are handled by one
precompiled regular expression (a few µs). ``dateparser`` (~1 ms per call) is only
a fallback for the odd English or free-form spelling, and it is gated so that it
never sees text it could turn into a wrong date (see ``_fallback``).

Conventions callers rely on:

* German dates are day-first, always (``10.11.2020`` is 10 November).
* A two-digit year is 20xx (``31.01.25`` -> 2025). Only dotted numeric dates may
  have a two-digit year; ``28-01-25`` or ``28/01/25`` are ambiguous -> ``None``.
* An explicit offset (``+01:00``, ``Z``, ``GMT``, ``MEZ``) is kept as given, as a
  fixed-offset tzinfo. Otherwise the wall time is in ``tz`` (Europe/Berlin);
  a date without a time is local midnight.
* A local time inside the spring-forward gap (``30.03.2025 02:30``) does not
  exist. We read it as a clock that was not yet switched forward, i.e. the
  instant 01:30 UTC, returned as ``03:30+02:00``. A time in the autumn overlap
  (``26.10.2025 02:30``) takes the first occurrence (summer time, ``+02:00``).
  Dropping a real article's date over a one-hour oddity would be worse.
* Years outside 1900..2100 are treated as garbage -> ``None``.
* Leading weekday names are tolerated but not checked against the date: feeds
  with a wrong weekday exist, and the numbers are what we keep.
* Relative forms (``heute``, ``gestern``, ``vor 2 Stunden``) need ``now``;
  without it they give ``None``. A naive ``now`` is read as wall time in ``tz``.
  Minutes/hours are subtracted on the absolute time line, days/weeks on the wall
  clock (``vor 1 Tag`` at 10:00 is 10:00 the day before, even across DST).
  ``vor 2 Monaten``/``Jahren`` are too vague to store -> ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import dateparser

__all__ = [
    "BERLIN",
    "date_from_url",
    "dateline_date",
    "find_date",
    "first_published",
    "is_banner_date",
    "is_plausible_published",
    "parse_date",
    "split_leading_date",
]

BERLIN = ZoneInfo("Europe/Berlin")

MIN_YEAR = 1900
MAX_YEAR = 2100
# Years accepted in URL paths: stricter, because a path segment like /2000/ can be
# an id rather than a year.
URL_MIN_YEAR = 1990
URL_MAX_YEAR = 2100

# A single date expression is short. Longer input is prose, not a date, and is
# rejected before any regex work.
_MAX_DATE_LEN = 80

# --------------------------------------------------------------------------- words

# fmt: off
MONTHS: dict[str, int] = {
    # German, full, abbreviated and ASCII-folded (ä -> ae / a) spellings.
    "januar": 1, "jänner": 1, "jaenner": 1, "jan": 1,
    "februar": 2, "feber": 2, "feb": 2, "febr": 2,
    "märz": 3, "maerz": 3, "marz": 3, "mär": 3, "mrz": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mai": 5,
    "juni": 6, "jun": 6,
    "juli": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "dezember": 12, "dez": 12, "dec": 12,
    # English (RSS pubDate, English-language pages).
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7,
    "october": 10, "december": 12,
    # French, Spanish and Italian pages of the generic extractor ("15 septembre 2009",
    # "8 de enero de 2014"); none of these is a German or English word.
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6,
    "julio": 7, "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10,
    "noviembre": 11, "diciembre": 12, "gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5,
    "giugno": 6, "luglio": 7, "settembre": 9, "ottobre": 10, "dicembre": 12,
}
# fmt: on

_WEEKDAYS_FULL = (
    "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag"
    "|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_WEEKDAYS_SHORT = "mo|di|mi|do|fr|sa|so|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"

# Named zones seen in feeds. Fixed offsets on purpose: "MEZ" on a page means +01:00
# even if someone writes it in July.
# fmt: off
_ZONE_OFFSETS: dict[str, int] = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0,
    "mez": 60, "cet": 60, "mesz": 120, "cest": 120,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300,
    "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
}
# fmt: on

# fmt: off
_NUMBER_WORDS: dict[str, int] = {
    "ein": 1, "eine": 1, "einer": 1, "einem": 1, "einen": 1, "eins": 1,
    "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "fuenf": 5, "sechs": 6,
    "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
    "zwoelf": 12, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3,
}
# fmt: on

# Relative units. Months and years are deliberately absent: "vor 2 Monaten" is too
# vague to store as a publication time.
# fmt: off
_UNITS: dict[str, timedelta] = {
    **dict.fromkeys(("sekunde", "sekunden", "sek", "second", "seconds", "sec", "secs"),
                    timedelta(seconds=1)),
    **dict.fromkeys(("minute", "minuten", "min", "mins", "minutes"), timedelta(minutes=1)),
    **dict.fromkeys(("stunde", "stunden", "std", "h", "hour", "hours", "hr", "hrs"),
                    timedelta(hours=1)),
    **dict.fromkeys(("tag", "tage", "tagen", "day", "days"), timedelta(days=1)),
    **dict.fromkeys(("woche", "wochen", "week", "weeks"), timedelta(weeks=1)),
}
# fmt: on

# fmt: off
_DAY_WORDS: dict[str, int] = {
    "heute": 0, "today": 0, "gestern": 1, "yesterday": 1, "vorgestern": 2,
}
# fmt: on

# Words that make the dateparser fallback resolve against the real clock. With
# STRICT_PARSING it still parses "vor 2 Stunden" relative to datetime.now(), so
# text containing them never reaches the fallback.
# fmt: off
_RELATIVE_WORDS = frozenset(
    {*_DAY_WORDS, "vor", "ago", "morgen", "tomorrow", "übermorgen", "letzte", "letzten",
     "letzter", "nächste", "nächsten", "last", "next", "this", "diese", "diesen", "jetzt",
     "now", "seit"}
)
# fmt: on

# ------------------------------------------------------------------------ regexes

_ZONE = r"(?:z|[+-]\d{2}(?::?\d{2})?|" + "|".join(k for k in _ZONE_OFFSETS if k != "z") + r")"
# Between a date and its time: "27.11.2017, 10:30", "23.10.2024 - 10:30",
# "3. März 2024 um 9:15", "today at 10:30", "Tue, 28 Jan 2025 09:15:00".
_SEP = r"(?:\s*[,|/–—-]\s*(?:um\s+|at\s+)?|\s+(?:um\s+|at\s+)?)"


def _time(p: str) -> str:
    """A wall time with optional seconds, 'Uhr' and zone; group names prefixed by p.

    The trailing lookahead stops "24.10" of a following "24.10.2024" (a date range)
    from being eaten as a time.
    """
    return (
        rf"(?P<{p}H>\d{{1,2}})[:.](?P<{p}M>\d{{2}})(?:[:.](?P<{p}S>\d{{2}}))?"
        rf"(?![.:]?\d)(?:\s*uhr\b)?(?:\s*(?P<{p}Z>{_ZONE})\b)?"
    )


# 27.11.2017 | 3.6.24 | 28-01-2025 | 28/01/2025, optional time.
_NUMERIC = (
    r"(?<![\d.])(?P<nd>\d{1,2})(?P<nsep>[./-])\s?(?P<nm>\d{1,2})(?P=nsep)\s?"
    r"(?P<ny>\d{4}|\d{2})(?![\d])(?!\.\d)"
    rf"(?:{_SEP}{_time('n')})?"
)
# 23. Oktober 2024 | 3. Mrz. 2024 | 28 Jan 2025 09:15:00 +0100 (RFC 822 sans weekday).
# The month is any word; it is looked up in MONTHS afterwards, which is faster and
# simpler than a 60-way alternation.
_SPELLED = (
    r"(?<![\d.])(?P<sd>\d{1,2})\.?\s*(?:de\s+)?(?P<smon>[^\W\d_]{3,10})\.?,?\s*(?:de\s+)?"
    r"(?P<sy>\d{4})(?!\d)"
    rf"(?:{_SEP}{_time('s')})?"
)
# March 3, 2025 | Dec. 23, 2016 | Dezember 16th, 2012 (English order, month first).
_MONTH_FIRST = (
    r"(?<![\w.])(?P<emon>[^\W\d_]{3,9})\.?\s+(?P<ed>\d{1,2})(?:st|nd|rd|th)?,?\s+"
    r"(?P<ey>\d{4})(?!\d)"
    rf"(?:{_SEP}{_time('e')})?"
)
# ISO 8601 (and 2025/01/28, 2025.01.28: year-first with four digits is unambiguous).
_ISO = (
    r"(?<![\d.])(?P<iy>\d{4})(?P<isep>[-/.])(?P<im>\d{1,2})(?P=isep)(?P<id>\d{1,2})(?![\d])"
    r"(?:(?:t|\s+)(?P<iH>\d{2}):(?P<iM>\d{2})(?::(?P<iS>\d{2})(?:[.,](?P<iF>\d+))?)?"
    rf"\s*(?P<iZ>{_ZONE})?(?![\w:])"
    rf"|{_SEP}{_time('j')})?"
)
# heute | gestern, 14:05 | heute um 10:30 Uhr | today at 10:30
_DAYWORD_BARE = r"\b(?P<rw>" + "|".join(_DAY_WORDS) + r")\b"
_DAYWORD_TIMED = rf"\b(?P<tw>{'|'.join(_DAY_WORDS)})\b{_SEP}{_time('t')}"
# vor 2 Stunden | vor einer Stunde | vor 5 Min. | 3 hours ago
_AGO = (
    r"\bvor\s+(?P<vn>\d{1,4}|[^\W\d_]+)\s+(?P<vu>[^\W\d_]+)\b\.?"
    r"|\b(?P<an>\d{1,4}|an?|one|two|three)\s+(?P<au>[^\W\d_]+)\s+ago\b"
)

_FLAGS = re.IGNORECASE
# parse_date: the whole (normalised) string must be one of these.
_FULL_RE = re.compile(
    f"{_NUMERIC}|{_SPELLED}|{_MONTH_FIRST}|{_ISO}|{_DAYWORD_TIMED}|{_DAYWORD_BARE}|{_AGO}",
    _FLAGS,
)
# find_date: searched in prose, so a bare "heute" ("Die Stadt hat heute …") is not a
# date; "heute, 10:30 Uhr" and "vor 2 Stunden" are timestamp-shaped enough.
_FIND_RE = re.compile(
    f"{_NUMERIC}|{_SPELLED}|{_MONTH_FIRST}|{_ISO}|{_DAYWORD_TIMED}|{_AGO}", _FLAGS
)

# Decoration around a single date: a leading weekday ("Freitag, ", "Mo, ", "Tue, ",
# "Freitag, den ") directly followed by the date's first digit.
_LEADING_WEEKDAY_RE = re.compile(
    rf"^(?:{_WEEKDAYS_FULL}|{_WEEKDAYS_SHORT})\b\.?\s*,?\s*(?:den\s+)?(?=\d)", _FLAGS
)
_TRAILING_UHR_RE = re.compile(r"\s*uhr\s*[.,;]?$|\s*[.,;]$", _FLAGS)

_BANNER_RE = re.compile(
    rf"^(?:{_WEEKDAYS_FULL}),?\s+(?P<d>\d{{1,2}})\.?\s*(?P<mon>[^\W\d_]{{3,9}})\.?\s+"
    r"(?P<y>\d{4})$",
    _FLAGS,
)
_LEADING_BRACKET_RE = re.compile(r"^\s*\[(?P<inner>[^\[\]]{1,40})\]\s*", re.DOTALL)
# Numeric-only bracket content ("31.02.2024", "2024-13-01") is date-shaped even if
# it is not a valid date; "[Update]" or "[Anzeige]" is not.
_DATE_SHAPED_RE = re.compile(r"\s*\d{1,4}\s?[./-]\s?\d{1,2}\s?[./-]\s?\d{1,4}[\d\s:.,-]*")
# /2025/01/28/ and /2017/7/12/ (Squarespace writes month and day unpadded), or a whole
# ISO date in one segment (/2019-12-02-slug, /news-2019-12-02.html), or year-month and day as
# two segments (/2023-11/17/c_1129981476.htm, Chinese news sites).
_URL_DATE_RE = re.compile(
    r"/(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})(?=[/_.-]|$)"
    r"|(?<![\d])(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})(?![\d])"
    r"|/(?P<ky>\d{4})-(?P<km>\d{2})/(?P<kd>\d{2})/"
)

# Fallback gate and cross-check (see _fallback): a day number next to a month name
# ("31 January", "31st Jan", "January 31", "Jan. 31st"), not glued to a time or an
# offset ("10:30 May", "UTC+5 May"), and a four-digit year.
_WORD_RE = re.compile(r"[^\W\d_]+")
_DAY_MONTH_RE = re.compile(
    r"(?<![\d:+-])(?P<d1>\d{1,2})(?:st|nd|rd|th|\.)?\s*,?\s*(?P<m1>[^\W\d_]{3,9})\b"
    r"|\b(?P<m2>[^\W\d_]{3,9})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?(?![\d:])",
    re.IGNORECASE,
)
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20|21)\d{2}(?!\d)")
_DATEPARSER_SETTINGS: dict[str, object] = {
    "DATE_ORDER": "DMY",
    "PREFER_DAY_OF_MONTH": "first",
    # Day, month and year must all be present: no filling in from "now".
    "STRICT_PARSING": True,
    # RETURN_AS_TIMEZONE_AWARE and TIMEZONE are left unset on purpose: dateparser then
    # returns an aware datetime only when the text names a zone (kept as given), and
    # a naive one otherwise, which we localise with zoneinfo exactly like the fast
    # path (DST handling in one place, and any ``tz`` argument works).
}
_DATEPARSER_LANGUAGES = ["de", "en"]
# The words a date expression may hold besides numbers: month and weekday names, zones,
# ordinal suffixes, am/pm and the little words between them ("Thursday, May 30, 2019",
# "Tue Jan 28 15:49:07 CET 2020", "3rd August 2017", "on January 20, 2020"). Text with any
# other word ("Schengen, 3. Juli 2018", "by Anna on January 20, 2020") is prose or a byline:
# strict dateparser gives None for it after a few milliseconds, and the callers read such
# lines with find_date.
_DATE_WORDS = frozenset(
    {*MONTHS, *_WEEKDAYS_FULL.split("|"), *_WEEKDAYS_SHORT.split("|"), *_ZONE_OFFSETS,
     "st", "nd", "rd", "th", "am", "pm", "a", "p", "m", "at", "um", "uhr", "on", "of", "the",
     "den", "der", "de", "h"}
)  # fmt: skip

# ------------------------------------------------------------------------ helpers


@lru_cache(maxsize=64)
def _fixed_zone(minutes: int) -> timezone:
    return UTC if minutes == 0 else timezone(timedelta(minutes=minutes))


def _zone(text: str | None) -> tzinfo | bool | None:
    """tzinfo for a zone token; None if absent; False if present but unusable."""
    if not text:
        return None
    key = text.lower()
    if key in _ZONE_OFFSETS:
        return _fixed_zone(_ZONE_OFFSETS[key])
    # +01:00 | +0100 | +01
    sign = -1 if key[0] == "-" else 1
    digits = key[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        return False
    return _fixed_zone(sign * (hours * 60 + minutes))


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach tz to a wall time, normalising a spring-forward gap (see module doc)."""
    aware = naive.replace(tzinfo=tz)
    # Both folds agree except in a DST gap or overlap; checking that first is
    # cheaper than the round trip below, which is the common case's cost otherwise.
    if aware.utcoffset() == aware.replace(fold=1).utcoffset():
        return aware
    # The UTC round trip moves a nonexistent wall time forward by the gap, with
    # the correct offset, and keeps the first (fold=0) reading of an overlap.
    return aware.astimezone(UTC).astimezone(tz)


def _make(
    year: int,
    month: int,
    day: int,
    tz: tzinfo,
    hour: str | None = None,
    minute: str | None = None,
    second: str | None = None,
    fraction: str | None = None,
    zone: str | None = None,
) -> datetime | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    zone_info = _zone(zone)
    if zone_info is False:
        return None
    try:
        naive = datetime(
            year,
            month,
            day,
            int(hour) if hour else 0,
            int(minute) if minute else 0,
            int(second) if second else 0,
            int(fraction[:6].ljust(6, "0")) if fraction else 0,
        )
    except ValueError:  # 31.02., month 13, 24:00, second 60
        return None
    if isinstance(zone_info, tzinfo):
        return naive.replace(tzinfo=zone_info)
    return _localize(naive, tz)


def _local_now(now: datetime, tz: tzinfo) -> datetime:
    return now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)


def _from_match(m: re.Match[str], now: datetime | None, tz: tzinfo) -> datetime | None:
    """Turn a match of _FULL_RE/_FIND_RE into a datetime (None if invalid)."""
    g = m.group
    if g("nd") is not None:
        year_text = g("ny")
        if len(year_text) == 2:
            # 28-01-25 / 28/01/25 could be year-first; only the German dotted form
            # has a conventional reading.
            if g("nsep") != ".":
                return None
            year = 2000 + int(year_text)
        else:
            year = int(year_text)
        return _make(year, int(g("nm")), int(g("nd")), tz, g("nH"), g("nM"), g("nS"), None, g("nZ"))
    if g("sd") is not None:
        month = MONTHS.get(g("smon").lower())
        if month is None:
            return None
        return _make(
            int(g("sy")), month, int(g("sd")), tz, g("sH"), g("sM"), g("sS"), None, g("sZ")
        )
    if g("ed") is not None:
        month = MONTHS.get(g("emon").lower())
        if month is None:
            return None
        return _make(
            int(g("ey")), month, int(g("ed")), tz, g("eH"), g("eM"), g("eS"), None, g("eZ")
        )
    if g("iy") is not None:
        # Two time syntaxes: ISO ("T09:15:00.123+01:00", prefix i) or German ("- 10:30").
        p = "i" if g("iH") is not None else "j"
        return _make(int(g("iy")), int(g("im")), int(g("id")), tz,
                     g(p + "H"), g(p + "M"), g(p + "S"), g("iF"), g(p + "Z"))  # fmt: skip
    if now is None:
        return None  # every remaining form is relative
    local_now = _local_now(now, tz)
    word = g("tw") or (g("rw") if "rw" in m.re.groupindex else None)
    if word is not None:
        day = local_now.date() - timedelta(days=_DAY_WORDS[word.lower()])
        if g("tw") is not None:
            return _day_at(day, g("tH"), g("tM"), g("tS"), g("tZ"), tz)
        return _localize(datetime.combine(day, time()), tz)
    count_text, unit_text = (g("vn"), g("vu")) if g("vn") is not None else (g("an"), g("au"))
    count = int(count_text) if count_text.isdigit() else _NUMBER_WORDS.get(count_text.lower())
    unit = _UNITS.get(unit_text.lower())
    if count is None or unit is None:
        return None
    try:
        if unit < timedelta(days=1):
            # Via UTC: Python subtracts on the wall clock when both sides share a
            # tzinfo, which would land in the DST gap.
            result = (local_now.astimezone(UTC) - count * unit).astimezone(tz)
        else:
            # Days and weeks count on the wall clock.
            result = _localize(local_now.replace(tzinfo=None) - count * unit, tz)
    except OverflowError:
        return None
    return result if MIN_YEAR <= result.year <= MAX_YEAR else None


def _day_at(
    day: date, hour: str, minute: str, second: str | None, zone: str | None, tz: tzinfo
) -> datetime | None:
    return _make(day.year, day.month, day.day, tz, hour, minute, second, None, zone)


def _normalise(text: str) -> str:
    """Strip the decoration around one date expression (see parse_date)."""
    s = " ".join(text.split())
    # [27.11.2017] (K21 teasers), (27.11.2017)
    while len(s) > 2 and ((s[0] == "[" and s[-1] == "]") or (s[0] == "(" and s[-1] == ")")):
        s = s[1:-1].strip()
    if s and s[-1] in ".,;rR":  # cheap test before the regex: "… Uhr", "… 2024."
        s = _TRAILING_UHR_RE.sub("", s)
    if s and not s[0].isdigit():
        s = _LEADING_WEEKDAY_RE.sub("", s, count=1)
    return s


def _fallback(s: str, now: datetime | None, tz: tzinfo) -> datetime | None:
    """dateparser for spellings the regexes do not know ("Jan 31, 2025").

    dateparser is lenient: "1 2 2020" becomes 1 February, and in
    "Montag Feb UTC+5 1999" the 5 of the offset becomes the day. So the text must
    show a day number next to a month name and a four-digit year, the result must
    agree with them, and relative words keep text out entirely (with
    STRICT_PARSING dateparser still reads "vor 2 Stunden" against the real clock).
    The gate also keeps prose without a date from costing a millisecond.
    """
    words = {w.lower() for w in _WORD_RE.findall(s)}
    if (
        words.isdisjoint(MONTHS)
        or not words <= _DATE_WORDS
        or not words.isdisjoint(_RELATIVE_WORDS)
    ):
        return None
    return _cached_fallback(s, now, tz)


@lru_cache(maxsize=512)
def _cached_fallback(s: str, now: datetime | None, tz: tzinfo) -> datetime | None:
    """dateparser's reading, checked (see _fallback); cached, since a page states its date in
    several places (meta, JSON-LD, <time>) and a crawl meets the same spelling again."""
    years = {int(y) for y in _YEAR_RE.findall(s)}
    day_months: set[tuple[int, int]] = set()
    for m in _DAY_MONTH_RE.finditer(s):
        day, word = (
            (m.group("d1"), m.group("m1")) if m.group("d1") else (m.group("d2"), m.group("m2"))
        )
        month = MONTHS.get(word.lower())
        if month is not None:
            day_months.add((int(day), month))
    if not years or not day_months:
        return None
    settings = dict(_DATEPARSER_SETTINGS)
    if now is not None:
        settings["RELATIVE_BASE"] = _local_now(now, tz).replace(tzinfo=None)
    result = dateparser.parse(s, languages=_DATEPARSER_LANGUAGES, settings=settings)
    if result is None or result.year not in years or (result.day, result.month) not in day_months:
        return None
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        return None
    offset = result.utcoffset()
    if offset is None:
        return _localize(result, tz)
    # Explicit zone in the text: keep it as given, as a plain fixed offset rather
    # than dateparser's pytz-style tzinfo.
    return result.replace(tzinfo=_fixed_zone(int(offset.total_seconds() // 60)))


# ------------------------------------------------------------------------- public


def parse_date(
    text: str | None, *, now: datetime | None = None, tz: tzinfo = BERLIN
) -> datetime | None:
    """Parse one date expression; None unless it is exactly one unambiguous date.

    Tolerated decoration: surrounding whitespace, ``[…]``/``(…)``, a trailing
    ``Uhr``, a leading weekday (``Freitag,``, ``Mo,``, ``Tue,``). See the module
    docstring for time zone, DST, two-digit-year and relative-date rules.
    """
    if not text:
        return None
    s = _normalise(text)
    if not s or len(s) > _MAX_DATE_LEN:
        return None
    m = _FULL_RE.fullmatch(s)
    if m is not None:
        # A syntactic match that is invalid (31.02.2024) is final: the fallback
        # must not get a chance to "repair" it.
        return _from_match(m, now, tz)
    return _fallback(s, now, tz)


def find_date(
    text: str | None, *, now: datetime | None = None, tz: tzinfo = BERLIN
) -> datetime | None:
    """The first valid date expression anywhere in free text (regexes only).

    For bylines like ``Veröffentlicht am 23. Oktober 2024 von …``. Date-shaped but
    invalid matches (``31.02.2024``) are skipped. A bare ``heute``/``gestern`` is
    ignored (it is ordinary prose); ``heute, 10:30 Uhr`` and ``vor 2 Stunden`` count
    when ``now`` is given.
    """
    if not text:
        return None
    for m in _FIND_RE.finditer(text):
        result = _from_match(m, now, tz)
        if result is not None:
            return result
    return None


def split_leading_date(text: str | None) -> tuple[datetime | None, str | None]:
    """Split a K21 teaser ``[27.11.2017] In Dortmund soll …`` into (date, rest).

    * No leading bracket, or one that is not date-shaped (``[Update] …``):
      ``(None, text)`` with text unchanged.
    * A valid date: ``(date at Berlin midnight, rest)``.
    * A date-shaped but invalid bracket (``[31.02.2024] …``): ``(None, rest)``. The
      bracket is the site's date slot, so it never belongs to the teaser text; the
      caller falls back to another date source (meta tags, URL).
    ``rest`` is stripped; it is None when nothing follows the bracket.
    """
    if not text:
        return None, text
    m = _LEADING_BRACKET_RE.match(text)
    if m is None:
        return None, text
    inner = m.group("inner")
    found = parse_date(inner)
    if found is None and _DATE_SHAPED_RE.fullmatch(inner) is None:
        return None, text
    rest = text[m.end() :].strip()
    return found, rest or None


def date_from_url(url: str) -> datetime | None:
    """``/2025/01/28/``, ``/2025/01/28-slug``, ``/2017/7/12/``, ``/2019-12-02-slug`` or
    ``/2023-11/17/`` in a URL path -> Berlin midnight.

    Only the path is searched (not query or fragment), only four-digit years in
    1990..2100. A year and month alone are not read: ``/2025-01/`` is no day, and
    DStGB uses ``/aktuelles/<YYYY-NN>/`` where NN is a running number.
    """
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for m in _URL_DATE_RE.finditer(path):
        if m.group("y"):
            y, mo, d = m.group("y", "m", "d")
        elif m.group("iy"):
            y, mo, d = m.group("iy", "im", "id")
        else:
            y, mo, d = m.group("ky", "km", "kd")
        if URL_MIN_YEAR <= int(y) <= URL_MAX_YEAR:
            return _make(int(y), int(mo), int(d), BERLIN)
    return None


def is_banner_date(text: str) -> bool:
    """True for a full "today" banner like ``Freitag, 31. Januar 2025``.

    Needs a full weekday name, a spelled month and a valid date. K21 pages show
    the viewing day this way above the article; it is not the article's date.
    """
    m = _BANNER_RE.match(" ".join(text.split()))
    if m is None:
        return False
    month = MONTHS.get(m.group("mon").lower())
    return (
        month is not None and _make(int(m.group("y")), month, int(m.group("d")), BERLIN) is not None
    )


def is_future_date(value: datetime, *, now: datetime, tz: tzinfo = BERLIN) -> bool:
    """True when ``value`` falls on a day after tomorrow, both days as seen in ``tz``
    (Berlin: the sites' own calendar).

    A publication date cannot lie in the future; tomorrow is still allowed, for clocks,
    time zones and articles scheduled just after midnight. A date in 2099 or months ahead is
    a broken page or a template's placeholder, and stored it would top every feed and alert.
    A naive ``value`` or ``now`` is read as wall time in ``tz``.
    """
    day = _local_now(value, tz).date()
    tomorrow = _local_now(now, tz).date() + timedelta(days=1)
    return day > tomorrow


# The web's news began in the mid-1990s: an earlier "publication date" on a news page is a
# placeholder (1970-01-01, 1900-01-01) or the founding year of the site, never the article's.
MIN_PUBLISHED = date(1995, 1, 1)


def is_plausible_published(value: datetime) -> bool:
    """Not before 1995 (see :data:`MIN_PUBLISHED`)."""
    return value.date() >= MIN_PUBLISHED


# "(18.01.2018) Deutschlands Landwirte …", "[27.11.2017] In Dortmund …", "Berlin, 3. Juli 2018
# – Die Ministerin …", "03.02.2025 | Pressemitteilung": a paragraph that opens with its date
# (a dateline), optionally after a place name. The date must stand apart, closed by a bracket,
# a dash, a bar or a colon; "Am 3. Juli 2018 hat …" is prose about an event, not a dateline.
_DATELINE_RE = re.compile(
    r"^\s*(?:[^\W\d_][\w .\-/]{0,40}?,\s*)?[(\[]?\s*(?P<date>[^()\[\]|–—:]{6,40}?)\s*"
    r"(?:[)\]]|\s[–—|-]\s|\s?[–—|]|:\s)"
)


def dateline_date(text: str | None, *, now: datetime | None = None) -> datetime | None:
    """The date a paragraph opens with as its dateline (see ``_DATELINE_RE``), else None."""
    if not text:
        return None
    m = _DATELINE_RE.match(text[:90])
    if m is None:
        return None
    return parse_date(m.group("date"), now=now)


def first_published(
    signals: Iterable[tuple[str, Callable[[], datetime | None]]], *, now: datetime | None
) -> tuple[datetime | None, str | None]:
    """The date of the first signal (``(name, getter)``, asked in order and only as far as
    needed) that gives one not after tomorrow, with the signal's name. A date after tomorrow is
    no publication date, so the next signal is asked; when every signal found is in the
    future, the first of those is kept, for validation to refuse (``future_date``). A date
    before 1995 (:data:`MIN_PUBLISHED`) is a placeholder and skipped like a missing one."""
    future: tuple[datetime, str] | None = None
    for signal, get in signals:
        value = get()
        if value is None or not is_plausible_published(value):
            continue
        if now is not None and is_future_date(value, now=now):
            future = future or (value, signal)
            continue
        return value, signal
    return future or (None, None)
