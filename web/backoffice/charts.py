"""Server-rendered SVG charts for the console: a bar per day, drawn from exact amounts.

Coordinates are computed with Decimal from the amounts (never floats: the same figures
are shown as text in the chart's table), rounded to a tenth of a unit of the SVG's box.
Negative values (a day the players won) hang below the baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

WIDTH: Final = Decimal(600)
HEIGHT: Final = Decimal(160)
# Room at the left for the scale's labels, and at the bottom for the first/last day.
LEFT: Final = Decimal(64)
BOTTOM: Final = Decimal(20)
GAP: Final = Decimal("0.2")  # of a bar's slot, between bars
_TENTH: Final = Decimal("0.1")


def _place(value: Decimal) -> Decimal:
    return value.quantize(_TENTH, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal

    @property
    def negative(self) -> bool:
        return self.value < 0


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    highest: Decimal
    lowest: Decimal
    # The zero line's y, and where the scale's top and bottom labels sit.
    baseline: Decimal
    top: Decimal
    bottom: Decimal
    width: Decimal = WIDTH
    height: Decimal = HEIGHT
    left: Decimal = LEFT

    @property
    def first_label(self) -> str:
        return self.bars[0].label if self.bars else ""

    @property
    def last_label(self) -> str:
        return self.bars[-1].label if self.bars else ""


def bar_chart(points: Sequence[tuple[str, Decimal]]) -> BarChart:
    """One bar per point, in order; the scale spans zero and every value."""
    top_margin = Decimal(8)
    plot = HEIGHT - BOTTOM - top_margin
    highest = max([Decimal(0), *(value for _, value in points)])
    lowest = min([Decimal(0), *(value for _, value in points)])
    span = (highest - lowest) or Decimal(1)
    baseline = _place(top_margin + plot * highest / span)
    slot = (WIDTH - LEFT) / max(len(points), 1)
    bars = []
    for index, (label, value) in enumerate(points):
        length = plot * abs(value) / span
        y = baseline - length if value >= 0 else baseline
        bars.append(
            Bar(
                label=label,
                value=value,
                x=_place(LEFT + slot * index + slot * GAP / 2),
                y=_place(y),
                width=_place(slot * (1 - GAP)),
                height=_place(length),
            )
        )
    return BarChart(
        bars=bars,
        highest=highest,
        lowest=lowest,
        baseline=baseline,
        top=top_margin,
        bottom=HEIGHT - BOTTOM,
    )
