"""Flat-topping: daily peaks pressed against a ceiling, so the observed peak understates demand.

Pure; no I/O. Gilgur et al., "Percentile-Based Approach to Forecasting Workload Growth" (CMG
2015): as a resource nears saturation the upper percentiles of its load level off ("flat-topping",
"clipping") while the lower ones keep growing, and a forecast of the observed peak under-predicts
demand. Two signs are measured on calendar days (the same days as `load.daily_peaks`):

1. A pile-up at the ceiling: at least 10% of days (3 or more) whose peak sits within 2% of the
   highest daily peak, more than in the 4% band just below it (a natural upper tail thins out
   towards its maximum; a ceiling stacks days up at it); or at least 10% of days (3 or more)
   tied within 0.5% of it, which a hard cap leaves even where the days below are dense.
2. Compression while growing (Gilgur's signal, intraday data only): over the last year of days
   the daily median grows by 10% or more while the daily peak grows less than a third as much
   and the peak-to-p95 ratio shrinks by 1% or more; the median's and the ratio's trends are
   Theil-Sen slopes whose 95% intervals exclude 0. A day that merely spreads out (nights
   growing faster than the busy hours) also lets the median outgrow the peak, but its
   peak-to-p95 ratio does not fall: that is what the third condition is for. This sign is the
   weaker one; the pile-up is what a hard ceiling leaves.

Either sign sets `detected`. When it is set, the unclipped demand is estimated as Gilgur et al.
propose: a daily percentile that stays below the ceiling (the highest of p95, p90, p75, p50 that
does) is scaled by its historical ratio to the peak, the median of peak / percentile over the
days that did not reach the ceiling.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING
from capplan.numbers import plain

if TYPE_CHECKING:
    import pandas as pd

    from capplan.grouping import Runs

CEILING_TOLERANCE = 0.02  # "within a few percent" of the highest daily peak
TIE_TOLERANCE = 0.005  # days this close to the highest peak are ties: a hard cap's mark
BAND_BELOW = 0.04  # the band just under the ceiling band, for the pile-up comparison
MIN_SHARE = 0.10
MIN_DAYS_AT_CEILING = 3
MIN_DAYS = 10
TREND_DAYS = 365  # Theil-Sen is O(n^2) in days: the compression trends use the last year
MIN_MEDIAN_GROWTH = 0.10
PEAK_GROWTH_SHARE = 1 / 3
MIN_RATIO_SHRINK = 0.01
REFERENCE_PERCENTILES = (95, 90, 75, 50)
MIN_REFERENCE_DAYS = 5  # days below the ceiling needed to learn the peak / percentile ratio
RECENT_WINDOW_DAYS = 28  # as load.PLANNING_WINDOW_DAYS: the estimate is for the same window


@dataclass(frozen=True, slots=True)
class FlatTopping:
    detected: bool
    method: str  # what was measured and why the verdict, in words
    days: int  # full days looked at
    ceiling: float | None  # the highest daily peak
    share_of_days: float | None  # share of days whose peak is within 2% of the ceiling
    days_at_ceiling: int
    days_just_below: int  # days in the 4% band below the ceiling band
    days_tied: int  # days within 0.5% of the ceiling
    pile_up: bool
    compressed: bool
    median_growth: float | None  # over the trend window, as a fraction (0.25 = +25%)
    peak_growth: float | None
    peak_to_p95_change: float | None  # relative change of the daily peak / p95 ratio
    trend_days: int
    reference_percentile: int | None  # the daily percentile the unclipped estimate scales
    peak_ratio: float | None  # median peak / reference percentile on days below the ceiling
    observed_peak: float | None  # highest observed daily peak in the recent window
    unclipped_peak: float | None  # highest estimated demand peak in the same window
    window_start: str | None
    window_end: str | None
    unclipped_daily_peaks: pd.Series | None  # estimated demand per day (observed where unclipped)


def day_table(rate: pd.Series, interval_seconds: float, timezone: str = "UTC",
              runs: Runs | None = None) -> pd.DataFrame:
    """Per calendar day in `timezone` (full days only, as `load.daily_peaks`): the peak and, for
    data finer than a day, the p95, p90, p75 and p50 (linear interpolation, as numpy's and
    pandas'). `runs`: the days as `grouping.day_runs` found them already."""
    import numpy as np
    import pandas as pd

    from capplan.grouping import DAY_NS, day_runs, full_days

    runs = day_runs(rate.index, timezone) if runs is None else runs
    values = rate.to_numpy(dtype=float)
    if not np.isnan(values).any():
        return _day_table_numpy(values, runs, interval_seconds)
    table = _day_table_pandas(np.repeat(runs.keys, runs.counts), values, interval_seconds)
    table = table.iloc[full_days(table["count"].to_numpy(), interval_seconds)]
    table.index = pd.DatetimeIndex(np.asarray(table.index) * DAY_NS).as_unit("ns")
    return table


def _day_table_numpy(values, runs: Runs, interval_seconds: float) -> pd.DataFrame:
    """`day_table` of NaN-free values: the columns as arrays, partial edge days cut before the
    one DataFrame is made."""
    import pandas as pd

    from capplan.frames import named_frame
    from capplan.grouping import DAY_NS, full_days, run_statistics

    percentiles = REFERENCE_PERCENTILES if interval_seconds < 86400 else ()
    peak, q, _ = run_statistics(values, runs, [p / 100 for p in percentiles])
    keep = full_days(runs.counts, interval_seconds)
    columns = {"peak": peak[keep], "count": runs.counts[keep]}
    columns.update({f"p{p}": q[keep, j] for j, p in enumerate(percentiles)})
    index = pd.DatetimeIndex((runs.keys[keep] * DAY_NS).view("M8[ns]"))
    return named_frame(columns, index=index)


def _day_table_pandas(day, values, interval_seconds: float):
    """`day_table`'s columns by pandas' groupby, which skips NaN values."""
    import pandas as pd

    grouped = pd.DataFrame({"day": day, "v": values}).groupby("day", sort=True)["v"]
    table = pd.DataFrame({"peak": grouped.max(), "count": grouped.size()})
    if interval_seconds < 86400:
        q = grouped.quantile([p / 100 for p in REFERENCE_PERCENTILES]).unstack()
        for p in REFERENCE_PERCENTILES:
            table[f"p{p}"] = q[p / 100]
    return table


def theil_sen_change(values) -> float:
    """The Theil-Sen slope (the median of all pairwise slopes) times the span: the robust change
    over the window. numpy, so that the common case does not import scipy.stats (about a second);
    the tests check it against scipy.stats.theilslopes."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    i, j, span = _pairs(v.size)
    return float(np.median((v[j] - v[i]) / span) * (v.size - 1))


@functools.lru_cache(maxsize=4)
def _pairs(n: int):
    """Every pair i < j of n points and j - i: the three trends of a check share one n."""
    import numpy as np

    i, j = np.triu_indices(n, k=1)
    span = (j - i).astype(float)
    for a in (i, j, span):
        a.setflags(write=False)
    return i, j, span


def _sure(values, rising: bool) -> bool:
    """Whether the Theil-Sen 95% interval (scipy) excludes 0 in the given direction."""
    import numpy as np
    from scipy import stats

    _, _, low, high = stats.theilslopes(values, np.arange(len(values), dtype=float), alpha=0.95)
    return bool(low > 0) if rising else bool(high < 0)


def _compression(table: pd.DataFrame) -> tuple[bool, float | None, float | None, float | None, int]:
    import numpy as np

    recent = table.iloc[-TREND_DAYS:]
    recent = recent[(recent["p50"] > 0) & (recent["p95"] > 0) & (recent["peak"] > 0)]
    if len(recent) < MIN_DAYS:
        return False, None, None, None, len(recent)
    log_median = np.log(recent["p50"].to_numpy())
    log_peak = np.log(recent["peak"].to_numpy())
    ratio = (recent["peak"] / recent["p95"]).to_numpy()
    median_growth = float(np.expm1(theil_sen_change(log_median)))
    peak_growth = float(np.expm1(theil_sen_change(log_peak)))
    ratio_rel = theil_sen_change(ratio) / float(np.median(ratio))
    compressed = (median_growth >= MIN_MEDIAN_GROWTH
                  and peak_growth < PEAK_GROWTH_SHARE * median_growth
                  and ratio_rel <= -MIN_RATIO_SHRINK)
    # Point estimates first; the intervals (and scipy) only for a series that passes them.
    compressed = compressed and _sure(log_median, True) and _sure(ratio, False)
    return compressed, median_growth, peak_growth, ratio_rel, len(recent)


def _unclipped(table: pd.DataFrame, at_ceiling, ceiling: float):
    """Gilgur et al.'s estimate: a percentile below the ceiling x its historical peak ratio."""
    below = ~at_ceiling
    if int(below.sum()) < MIN_REFERENCE_DAYS:
        return None, None, None, (f"fewer than {MIN_REFERENCE_DAYS} days below the ceiling to "
                                  "learn the peak-to-percentile ratio from")
    limit = ceiling * (1 - CEILING_TOLERANCE)
    for q in REFERENCE_PERCENTILES:
        values = table[f"p{q}"]
        if (values[at_ceiling] < limit).all() and (values[below] > 0).all():
            ratio = float((table["peak"][below] / values[below]).median())
            estimate = table["peak"].where(below, (values * ratio).clip(lower=table["peak"]))
            return q, ratio, estimate, None
    return None, None, None, "every reference percentile (p95, p90, p75, p50) reaches the ceiling too"


def detect_flat_topping(rate: pd.Series, interval_seconds: float, timezone: str = "UTC",
                        table: pd.DataFrame | None = None) -> FlatTopping:
    """Look for a ceiling in a rate (or utilization) series; see the module docstring."""
    import numpy as np

    table = day_table(rate, interval_seconds, timezone) if table is None else table
    n = len(table)
    empty = dict(ceiling=None, share_of_days=None, days_at_ceiling=0, days_just_below=0,
                 days_tied=0,
                 pile_up=False, compressed=False, median_growth=None, peak_growth=None,
                 peak_to_p95_change=None, trend_days=0, reference_percentile=None,
                 peak_ratio=None, observed_peak=None, unclipped_peak=None, window_start=None,
                 window_end=None, unclipped_daily_peaks=None)
    if n < MIN_DAYS:
        return FlatTopping(detected=False, days=n, method=(
            f"not judged: {n} full day(s); the check needs at least {MIN_DAYS}"), **empty)
    peaks = table["peak"].to_numpy(dtype=float)
    ceiling = float(peaks.max())
    if ceiling <= 0:
        return FlatTopping(detected=False, days=n, method="not judged: every daily peak is 0",
                           **empty)
    at_ceiling = table["peak"] >= ceiling * (1 - CEILING_TOLERANCE)
    just_below = (table["peak"] >= ceiling * (1 - CEILING_TOLERANCE - BAND_BELOW)) & ~at_ceiling
    k, k_below = int(at_ceiling.sum()), int(just_below.sum())
    tied = int((table["peak"] >= ceiling * (1 - TIE_TOLERANCE)).sum())
    share = k / n
    pile_up = ((share >= MIN_SHARE and k >= MIN_DAYS_AT_CEILING and k >= k_below)
               or (tied >= MIN_SHARE * n and tied >= MIN_DAYS_AT_CEILING))
    intraday = interval_seconds < 86400 and "p95" in table
    compressed, median_growth, peak_growth, ratio_rel, trend_days = (
        _compression(table) if intraday else (False, None, None, None, 0))
    detected = pile_up or compressed
    words = [f"{k} of {n} days ({share:.0%}) peak within {CEILING_TOLERANCE:.0%} of the highest "
             f"daily peak {plain(ceiling)} ({tied} within {TIE_TOLERANCE:.1%}), {k_below} in the "
             f"{BAND_BELOW:.0%} band below"]
    words.append("a pile-up at a ceiling" if pile_up else
                 f"no pile-up (needs {MIN_SHARE:.0%} of days, at least {MIN_DAYS_AT_CEILING}, "
                 f"within {CEILING_TOLERANCE:.0%} and more than just below, or within "
                 f"{TIE_TOLERANCE:.1%})")
    if median_growth is not None:
        words.append(f"over the last {trend_days} days the daily median grew {median_growth:+.0%}, "
                     f"the daily peak {peak_growth:+.0%}, peak/p95 changed {ratio_rel:+.0%}"
                     + (": upper percentiles compressed while the day grows" if compressed else ""))
    elif not intraday:
        words.append("compression not measured (needs data finer than a day)")
    fields = dict(empty, ceiling=ceiling, share_of_days=share, days_at_ceiling=k,
                  days_just_below=k_below, days_tied=tied, pile_up=pile_up, compressed=compressed,
                  median_growth=median_growth, peak_growth=peak_growth,
                  peak_to_p95_change=ratio_rel, trend_days=trend_days)
    if detected and intraday:
        q, ratio, estimate, why = _unclipped(table, at_ceiling, ceiling)
        if estimate is None:
            words.append(f"unclipped demand not estimated: {why}")
        else:
            recent = table.index >= table.index[-1] - np.timedelta64(RECENT_WINDOW_DAYS - 1, "D")
            fields.update(reference_percentile=q, peak_ratio=ratio,
                          observed_peak=float(table["peak"][recent].max()),
                          unclipped_peak=float(estimate[recent].max()),
                          window_start=str(table.index[recent][0].date()),
                          window_end=str(table.index[-1].date()),
                          unclipped_daily_peaks=estimate.rename("unclipped_peak"))
            words.append(f"unclipped demand: daily p{q} x {ratio:.3g} (its median ratio to the "
                         f"peak on days below the ceiling) gives {plain(fields['unclipped_peak'])} "
                         f"against an observed {plain(fields['observed_peak'])} over the last "
                         f"{int(recent.sum())} days")
    elif detected:
        words.append("unclipped demand not estimated: needs data finer than a day")
    return FlatTopping(detected=detected, days=n, method="; ".join(words), **fields)
