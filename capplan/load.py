"""Load analysis: what the traffic looks like, and the peak a plan starts from. Pure; no I/O.

Percentiles are taken over the rate at the data's own interval with linear interpolation between
order statistics (numpy's default, Hyndman & Fan type 7), so anyone can check them with
`numpy.percentile`; a 1-minute p99 and a 1-hour p99 are different numbers and the output names the
interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.grouping import (
    DAY_NS,
    Runs,
    day_runs,
    full_days,
    weekday_hour_codes,
    weekday_hour_statistics,
)
from capplan.growth.history import (
    LEVEL_SHIFT_MIN_AFTER,
    LEVEL_SHIFT_MIN_BEFORE,
    latest_level_shift,
)
from capplan.saturation import FlatTopping, day_table, detect_flat_topping
from capplan.threads import Background
from capplan.numbers import plain

if TYPE_CHECKING:
    import pandas as pd

    from capplan.growth.values import ChangePoint
    from capplan.ingest import Traffic

# Iglewicz & Hoaglin (1993): a modified z-score 0.6745 (x - median) / MAD above 3.5 marks an outlier.
MODIFIED_Z_LIMIT = 3.5
PLANNING_WINDOW_DAYS = 28


@dataclass(frozen=True, slots=True)
class Anomaly:
    date: str
    value: float
    modified_z: float
    reason: str


@dataclass(frozen=True, slots=True)
class PlanningPeak:
    value: float
    date: str
    method: str
    window_start: str
    window_end: str
    excluded: tuple[Anomaly, ...]


@dataclass(frozen=True, slots=True)
class LoadProfile:
    interval_seconds: float
    unit: str
    mean: float
    peak: float
    peak_time: pd.Timestamp
    peak_to_mean: float | None
    p50: float
    p95: float
    p99: float
    p999: float
    daily_peaks: pd.Series  # max per calendar day in the local zone, full days only (date index)
    daily_peaks_step: str  # "day", or the native step when the data are coarser than a day
    partial_days_dropped: tuple[str, ...]
    hourly_mean: pd.DataFrame | None  # weekday (0 = Monday) x hour-of-day mean rate
    hourly_p95: pd.DataFrame | None
    busiest_hour: tuple[int, int, float] | None  # weekday, hour, mean rate
    planning_peak: PlanningPeak
    anomalies: tuple[Anomaly, ...]
    local_timezone: str
    flat_topping: FlatTopping | None = None  # daily peaks pressed against a ceiling (saturation.py)


def daily_peaks(rate: pd.Series, interval_seconds: float, timezone: str = "UTC",
                runs: Runs | None = None) -> tuple[pd.Series, tuple[str, ...]]:
    """Max of each calendar day in `timezone`; partial days (under half their samples) dropped.
    `runs`: the days as `grouping.day_runs` found them already."""
    import numpy as np
    import pandas as pd

    runs = day_runs(rate.index, timezone) if runs is None else runs
    values = rate.to_numpy(dtype=float)
    # Days are non-decreasing along a sorted series (even across a DST fold), so each day is one
    # contiguous run and np.maximum.reduceat takes its max without a groupby.
    peak = np.maximum.reduceat(values, runs.starts)
    days = (runs.keys * DAY_NS).view("M8[ns]")
    keep = full_days(runs.counts, interval_seconds)
    dropped = np.r_[days[:keep.start], days[keep.stop:]]
    return (pd.Series(peak[keep], index=pd.DatetimeIndex(days[keep])),
            tuple(np.datetime_as_string(dropped, unit="D").tolist()))


def find_anomalies(peaks: pd.Series, window: int = PLANNING_WINDOW_DAYS + 1) -> tuple[Anomaly, ...]:
    """Daily peaks far above their neighbourhood: modified z-score over a centred window > 3.5.

    The window (29 days by default, shifted inwards at the ends of the series) includes the day
    itself; median and MAD are robust to it, which is the point of using them.
    """
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    n = len(peaks)
    if n < 7:
        return ()
    v = peaks.to_numpy(dtype=float)
    w = min(window, n)
    windows = sliding_window_view(v, w)  # (n - w + 1, w)
    start = np.clip(np.arange(n) - w // 2, 0, n - w)
    med_all = np.median(windows, axis=1)
    mad_all = np.median(np.abs(windows - med_all[:, None]), axis=1)
    med, mad = med_all[start], mad_all[start]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(mad > 0, 0.6745 * (v - med) / mad, 0.0)
    hits = np.flatnonzero((z > MODIFIED_Z_LIMIT) & (v > 1.2 * med))
    return tuple(Anomaly(str(peaks.index[i].date()), float(v[i]), float(z[i]),
                         f"{v[i] / med[i]:.2f}x the median daily peak of the {w} days around it")
                 for i in hits)


def choose_planning_peak(peaks: pd.Series, anomalies: tuple[Anomaly, ...],
                         window_days: int = PLANNING_WINDOW_DAYS,
                         level_shift: ChangePoint | None = None) -> PlanningPeak:
    """The highest daily peak of the recent window, leaving out flagged spikes.

    A recent high peak (not the mean, not the all-time max) is what today's fleet must carry; a
    single anomalous day (a daylight-saving fold, a scraper) is flagged rather than planned for.
    After a level shift (`level_shift`, as the growth stage names it) the window starts at the
    shift: the old level is not what today's fleet carries.
    """
    import numpy as np
    import pandas as pd

    end = peaks.index[-1]
    start = max(end - pd.Timedelta(days=window_days - 1), peaks.index[0])
    since = None
    if level_shift is not None and pd.Timestamp(level_shift.date) > start:
        start = since = pd.Timestamp(level_shift.date)
    recent = peaks[peaks.index >= start]
    flagged = {a.date for a in anomalies}
    excluded = tuple(a for a in anomalies if pd.Timestamp(a.date) >= start)
    keep = recent[[str(d.date()) not in flagged for d in recent.index]]
    if keep.empty:  # every recent day flagged: plan for what was seen
        keep, excluded = recent, ()
    i = int(np.argmax(keep.to_numpy()))
    value = float(keep.iloc[i])
    # The window's length is its calendar days; the peaks in it are fewer when days are missing
    # or the series is coarser than a day (monthly sales: one point in 28 days).
    span = (end.normalize() - start.normalize()).days + 1
    daily = len(peaks) < 2 or (peaks.index[1:] - peaks.index[:-1]).min() <= pd.Timedelta(days=1)
    seen = (f"; {len(recent)} of them with data" if daily and len(recent) < span else
            "" if daily else f"; {len(recent)} data point(s) in it")
    method = (f"highest {'daily ' if daily else ''}peak of the last {span} day(s) "
              f"({start.date()} to {end.date()}{seen})")
    if since is not None:
        kind = "rise" if (level_shift.level_change or 0) > 0 else "drop"
        method += (f", since the level {kind} of {level_shift.level_change:+.0%} on "
                   f"{level_shift.date} (the days before it are at the old level)")
    if excluded:
        method += ", leaving out " + "; ".join(
            f"{a.date} ({plain(a.value)}, {a.reason})" for a in excluded) + (" as a spike (the growth stage says whether it recurs; either way "
                                            "the planning peak leaves it out)")
    return PlanningPeak(value=value, date=str(keep.index[i].date()), method=method,
                        window_start=str(start.date()), window_end=str(end.date()),
                        excluded=excluded)


def _level_shift(peaks: pd.Series) -> ChangePoint | None:
    """The latest level shift of the daily peaks, found by the growth stage's own search (so the
    planning window and the demand paths start at the same day)."""
    if int((peaks > 0).sum()) < LEVEL_SHIFT_MIN_BEFORE + LEVEL_SHIFT_MIN_AFTER:
        return None
    ls = latest_level_shift(peaks)
    return ls.change_point if ls.starts_window else None


def analyze_load(traffic: Traffic) -> LoadProfile:
    """Summarise a traffic series: level, peak, percentiles, daily peaks, weekly shape."""
    import numpy as np

    rate = traffic.rate
    if rate.empty:
        raise CapplanError(f"{traffic.source.path}: no usable rows to analyse")
    values = rate.to_numpy(dtype=float)
    zone, interval = traffic.local_timezone, traffic.interval_seconds
    # The percentiles and the weekly shape (every sample sorted by its hour of the week) on a
    # second core, the day table (sorted by day) and the rest here: numpy sorts and selects
    # without holding the GIL.
    second = Background(lambda: (np.percentile(values, [50, 95, 99, 99.9]),
                                  weekly_shape(rate, zone) if interval <= 3600 else
                                  (None, None, None)))
    mean = float(values.mean())
    i_peak = int(np.argmax(values))
    days = day_runs(rate.index, zone)  # once, for the daily peaks and the flat-topping check
    peaks, partial = daily_peaks(rate, interval, zone, runs=days)
    anomalies = find_anomalies(peaks)
    planning = choose_planning_peak(peaks, anomalies, level_shift=_level_shift(peaks))
    flat_topping = detect_flat_topping(rate, interval, zone,
                                       table=day_table(rate, interval, zone, runs=days))
    percentiles, (hourly_mean, hourly_p95, busiest) = second.result()
    p50, p95, p99, p999 = (float(x) for x in percentiles)
    return LoadProfile(
        interval_seconds=interval, unit=traffic.unit, mean=mean,
        peak=float(values[i_peak]), peak_time=rate.index[i_peak],
        peak_to_mean=float(values[i_peak] / mean) if mean > 0 else None,
        p50=p50, p95=p95, p99=p99, p999=p999, daily_peaks=peaks,
        daily_peaks_step="day" if interval < 86400 else "native",
        partial_days_dropped=partial, hourly_mean=hourly_mean, hourly_p95=hourly_p95,
        busiest_hour=busiest, planning_peak=planning, anomalies=anomalies,
        local_timezone=zone, flat_topping=flat_topping)


def weekly_shape(rate: pd.Series, timezone: str):
    """The weekday (0 = Monday) x local hour mean and p95 of the rate, as two DataFrames (rows
    and columns only for the weekdays and hours seen), and the busiest cell (weekday, hour,
    mean)."""
    import numpy as np
    import pandas as pd

    values = rate.to_numpy(dtype=float)
    if np.isnan(values).any():  # pandas' groupby skips NaN
        code = weekday_hour_codes(rate.index, timezone)
        mean_by = pd.Series(values).groupby(code).mean()
        p95_by = pd.Series(values).groupby(code).quantile(0.95)
        codes, means, p95s = (mean_by.index.to_numpy(np.int64), mean_by.to_numpy(),
                              p95_by.to_numpy())
    else:
        codes, counts, total, p95s = weekday_hour_statistics(rate.index, values, timezone, 0.95)
        means = total / counts
    weekdays, hours = np.unique(codes // 24), np.unique(codes % 24)

    def grid(v):
        table = np.full((weekdays.size, hours.size), np.nan)
        table[np.searchsorted(weekdays, codes // 24), np.searchsorted(hours, codes % 24)] = v
        return pd.DataFrame(table, index=pd.Index(weekdays, name="weekday"),
                            columns=pd.Index(hours, name="hour"))

    seen = np.isfinite(means)
    busiest = None
    if seen.any():  # codes ascend weekday-major: the first of equal means wins, as idxmax
        i = int(np.argmax(np.where(seen, means, -np.inf)))
        busiest = (int(codes[i] // 24), int(codes[i] % 24), float(means[i]))
    return grid(means), grid(p95s), busiest
