"""What the history says before any model: change points and recurring peaks."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    import pandas as pd

from capplan.growth.values import DAYS_PER_MONTH, ChangePoint

def find_change_point(y_log, step_days: float) -> tuple[int, ChangePoint | None]:
    """A level or slope break in the log peak: the split that most lowers BIC against one line,
    by at least 10 (strong evidence, Kass & Raftery 1995), with 28 steps or more after it."""
    import numpy as np

    n = len(y_log)
    min_seg = max(28, n // 8)
    if n < 2 * min_seg:
        return 0, None
    t = np.arange(n, dtype=float)

    def sse_line(tt, yy):
        a = np.polyfit(tt, yy, 1)
        return float(np.sum((yy - np.polyval(a, tt)) ** 2)), a[0]

    sse0, slope0 = sse_line(t, y_log)
    if sse0 <= 0:
        return 0, None
    bic0 = n * math.log(sse0 / n) + 2 * math.log(n)
    best = (0.0, None, None, None)
    for c in range(min_seg, n - min_seg + 1, max(1, n // 200)):
        s1, b1 = sse_line(t[:c], y_log[:c])
        s2, b2 = sse_line(t[c:], y_log[c:])
        sse = s1 + s2
        if sse <= 0:
            continue
        bic = n * math.log(sse / n) + 5 * math.log(n)  # two lines and a break point
        gain = bic0 - bic
        if gain > best[0]:
            best = (gain, c, b1, b2)
    gain, c, b1, b2 = best
    if c is None or gain < 10:
        return 0, None
    per_month = DAYS_PER_MONTH / step_days
    level_jump = abs(y_log[c:c + 7].mean() - y_log[c - 7:c].mean())
    kind = "level" if level_jump > 2 * abs(b1 - b2) * 7 else "slope"
    return c, ChangePoint("", kind, math.expm1(b1 * per_month), math.expm1(b2 * per_month))


def find_recurring_peaks(peaks: pd.Series) -> tuple[str, ...]:
    """Days that stand out from their month in more than one year near the same date (a yearly
    sale, a holiday): candidates for an --event."""
    import numpy as np

    if len(peaks) < 400:
        return ()
    v = peaks.to_numpy(float)
    med = peaks.rolling(29, center=True, min_periods=7).median().to_numpy()
    ratio = v / med
    found: dict[int, list[tuple[str, float]]] = {}
    for i in np.flatnonzero(ratio > 1.3):
        d = peaks.index[i]
        found.setdefault(d.day_of_year // 7, []).append((str(d.date()), float(ratio[i])))
    out = []
    for wk, hits in sorted(found.items()):
        years = {h[0][:4] for h in hits}
        if len(years) >= 2:
            dates = ", ".join(h[0] for h in hits[:4])
            mean_ratio = float(np.mean([h[1] for h in hits]))
            out.append(f"around {hits[-1][0][5:]} in {len(years)} years ({dates}): peaks "
                       f"{mean_ratio:.2f}x the month around them; consider an --event")
    return tuple(out[:5])

