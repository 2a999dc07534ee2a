"""Charts as server-side SVG: readable without JavaScript or a network, escaped like any
template output. Only geometry is computed here; ``templates/_chart.svg`` draws it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    max_count: int
    x_labels: list[tuple[float, str]]
    """(x, text) of the axis labels (first week of each quarter, at most ~10)."""
    title: str


def weekly_chart(
    weeks: list[tuple[date, int]], *, title: str, width: int = 720, height: int = 200
) -> BarChart:
    """A bar per week; height proportional to the count."""
    top, bottom, left = 10, 24, 30
    plot_h = height - top - bottom
    plot_w = width - left - 5
    max_count = max((c for _, c in weeks), default=0) or 1
    step = plot_w / max(len(weeks), 1)
    bars = []
    labels: list[tuple[float, str]] = []
    every = max(1, len(weeks) // 8)
    for i, (monday, n) in enumerate(weeks):
        h = plot_h * n / max_count
        x = left + i * step
        bars.append(
            Bar(
                x=round(x, 2),
                y=round(top + plot_h - h, 2),
                width=round(max(step - 1, 0.5), 2),
                height=round(h, 2),
                label=f"Woche ab {monday:%d.%m.%Y}: {n}",
                count=n,
            )
        )
        if i % every == 0:
            labels.append((round(x, 2), f"{monday:%m/%Y}"))
    return BarChart(width, height, bars, max_count, labels, title)
