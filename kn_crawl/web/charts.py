"""The Stichwort chart: its data, drawn in the browser by Chart.js.

Why Chart.js (4.6.1, MIT; ``static/vendor/chart.umd.min.js`` is the npm package's
``dist/chart.umd.min.js`` unchanged, beside its licence; to update, ``npm pack chart.js@4`` and
copy both; no network at run time):
it is a maintained, widely used library that draws responsive charts with labelled axes,
legends, tooltips and German number formats, runs under this app's Content-Security-Policy
(no eval, no inline styles or scripts: the data travel in a ``data-chart`` attribute, read by
``static/charts.js``), and needs no date adapter when the buckets are labelled here. Server-side
SVG from Python (pygal, matplotlib) writes ``<style>`` elements and ``style`` attributes the
CSP forbids (or a fixed-size image), and pygal's tooltips load a script from a CDN. Without
JavaScript the same numbers are a table under the chart.

This module computes the series only: weekly or monthly buckets, absolute counts or the share
of all articles of the bucket, up to ``MAX_TAGS`` Stichwörter compared."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

MAX_TAGS = 3
MAX_WEEKS = 156
MAX_MONTHS = 120
MONTHS = (
    "Jan.",
    "Feb.",
    "März",
    "Apr.",
    "Mai",
    "Juni",
    "Juli",
    "Aug.",
    "Sept.",
    "Okt.",
    "Nov.",
    "Dez.",
)
UNITS = {"woche": "week", "monat": "month"}
VALUES = ("anzahl", "anteil")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: list[float | None]
    """``None``: a share of a bucket without any article (0 of 0 is no data, not 0 %)."""


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    unit: str
    """``week`` or ``month``."""
    share: bool
    """Values are percentages of all articles of the bucket, not counts."""
    keys: list[str]
    """The buckets: a week's Monday ``YYYY-MM-DD`` or ``YYYY-MM``."""
    labels: list[str]
    series: list[Series]

    @property
    def x_title(self) -> str:
        return "Woche (ab Montag)" if self.unit == "week" else "Monat"

    @property
    def y_title(self) -> str:
        return "Anteil an allen Artikeln (%)" if self.share else "Artikel"

    def rows(self) -> list[tuple[str, list[str]]]:
        """(label, values formatted in German) per bucket: the table without JavaScript."""
        return [(label, [self.format(s.values[i]) for s in self.series]) for i, label in
                enumerate(self.labels)]  # fmt: skip

    def format(self, value: float | None) -> str:
        if value is None:
            return "–"
        if not self.share:
            return str(int(value))
        return f"{value:.1f} %".replace(".", ",")

    def data_json(self) -> str:
        """What ``static/charts.js`` draws (in a ``data-chart`` attribute, autoescaped)."""
        return json.dumps(
            {
                "type": "bar" if len(self.series) == 1 else "line",
                "labels": self.labels,
                "datasets": [{"label": s.name, "data": s.values} for s in self.series],
                "x": self.x_title,
                "y": self.y_title,
                "percent": self.share,
                "title": self.title,
            },
            ensure_ascii=False,
        )


def buckets(first: str, last: str, unit: str) -> list[str]:
    """Every bucket key from ``first`` to ``last`` (inclusive), gaps included."""
    out = []
    if unit == "week":
        day, end = date.fromisoformat(first), date.fromisoformat(last)
        while day <= end:
            out.append(day.isoformat())
            day += timedelta(days=7)
        return out
    year, month = int(first[:4]), int(first[5:7])
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def label(key: str, unit: str) -> str:
    if unit == "week":
        return f"{date.fromisoformat(key):%d.%m.%Y}"
    return f"{MONTHS[int(key[5:7]) - 1]} {key[:4]}"


def tag_chart(
    counts: list[tuple[str, dict[str, int]]],
    totals: dict[str, int],
    *,
    unit: str,
    share: bool,
    title: str,
) -> Chart:
    """The chart of each (name, counts per bucket), over the buckets from the first to the last
    that any of them has (the newest ``MAX_WEEKS`` weeks or ``MAX_MONTHS`` months at most)."""
    used = sorted({k for _, c in counts for k, n in c.items() if n})
    keys = buckets(used[0], used[-1], unit) if used else []
    keys = keys[-(MAX_WEEKS if unit == "week" else MAX_MONTHS) :]
    series = []
    for name, c in counts:
        if share:
            # A bucket without any article is a gap in the line (Chart.js draws ``null`` as
            # one), not a share of 0 %.
            values: list[float | None] = [
                round(100 * c.get(k, 0) / totals[k], 2) if totals.get(k) else None for k in keys
            ]
        else:
            values = [float(c.get(k, 0)) for k in keys]
        series.append(Series(name, values))
    return Chart(title, unit, share, keys, [label(k, unit) for k in keys], series)
