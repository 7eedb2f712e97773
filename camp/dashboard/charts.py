"""Server-rendered SVG bar charts: geometry computed here, drawn by a template."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    """A line of the scale: its value and its height in the drawing."""

    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    maximum: int
    total: int
    baseline: float
    ticks: tuple = ()


def bar_chart(
    points: list, *, width: int = 600, height: int = 160, gap: float = 2.0, top: int = 10
) -> BarChart:
    """Lay out one bar per (day, count) point, scaled to the largest count."""
    maximum = max((p.count for p in points), default=0)
    slot = width / max(len(points), 1)
    usable = height - top
    bars = []
    for index, point in enumerate(points):
        bar_height = (point.count / maximum * usable) if maximum else 0
        bars.append(
            Bar(
                day=point.day,
                count=point.count,
                x=round(index * slot + gap / 2, 2),
                y=round(height - bar_height, 2),
                width=round(slot - gap, 2),
                height=round(bar_height, 2),
            )
        )
    # The scale: nought, the middle (when it is a whole number) and the top.
    values = sorted({0, maximum // 2 if maximum % 2 == 0 else 0, maximum}, reverse=True)
    ticks = tuple(
        Tick(value=value, y=round(height - (value / maximum * usable if maximum else 0), 2))
        for value in values
    )
    return BarChart(
        bars=bars,
        width=width,
        height=height,
        maximum=maximum,
        total=sum(p.count for p in points),
        baseline=height,
        ticks=ticks,
    )
