"""One demand path per scenario: the growth forecast's path, events applied as steps over their
windows. Pure; no I/O. The plan reads every number from it (`capplan.plan`).

The forecast gives the path on a grid of 30 points a plan month (grid day t_j; month m ends at
m x 30.4375 days after the start). Between grid points the path is log-linear (exact for a stated
growth rate); from day 0 to the first grid point it runs from today's planning peak.

An event (a window [start, end) and a multiplier) is a step: over its whole window the demand is
the multiplier times the path's highest value over the window (within the plan). It is not
multiplied into each day separately, and overlapping events do not compound (the higher step wins).

Step j covers (t_{j-1}, t_j]; step 0 covers [0, t_0], today included. A step's peak is the highest
demand in it: the path's value at t_j (step 0: or today's planning peak, if higher), or the step of
any event whose window meets the step. A month's peak is the highest step peak in it; the steps are
what plan.json's `scenarios.<name>.path` lists.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from capplan.events import Event


@dataclass(frozen=True, slots=True)
class EventStep:
    """One event on one scenario's path, in days after the plan start."""

    event: Event
    start_day: float
    end_day: float
    base_peak: float | None  # the path's highest value over the window within the plan
    base_peak_day: float | None  # where that is
    peak: float | None  # multiplier x base_peak: the step's height (None outside the plan)
    steps: range = range(0)  # the steps whose interval the window meets


@dataclass(frozen=True, slots=True)
class DemandPath:
    days: np.ndarray  # t_j: the day each step ends, after the start
    base: np.ndarray  # the forecast path at t_j
    peak: np.ndarray  # each step's peak, events applied
    event: tuple[str | None, ...]  # per step: the event(s) that set its peak
    start_value: float  # the demand at day 0: the planning peak
    events: tuple[EventStep, ...]

    @property
    def horizon(self) -> float:
        return float(self.days[-1])

    def base_part(self, j: int) -> float:
        """Step j's peak without events: the path at t_j (step 0: or today's peak)."""
        v = float(self.base[j])
        return max(v, self.start_value) if j == 0 else v

    def knot(self, j: int) -> tuple[float, float]:
        """(day, value) of grid point j; j = -1 is day 0 at the planning peak."""
        if j < 0:
            return 0.0, self.start_value
        return float(self.days[j]), float(self.base[j])

    def value(self, t: float) -> float:
        """The forecast path at day t, log-linear between grid points."""
        import numpy as np

        if t <= 0:
            return self.start_value
        j = int(np.searchsorted(self.days, t, side="left"))
        if j >= len(self.days):
            return float(self.base[-1])
        t0, v0 = self.knot(j - 1)
        t1, v1 = self.knot(j)
        return _loglinear(t0, v0, t1, v1, t)

    def window_max(self, a: float, b: float) -> tuple[float, float] | None:
        """(highest value, its day) of the forecast path over [a, b] within the plan, or None
        when the window misses the plan."""
        import numpy as np

        a, b = max(a, 0.0), min(b, self.horizon)
        if a > b:
            return None
        best = (self.value(a), a)
        end = (self.value(b), b)
        if end[0] > best[0]:
            best = end
        inside = np.flatnonzero((self.days > a) & (self.days < b))
        if inside.size:
            k = inside[int(np.argmax(self.base[inside]))]
            if float(self.base[k]) > best[0]:
                best = (float(self.base[k]), float(self.days[k]))
        return best

    def steps_met(self, start_day: float, end_day: float) -> range:
        """The steps j whose interval meets the window [start_day, end_day)."""
        import numpy as np

        first = max(0, int(np.searchsorted(self.days, start_day, side="left")))
        last = min(len(self.days) - 1, int(np.searchsorted(self.days, end_day, side="left")))
        if end_day <= 0 or first > last:
            return range(0)
        return range(first, last + 1)


def _loglinear(t0: float, v0: float, t1: float, v1: float, t: float) -> float:
    if t1 <= t0 or t <= t0:
        return v0
    if t >= t1:
        return v1
    f = (t - t0) / (t1 - t0)
    if v0 > 0 and v1 > 0:
        return math.exp(math.log(v0) + f * (math.log(v1) - math.log(v0)))
    return v0 + f * (v1 - v0)


def crossing_day(path: DemandPath, j: int, threshold: float) -> float:
    """The day within step j at which the path, log-linear from the previous grid point, first
    exceeds `threshold`: the previous point's day when it already does, t_j when it only does
    at t_j (a step, not a smooth rise)."""
    t0, v0 = path.knot(j - 1)
    t1, v1 = path.knot(j)
    if v0 > threshold:
        return t0
    if not (0 < v0 < threshold < v1):
        return t1
    f = (math.log(threshold) - math.log(v0)) / (math.log(v1) - math.log(v0))
    return t0 + f * (t1 - t0)


def day_of(start: dt.date, when: dt.datetime) -> float:
    """Days after the plan start (midnight UTC of `start`) of a naive UTC datetime."""
    return (when - dt.datetime.combine(start, dt.time())).total_seconds() / 86400


def date_of(start: dt.date, day: float) -> dt.date:
    """The calendar date `day` days after the start (the day it falls in)."""
    return start + dt.timedelta(days=math.floor(day + 1e-6))


def build_path(*, start: dt.date, grid_days, base, start_value: float,
               events: tuple[Event, ...] = ()) -> DemandPath:
    """The stepped demand path of one scenario (see the module docstring)."""
    import numpy as np

    days = np.asarray(grid_days, float)
    base = np.asarray(base, float)
    shell = DemandPath(days, base, base, (None,) * len(days), float(start_value), ())
    steps = []
    for e in events:
        s, f = day_of(start, e.start), day_of(start, e.end)
        got = shell.window_max(s, f)
        if got is None:
            steps.append(EventStep(e, s, f, None, None, None))
        else:
            steps.append(EventStep(e, s, f, got[0], got[1], e.multiplier * got[0],
                                   shell.steps_met(s, f)))
    peak = np.array([shell.base_part(j) for j in range(len(days))])
    base_peak = peak.copy()
    names: list[set] = [set() for _ in days]
    for st in steps:
        if st.peak is None:
            continue
        for j in st.steps:
            if st.peak > peak[j] + 1e-12 * peak[j]:
                peak[j] = st.peak
                names[j] = {st.event.name}
            elif st.peak > base_peak[j] and abs(st.peak - peak[j]) <= 1e-12 * peak[j]:
                names[j].add(st.event.name)
    event = tuple(", ".join(sorted(n)) if n else None for n in names)
    return DemandPath(days, base, peak, event, float(start_value), tuple(steps))
