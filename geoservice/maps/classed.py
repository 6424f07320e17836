"""Classed colours for numeric results: natural breaks (mapclassify), branca colours.

A result value drawn as one flat colour says nothing; a continuous colour bar
with a tick per break writes its labels over each other. Here values fall in at
most five natural-breaks classes, each a legend row with its range, and the
colour bar is drawn with one equal-width box per class and a label at each
break, so the labels never overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from markupsafe import Markup, escape

MAX_CLASSES = 5
BOX_PX = 56
"""Width of one class in the colour bar: room for a six-character label at 10 px."""


@dataclass(frozen=True)
class Classes:
    """Upper bounds of the classes and their colours (lowest first)."""

    low: float
    uppers: list[float]
    colours: list[str]

    def colour_of(self, value: float | None) -> str | None:
        """Return the colour of ``value`` (None when it is missing)."""
        if value is None or not np.isfinite(value):
            return None
        i = int(np.searchsorted(np.asarray(self.uppers), value, side="left"))
        return self.colours[min(i, len(self.colours) - 1)]

    def ranges(self, fmt: Callable[[float], str]) -> list[str]:
        """Return each class's range as text, e.g. ``0% – 20%``."""
        out, lower = [], self.low
        for upper in self.uppers:
            same = fmt(lower) == fmt(upper)
            out.append(fmt(upper) if same else f"{fmt(lower)} – {fmt(upper)}")
            lower = upper
        return out


def natural_classes(values: np.ndarray, palette: str = "YlGn_09", *, low: float | None = None):
    """Return natural-breaks classes of the finite ``values`` (None when there are none)."""
    import branca.colormap as cm
    import mapclassify

    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    k = max(1, min(MAX_CLASSES, len(np.unique(finite))))
    uppers = [float(finite.max())]
    if k > 1:
        uppers = [float(b) for b in mapclassify.NaturalBreaks(finite, k=k).bins]
    start = float(finite.min()) if low is None else min(low, float(finite.min()))
    top = max(uppers[-1], start + 1e-9)
    ramp = getattr(cm.linear, palette).scale(start, top)
    colours = [ramp(u if k > 1 else top)[:7] for u in uppers]
    return Classes(start, uppers, colours)


def colour_bar(classes: Classes, fmt: Callable[[float], str], caption: str) -> Markup:
    """Return an SVG colour bar: a box per class, a label at each break, never overlapping."""
    n = len(classes.uppers)
    width = n * BOX_PX + 24
    boxes = "".join(
        f'<rect x="{12 + i * BOX_PX}" y="16" width="{BOX_PX}" height="12" '
        f'fill="{escape(colour)}" stroke="#666" stroke-width="0.5"/>'
        for i, colour in enumerate(classes.colours)
    )
    edges = [classes.low, *classes.uppers]
    ticks = "".join(
        f'<text x="{12 + i * BOX_PX}" y="40" text-anchor="middle">{escape(fmt(edge))}</text>'
        for i, edge in enumerate(edges)
    )
    title = f'<text x="12" y="11" font-weight="bold">{escape(caption)}</text>'
    return Markup(
        f'<div class="gs-colorbar"><svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="44" viewBox="0 0 {width} 44" font-size="10" '
        f'font-family="sans-serif">{title}{boxes}{ticks}</svg></div>'
    )


def number(value: float) -> str:
    """Return a short label of a number (at most about six characters)."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 10_000:
        return f"{value / 1000:.0f}k"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"


def percent(value: float) -> str:
    """Return a share as a whole percentage."""
    return f"{value:.0%}"
