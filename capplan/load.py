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

if TYPE_CHECKING:
    import pandas as pd

    from capplan.growth.values import ChangePoint
    from capplan.ingest import Traffic
    from capplan.saturation import FlatTopping

# Iglewicz & Hoaglin (1993): a modified z-score 0.6745 (x - median) / MAD above 3.5 marks an outlier.
MODIFIED_Z_LIMIT = 3.5
PLANNING_WINDOW_DAYS = 28
# A calendar day with fewer than this share of its expected samples is partial (first/last day).
FULL_DAY_SHARE = 0.5


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


def daily_peaks(rate: pd.Series, interval_seconds: float, timezone: str = "UTC"
                ) -> tuple[pd.Series, tuple[str, ...]]:
    """Max of each calendar day in `timezone`; partial days (under half their samples) dropped."""
    import numpy as np
    import pandas as pd

    local_ns = rate.index.tz_convert(timezone).tz_localize(None).as_unit("ns").asi8
    day = local_ns // 86_400_000_000_000
    values = rate.to_numpy(dtype=float)
    # Days are non-decreasing along a sorted series (even across a DST fold), so each day is one
    # contiguous run and np.maximum.reduceat takes its max without a groupby.
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    peaks = pd.Series(np.maximum.reduceat(values, starts),
                      index=pd.DatetimeIndex(day[starts] * 86_400_000_000_000).as_unit("ns"))
    if interval_seconds >= 86400:
        return peaks, ()
    counts = np.diff(np.r_[starts, values.size])
    expected = 86400.0 / interval_seconds
    # Only the first and last day can be partial by construction of an export; an inner day with
    # few samples is a gap, and its max is still a real observation, so it stays.
    drop = [i for i in {0, len(starts) - 1} if counts[i] < FULL_DAY_SHARE * expected]
    if len(drop) >= len(peaks):
        return peaks, ()
    dropped = tuple(str(peaks.index[i].date()) for i in sorted(drop))
    return peaks.drop(peaks.index[sorted(drop)]), dropped


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
    n_days = len(recent)
    method = (f"highest daily peak of the last {n_days} day(s) "
              f"({start.date()} to {end.date()})")
    if since is not None:
        kind = "rise" if (level_shift.level_change or 0) > 0 else "drop"
        method += (f", since the level {kind} of {level_shift.level_change:+.0%} on "
                   f"{level_shift.date} (the days before it are at the old level)")
    if excluded:
        method += ", leaving out " + "; ".join(
            f"{a.date} ({a.value:,.6g}, {a.reason})" for a in excluded) + (" as a spike (the growth stage says whether it recurs; either way "
                                            "the planning peak leaves it out)")
    return PlanningPeak(value=value, date=str(keep.index[i].date()), method=method,
                        window_start=str(start.date()), window_end=str(end.date()),
                        excluded=excluded)


def _level_shift(peaks: pd.Series) -> ChangePoint | None:
    """The latest level shift of the daily peaks, found by the growth stage's own search (so the
    planning window and the demand paths start at the same day)."""
    from capplan.growth.history import (LEVEL_SHIFT_MIN_AFTER, LEVEL_SHIFT_MIN_BEFORE,
                                        latest_level_shift)

    if int((peaks > 0).sum()) < LEVEL_SHIFT_MIN_BEFORE + LEVEL_SHIFT_MIN_AFTER:
        return None
    ls = latest_level_shift(peaks)
    return ls.change_point if ls.starts_window else None


def analyze_load(traffic: Traffic) -> LoadProfile:
    """Summarise a traffic series: level, peak, percentiles, daily peaks, weekly shape."""
    import numpy as np
    import pandas as pd

    from capplan.saturation import detect_flat_topping, grouped_quantiles

    rate = traffic.rate
    if rate.empty:
        raise CapplanError(f"{traffic.source.path}: no usable rows to analyse")
    values = rate.to_numpy(dtype=float)
    mean = float(values.mean())
    i_peak = int(np.argmax(values))
    p50, p95, p99, p999 = (float(x) for x in np.percentile(values, [50, 95, 99, 99.9]))
    peaks, partial = daily_peaks(rate, traffic.interval_seconds, traffic.local_timezone)
    anomalies = find_anomalies(peaks)
    planning = choose_planning_peak(peaks, anomalies, level_shift=_level_shift(peaks))
    hourly_mean = hourly_p95 = busiest = None
    if traffic.interval_seconds <= 3600:
        local_ns = rate.index.tz_convert(traffic.local_timezone).tz_localize(None).as_unit(
            "ns").asi8
        # Plain integer codes (weekday x 24 + hour) in integer arithmetic on wall-clock hours
        # since 1970-01-01, a Thursday (weekday 3): pandas' field accessors cost 3x more.
        hours = local_ns // 3_600_000_000_000
        code = ((hours // 24 + 3) % 7) * 24 + hours % 24
        mean_by = pd.Series(values).groupby(code).mean()  # pandas' compensated sum, as before
        if np.isnan(values).any():
            p95_by = pd.Series(values).groupby(code).quantile(0.95)
        else:  # the same numbers as groupby().quantile, a third of the time (168 small sorts)
            codes, _, _, q = grouped_quantiles(code.astype(np.int16), values, [0.95])
            p95_by = pd.Series(q[:, 0], index=codes.astype(np.int64))

        def grid(s):
            return pd.DataFrame(
                {"weekday": s.index // 24, "hour": s.index % 24, "v": s.to_numpy()}
            ).pivot(index="weekday", columns="hour", values="v")

        hourly_mean, hourly_p95 = grid(mean_by), grid(p95_by)
        hourly_mean.index.name = hourly_p95.index.name = "weekday"
        hourly_mean.columns.name = hourly_p95.columns.name = "hour"
        stacked = hourly_mean.stack()
        wd, hr = stacked.idxmax()
        busiest = (int(wd), int(hr), float(stacked.max()))
    return LoadProfile(
        interval_seconds=traffic.interval_seconds, unit=traffic.unit, mean=mean,
        peak=float(values[i_peak]), peak_time=rate.index[i_peak],
        peak_to_mean=float(values[i_peak] / mean) if mean > 0 else None,
        p50=p50, p95=p95, p99=p99, p999=p999, daily_peaks=peaks,
        daily_peaks_step="day" if traffic.interval_seconds < 86400 else "native",
        partial_days_dropped=partial, hourly_mean=hourly_mean, hourly_p95=hourly_p95,
        busiest_hour=busiest, planning_peak=planning, anomalies=anomalies,
        local_timezone=traffic.local_timezone,
        flat_topping=detect_flat_topping(rate, traffic.interval_seconds, traffic.local_timezone))
