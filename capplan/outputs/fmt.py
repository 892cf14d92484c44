"""Numbers formatted for people: the one place the terminal and the PDF share."""

from __future__ import annotations

import math


def rate(x: float | None, missing: str = "-") -> str:
    """Requests per second: thousands separated, decimals only where they matter."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return missing
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.2f}"
    return f"{x:.3g}"


def seconds(s: float | None, missing: str = "-") -> str:
    """A duration in the largest unit it fills: 30 min, 1 h, 2 days."""
    if s is None:
        return missing
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            v = s / size
            return f"{v:g} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{s:g} s"
