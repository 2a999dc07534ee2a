"""Time kn_crawl.dates.parse_date against dateparser (a script, not a test).

    .venv/bin/python bench/bench_dates.py

Prints µs per call, the median of 5 repeats, for:
  * parse_date on strings the regex fast path handles (the formats in SOURCES.md),
  * parse_date on strings that need the dateparser fallback,
  * parse_date on non-dates (rejected by the fallback gate),
  * dateparser.parse directly on the fast-path strings (the baseline),
and the speed-up of the fast path over the baseline.
"""

from __future__ import annotations

import statistics
import sys
import timeit
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import dateparser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kn_crawl.dates import BERLIN, parse_date

NOW = datetime(2025, 1, 31, 12, 0, tzinfo=BERLIN)

# Weighted like a crawl: mostly K21 teaser dates and feed/meta timestamps.
FAST = [
    "[28.01.2025]",
    "[24.01.2025]",
    "[22.01.2025]",
    "[20.01.2025]",
    "[15.01.2025]",
    "[13.01.2025]",
    "27.11.2017",
    "27.11.2017, 10:30 Uhr",
    "23.10.2024 - 10:30",
    "31.01.25",
    "Mo, 03.06.24",
    "23. Oktober 2024",
    "Freitag, 31. Januar 2025",
    "3. Mrz. 2024",
    "9. Sept. 2024",
    "2025-01-28",
    "2025-01-28T09:15:00+01:00",
    "2025-01-28T09:15:00.123Z",
    "Tue, 28 Jan 2025 09:15:00 +0100",
    "Tue, 28 Jan 2025 09:15:00 GMT",
    "heute, 10:30 Uhr",
    "gestern 14:05",
    "vor 2 Stunden",
]
FALLBACK = [
    "Jan 31, 2025",
    "January 31st, 2025",
    "31st January 2025",
    "January 31, 2025 09:15 +0530",
    "July 4 2024 3pm",
]
REJECTED = [
    "Stichwörter: Politik, Dortmund",
    "Weitere Meldungen und Beiträge aus dem Bereich: Politik",
    "1 2 2020",
    "31.02.2024",
    "mehr...",
]

SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DAY_OF_MONTH": "first",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "TIMEZONE": "Europe/Berlin",
    "RELATIVE_BASE": NOW.replace(tzinfo=None),
    "STRICT_PARSING": True,
}


def per_call_us(func: Callable[[str], object], strings: list[str], repeats: int = 5) -> float:
    """Median over repeats of the mean µs per call over all strings."""

    def run() -> None:
        for s in strings:
            func(s)

    run()  # warm-up: dateparser loads its language data on first use
    # Aim for ~0.2 s per repeat.
    single = timeit.timeit(run, number=1)
    number = max(1, int(0.2 / max(single, 1e-9)))
    times = timeit.repeat(run, number=number, repeat=repeats)
    return statistics.median(times) / (number * len(strings)) * 1e6


def main() -> None:
    def fast(s: str) -> object:
        return parse_date(s, now=NOW)

    def baseline(s: str) -> object:
        return dateparser.parse(s, languages=["de", "en"], settings=SETTINGS)

    # Sanity: every string in each group behaves as its group claims.
    assert all(parse_date(s, now=NOW) is not None for s in FAST + FALLBACK)
    assert all(parse_date(s, now=NOW) is None for s in REJECTED)

    fast_us = per_call_us(fast, FAST)
    fallback_us = per_call_us(fast, FALLBACK)
    rejected_us = per_call_us(fast, REJECTED)
    baseline_us = per_call_us(baseline, FAST)

    print(f"parse_date, fast path   ({len(FAST):2d} strings): {fast_us:9.2f} µs/call")
    print(f"parse_date, fallback    ({len(FALLBACK):2d} strings): {fallback_us:9.2f} µs/call")
    print(f"parse_date, rejected    ({len(REJECTED):2d} strings): {rejected_us:9.2f} µs/call")
    print(f"dateparser.parse on fast-path strings    : {baseline_us:9.2f} µs/call")
    print(f"speed-up of the fast path over dateparser: {baseline_us / fast_us:9.0f}x")


if __name__ == "__main__":
    main()
