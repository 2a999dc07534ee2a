"""When an e-mail of a delivery mode is due. Pure functions; "now" is a parameter."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from kn_crawl.dates import BERLIN

WEEKDAYS = ("mo", "di", "mi", "do", "fr", "sa", "so")
"""German weekday abbreviations, Monday first (``digest_weekday`` is the index)."""
WEEKDAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")

_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_time(value: str) -> time | None:
    """``07:00`` -> 07:00; None for anything that is not a 24-hour ``HH:MM``."""
    match = _TIME_RE.match(value.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def parse_weekday(value: str) -> int | None:
    """``mo``/``Montag``/``mon``/``monday``/``1``…``7`` -> 0…6."""
    text = value.strip().lower()
    if text.isdigit() and 1 <= int(text) <= 7:
        return int(text) - 1
    english = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for index, (de, en) in enumerate(zip(WEEKDAYS, english, strict=True)):
        if text.startswith(de) or text.startswith(en):
            return index
    return None


def due_at(mode: str, *, now: datetime, digest_time: str = "07:00", weekday: int = 0) -> datetime:
    """The moment an entry queued ``now`` may go out: at once for ``immediate``, else the next
    digest time (Europe/Berlin, so 07:00 stays 07:00 across daylight-saving changes)."""
    if mode == "immediate":
        return now
    at = parse_time(digest_time)
    if at is None:
        raise ValueError(f"bad digest time {digest_time!r}")
    local_now = now.astimezone(BERLIN)
    day = local_now.date()
    while True:
        candidate = datetime.combine(day, at, tzinfo=BERLIN)
        if candidate >= local_now and (mode == "daily" or day.weekday() == weekday):
            return candidate.astimezone(UTC)
        day += timedelta(days=1)


def describe(mode: str, digest_time: str, weekday: int) -> str:
    """German description of a delivery mode: ``täglich um 07:00``."""
    if mode == "daily":
        return f"täglich um {digest_time}"
    if mode == "weekly":
        return f"wöchentlich am {WEEKDAY_NAMES[weekday]} um {digest_time}"
    return "sofort nach jedem Crawl"
