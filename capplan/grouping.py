"""Per-group statistics of a time-sorted series: its calendar days and its weekday x hour cells
in a local zone, and each group's maximum, sum and quantiles. Pure; no I/O.

Quantiles follow pandas' rule for `groupby().quantile()` (linear: v[i] + (v[i+1] - v[i]) * frac,
the same as numpy's default), so the numbers equal pandas' bit for bit (the tests compare). The
speed is the point of this module (`capplan analyze` on a year of minutes must not take longer
than pandas takes to read the file): groups of equal size are sorted together as the rows of one
2-D array, which numpy sorts with its vectorised sort, and in UTC the day and hour boundaries are
found by binary search on the sorted times instead of dividing every timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DAY_NS = 86_400_000_000_000
HOUR_NS = 3_600_000_000_000
# A first or last calendar day with fewer than this share of its expected samples is partial.
FULL_DAY_SHARE = 0.5


def full_days(counts, interval_seconds: float) -> slice:
    """The calendar days to keep, from each day's sample count: all but a partial first or last
    day (an export starts and ends mid-day), unless that would leave none. An inner day with few
    samples is a gap, and its values are real observations, so it stays. Data a day or coarser
    keep every day. The daily peaks and the day table keep the same days by this one rule."""
    n = len(counts)
    if interval_seconds >= 86400 or n == 0:
        return slice(0, n)
    few = FULL_DAY_SHARE * (86400.0 / interval_seconds)
    first = 1 if counts[0] < few else 0
    last = n - 1 if n > 1 and counts[-1] < few else n
    return slice(first, last) if last > first else slice(0, n)


def _ns(index: pd.DatetimeIndex) -> np.ndarray:
    """The index's nanoseconds (its own integers when it is in ns already: `as_unit` makes a
    new index even then)."""
    return index.asi8 if index.unit == "ns" else index.as_unit("ns").asi8


def local_ns(index: pd.DatetimeIndex, timezone: str) -> np.ndarray:
    """Wall-clock nanoseconds since 1970 in `timezone` of a tz-aware index (non-decreasing by
    day along a sorted index, even across a daylight-saving fold; hours may repeat)."""
    if timezone == "UTC" and str(index.tz) == "UTC":
        return _ns(index)
    return _ns(index.tz_convert(timezone).tz_localize(None))


@dataclass(frozen=True, slots=True)
class Runs:
    """Contiguous runs of a sorted series: each run's key, first position and length."""

    keys: np.ndarray  # int64
    starts: np.ndarray  # int64
    counts: np.ndarray  # int64


def runs_of(keys) -> Runs:
    """The runs of equal adjacent `keys`."""
    import numpy as np

    if keys.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return Runs(empty, empty, empty)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return Runs(keys[starts].astype(np.int64), starts,
                np.diff(np.r_[starts, keys.size]).astype(np.int64))


def _runs_by_search(ns, step_ns: int) -> Runs:
    """Runs of `ns // step_ns` on sorted non-negative times, by binary search of each step's
    boundary: a few thousand comparisons in place of a division per sample."""
    import numpy as np

    first, last = int(ns[0]) // step_ns, int(ns[-1]) // step_ns
    bounds = np.searchsorted(ns, np.arange(first, last + 2, dtype=np.int64) * step_ns)
    counts = np.diff(bounds)
    used = counts > 0
    return Runs(np.arange(first, last + 1, dtype=np.int64)[used], bounds[:-1][used],
                counts[used].astype(np.int64))


def _sorted_utc(index: pd.DatetimeIndex, timezone: str):
    """The index's UTC nanoseconds when the zone is UTC and they increase (binary search
    applies), else None."""
    if timezone != "UTC" or str(index.tz) != "UTC" or len(index) == 0:
        return None
    ns = _ns(index)
    # pandas keeps the index's monotonic and unique flags once computed: one pass per index
    if ns[0] < 0 or not (index.is_monotonic_increasing and index.is_unique):
        return None
    return ns


