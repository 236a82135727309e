"""A small trend line drawn as inline SVG: no script, no image files, prints sharp."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 120, 28, 3


@dataclass(frozen=True)
class Garis:
    """The points of an SVG polyline and where its last point sits."""

    points: str
    last_x: float
    last_y: float
    first: int
    last: int
    runs: int


def garis(values: Sequence[int]) -> Garis | None:
    """Values oldest first, scaled into the box (the highest at the top); None
    with nothing to draw. One value is drawn as a flat line."""
    if not values:
        return None
    series = list(values) if len(values) > 1 else [values[0], values[0]]
    low, high = min(series), max(series)
    step = (WIDTH - 2 * PAD) / (len(series) - 1)

    def top(value: int) -> float:
        if high == low:
            return HEIGHT / 2
        return HEIGHT - PAD - (value - low) / (high - low) * (HEIGHT - 2 * PAD)

    coords = [(PAD + i * step, top(v)) for i, v in enumerate(series)]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    last_x, last_y = coords[-1]
    return Garis(points, round(last_x, 1), round(last_y, 1), values[0], values[-1], len(values))