def day_runs(index: pd.DatetimeIndex, timezone: str) -> Runs:
    """The calendar days of a sorted index in `timezone`; keys are days since 1970-01-01."""
    ns = _sorted_utc(index, timezone)
    if ns is not None:
        return _runs_by_search(ns, DAY_NS)
    return runs_of(local_ns(index, timezone) // DAY_NS)


def weekday_hour_codes(index: pd.DatetimeIndex, timezone: str):
    """Each sample's local weekday x 24 + hour (Monday 0), as int16: plain integer arithmetic on
    wall-clock hours since 1970-01-01, a Thursday (weekday 3)."""
    import numpy as np

    ns = _sorted_utc(index, timezone)
    if ns is not None:
        hours = _runs_by_search(ns, HOUR_NS)
        code = ((hours.keys // 24 + 3) % 7) * 24 + hours.keys % 24
        return np.repeat(code.astype(np.int16), hours.counts)
    hours = local_ns(index, timezone) // HOUR_NS
    return (((hours // 24 + 3) % 7) * 24 + hours % 24).astype(np.int16)


def weekday_hour_statistics(index: pd.DatetimeIndex, values, timezone: str, quantile: float):
    """Per local weekday x hour cell seen (code = weekday x 24 + hour, ascending): (code, count,
    sum, `quantile`) of NaN-free `values`. In UTC, when every hour seen holds as many samples
    (a regular series), whole hours are moved as rows instead of sorting every sample by cell."""
    import numpy as np

    ns = _sorted_utc(index, timezone)
    hours = _runs_by_search(ns, HOUR_NS) if ns is not None else None
    if hours is not None and np.all(hours.counts == hours.counts[0]):
        width = int(hours.counts[0])
        rows = values[:hours.counts.size * width].reshape(hours.counts.size, width)
        code = ((hours.keys // 24 + 3) % 7) * 24 + hours.keys % 24
        order = np.argsort(code, kind="stable")
        cells = runs_of(code[order])
        # Cells of one size next to each other (52 and 53 weeks in a year), so that each size
        # is one slice of the gathered rows; results put back in code order after.
        by_size = np.argsort(cells.counts, kind="stable")
        sizes = cells.counts[by_size]
        offsets = np.r_[0, np.cumsum(sizes)[:-1]]
        hour_order = order[np.repeat(cells.starts[by_size] - offsets, sizes) +
                           np.arange(int(sizes.sum()))]
        runs = Runs(cells.keys[by_size], offsets * width, sizes * width)
        _, q, total = run_statistics(rows[hour_order].reshape(-1), runs, [quantile],
                                     with_sum=True)
        back = np.empty_like(by_size)
        back[by_size] = np.arange(by_size.size)
        return cells.keys, cells.counts * width, total[back], q[back, 0]
    code = weekday_hour_codes(index, timezone)
    order = np.argsort(code, kind="stable")
    runs = runs_of(code[order])
    _, q, total = run_statistics(values[order], runs, [quantile], with_sum=True)
    return runs.keys, runs.counts, total, q[:, 0]


def run_statistics(values, runs: Runs, quantiles, with_sum: bool = False):
    """Per run of `values` (NaN-free): (maximum, quantiles [runs x quantiles], sum or None).
    Runs of one length are sorted together as rows of a 2-D array."""
    import numpy as np

    n = runs.starts.size
    peak, out = np.empty(n), np.empty((n, len(quantiles)))
    total = np.empty(n) if with_sum else None
    for c in np.unique(runs.counts).tolist():
        rows = np.flatnonzero(runs.counts == c)
        starts = runs.starts[rows]
        if rows.size == 1 or np.all(np.diff(starts) == c):  # adjacent runs: a view, no gather
            first = int(starts[0])
            block = values[first:first + rows.size * c].reshape(rows.size, c)
        else:
            block = values[starts[:, None] + np.arange(c)]
        block = np.sort(block, axis=1)
        peak[rows] = block[:, -1]
        if with_sum:
            total[rows] = block.sum(axis=1)
        for j, q in enumerate(quantiles):
            position = q * (c - 1)
            i, frac = int(position), position % 1
            out[rows, j] = block[:, i] if frac == 0.0 else \
                block[:, i] + (block[:, i + 1] - block[:, i]) * frac
    return peak, out, total


def grouped_quantiles(codes, values, quantiles):
    """Per group of equal integer `codes`: the code (ascending), the count, the maximum and the
    `quantiles` of `values` (rows: groups; columns: quantiles), by pandas' rule for
    `groupby().quantile()`. Values must not be NaN."""
    import numpy as np

    codes = np.asarray(codes)
    values = np.asarray(values, dtype=float)
    if codes.size > 1 and np.any(codes[1:] < codes[:-1]):
        order = np.argsort(codes, kind="stable")
        codes, values = codes[order], values[order]
    runs = runs_of(codes)
    peak, out, _ = run_statistics(values, runs, quantiles)
    return codes[runs.starts], runs.counts, peak, out
