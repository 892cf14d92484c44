"""What the history says before any model: its spikes (one-off or recurring), a level shift, and
recurring yearly peaks worth an --event.

- Spikes are the days the load stage flags (`load.find_anomalies`: modified z > 3.5 against the
  29 days around them), so the growth stage and the planning peak agree on what a spike is. A spike
  is *recurring* when it has company of a like size (within a factor of 2 of its height over the
  median around it): at least RECURRING_COUNT - 1 such spikes within RECURRING_WINDOW_DAYS / 2
  days either side (a biweekly burst, game days), or one near the same day of another year (a
  yearly sale). Otherwise it is *one-off*, in time or in size (a 10x burst among 3x ones).
  One-off spikes are out of everything (fits, the worst case's calibration, the caps); recurring
  spikes are out of the fits and the nominal path (the planning peak leaves them out too) but in
  the demand the worst case must cover.
- A level shift is a step the series stays at: the median of the days after it differs from the
  median of both the two and the eight weeks before it by more than LEVEL_SHIFT_Z robust standard
  errors and more than LEVEL_SHIFT_MIN (15%), and the latest week still sits at the new level. A dip
  that recovers (a holiday) is not one; the growth is fitted on the days since a shift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from capplan.growth.values import DAYS_PER_MONTH, ChangePoint

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

RECURRING_COUNT = 3
RECURRING_WINDOW_DAYS = 91
YEARLY_TOLERANCE_DAYS = 7
SIMILAR = 2.0  # spikes are alike when the higher is at most twice the lower (over their median)
LEVEL_SHIFT_Z = 5.0
LEVEL_SHIFT_MIN = math.log(1.15)
LEVEL_SHIFT_MIN_AFTER = 5  # steps after a shift before it can be told from a dip
LEVEL_SHIFT_MIN_BEFORE = 4
LEVEL_SHIFT_LOOKBACK = 365  # shifts in the last year are looked for
# The planning window starts at a shift only once the new level has held three weeks: a holiday
# dip is named a shift while it lasts, and cutting the window there lowers the worst case under
# the recovery (cycle hires, Christmas 2023: -36% named on 2023-12-22, 14 days on, back up by
# February; bench/growth/README.md has the measurements).
SHIFT_WINDOW_MIN_DAYS = 21


@dataclass(frozen=True, slots=True)
class Spike:
    date: str
    value: float
    ratio: float  # the spike over the median of the days around it
    recurring: bool
    why: str


@dataclass(frozen=True, slots=True)
class History:
    """The target series prepared for the models, one value a step (gaps filled in the fitted
    series, left NaN in the observed ones)."""

    dates: pd.DatetimeIndex
    fit: np.ndarray  # log peak, every spike replaced by its neighbourhood median, gaps filled
    clean: np.ndarray  # peak without any spike (what the planning peak sees), NaN in gaps
    recurring: np.ndarray  # peak with recurring spikes kept, one-off ones removed, NaN in gaps
    spikes: tuple[Spike, ...]
    gaps_filled: int
    zeros_dropped: int
    step_days: float


def classify_spikes(peaks: pd.Series, anomalies) -> tuple[Spike, ...]:
    """Each flagged day as a Spike, recurring or one-off (module docstring)."""
    import pandas as pd

    days = [pd.Timestamp(a.date) for a in anomalies]
    if not days:
        return ()
    around = dict(zip(peaks.index, centred_median(peaks.to_numpy(float), 29)))
    ratios = [float(a.value) / max(float(around.get(d, a.value)), 1e-300)
              for a, d in zip(anomalies, days)]
    out = []
    for a, d, r in zip(anomalies, days, ratios):
        alike = [e for e, q in zip(days, ratios) if e != d and max(q, r) <= SIMILAR * min(q, r)]
        near = sum(1 for e in alike if abs((e - d).days) <= RECURRING_WINDOW_DAYS // 2)
        yearly = [e for e in alike if e.year != d.year and
                  min(abs(e.day_of_year - d.day_of_year),
                      365 - abs(e.day_of_year - d.day_of_year)) <= YEARLY_TOLERANCE_DAYS]
        if near >= RECURRING_COUNT - 1:
            why = f"{near} other spike(s) of a like size within {RECURRING_WINDOW_DAYS // 2} days"
        elif yearly:
            why = f"a like spike near this date in {yearly[0].year}"
        else:
            why = "no other spike of a like size near it"
        out.append(Spike(a.date, float(a.value), r, near >= RECURRING_COUNT - 1 or bool(yearly),
                         why))
    return tuple(out)


def prepare(peaks: pd.Series, step_days: float) -> History:
    """Zeros out (outages, not load), spikes classified, gaps of a daily series on the calendar."""
    import numpy as np
    import pandas as pd

    from capplan.load import find_anomalies

    zeros = int((peaks <= 0).sum())
    anomalies = find_anomalies(peaks)  # on the series the load stage saw, zeros included
    spikes = classify_spikes(peaks, anomalies)
    pos = peaks[peaks > 0]
    if step_days == 1.0 and len(pos) > 1:
        full = pd.date_range(pos.index[0], pos.index[-1], freq="D")
        pos = pos.reindex(full)
    raw = pos.to_numpy(float)
    med = centred_median(raw, 29)
    where = {d: i for i, d in enumerate(_day_strings(pos.index))}
    clean, recurring = raw.copy(), raw.copy()
    for s in spikes:
        i = where.get(s.date)
        if i is None:
            continue
        clean[i] = min(raw[i], med[i])
        if not s.recurring:
            recurring[i] = clean[i]
    fit = np.log(_filled(clean))
    return History(pos.index, fit, clean, recurring, spikes,
                   int(np.isnan(raw).sum()), zeros, step_days)


def centred_median(values, window: int):
    """The median of the `window` values centred on each (odd `window`; fewer at the ends, NaN
    skipped, NaN where all are NaN): pandas' `rolling(window, center=True, min_periods=1)
    .median()`, in numpy (a few hundred days; pandas' window machinery costs more to start)."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    half = window // 2
    padded = np.r_[np.full(half, np.nan), np.asarray(values, float), np.full(half, np.nan)]
    return row_nanmedian(sliding_window_view(padded, window))


def row_nanmedian(rows):
    """Each row's median, NaN skipped (NaN for a row of NaN): `np.nanmedian(rows, axis=1)` bit
    for bit, by one sort of the rows (NaN sort last) rather than numpy's masked-array path."""
    import numpy as np

    ordered = np.sort(rows, axis=1)
    k = (~np.isnan(ordered)).sum(axis=1)
    at = np.arange(ordered.shape[0])
    upper = ordered[at, np.minimum(k // 2, ordered.shape[1] - 1)]
    lower = ordered[at, np.maximum(k // 2 - 1, 0)]
    with np.errstate(invalid="ignore", over="ignore"):
        even = (lower + upper) / 2  # numpy's and pandas' mean of the middle two
    return np.where(k == 0, np.nan, np.where(k % 2 == 1, upper, even))


def _filled(values):
    """NaN filled by linear interpolation between neighbours, and by the nearest value at the
    ends: pandas' `interpolate(limit_direction="both")` (which is np.interp, too)."""
    import numpy as np

    ok = ~np.isnan(values)
    if ok.all() or not ok.any():
        return values.copy()
    at = np.arange(values.size)
    out = values.copy()
    out[~ok] = np.interp(at[~ok], at[ok], values[ok])
    return out


def _day_strings(index) -> list[str]:
    """YYYY-MM-DD of each day of a daily index (numpy's formatting; pandas' strftime makes a
    string array, which first imports pyarrow's pandas layer)."""
    import numpy as np

    if index.tz is not None:
        return list(index.strftime("%Y-%m-%d"))
    return np.datetime_as_string(index.to_numpy(), unit="D").tolist()


def step_days_of(peaks) -> float:
    """The series' step in days: 1 for daily (or finer) data, else the median spacing."""
    import numpy as np

    if len(peaks) < 2:
        return 1.0
    step = float(np.median(np.diff(peaks.index.asi8)) / 86400e9)
    return step if step >= 6 else 1.0


def season_of(step_days: float) -> int:
    if step_days == 1.0:
        return 7
    if 6 <= step_days <= 8:
        return 52
    if 27 <= step_days <= 32:
        return 12
    return 1


@dataclass(frozen=True, slots=True)
class LevelShift:
    """The history prepared and its latest level shift: what the growth stage fits and what the
    load stage's planning window starts from (both call `latest_level_shift`, so they agree)."""

    step_days: float
    season: int
    hist: History
    y: np.ndarray  # the log peak to fit, yearly shape out
    yearly: object | None  # steps -> yearly offset, or None
    yearly_explained: float
    at: int  # index (in hist) of the shift's first step; 0 without a shift
    change_point: ChangePoint | None

    @property
    def starts_window(self) -> bool:
        """Whether the planning peak's window starts at the shift: one named and held for
        SHIFT_WINDOW_MIN_DAYS, so that a holiday dip is not taken for a new level."""
        held = (len(self.hist.fit) - self.at) * self.step_days
        return self.change_point is not None and held >= SHIFT_WINDOW_MIN_DAYS


_LAST_SHIFT: tuple | None = None  # (key, LevelShift): the load stage's search, for growth's


def latest_level_shift(peaks: pd.Series) -> LevelShift:
    """Spikes and gaps out, the yearly shape out (two years or more of daily peaks, estimated
    before the first backtest origin so the backtest stays out of sample; a winter is not a
    level shift), then the latest level shift.

    The load stage and the growth stage ask this of the same daily peaks in one plan; the second
    ask gets a copy of the first's answer (keyed by the series' exact bytes, so it is the same
    value the search would give; a fleet worker's plan is a quarter cheaper)."""
    import copy

    global _LAST_SHIFT
    key = _shift_key(peaks)
    last = _LAST_SHIFT
    if key is not None and last is not None and last[0] == key:
        return copy.deepcopy(last[1])
    found = _latest_level_shift(peaks)
    if key is not None:
        _LAST_SHIFT = (key, copy.deepcopy(found))
    return found


def _shift_key(peaks) -> tuple | None:
    import numpy as np

    try:
        index = np.asarray(peaks.index.asi8)
    except AttributeError:  # not a datetime index: no reuse
        return None
    return (str(peaks.index.dtype), index.tobytes(),
            np.asarray(peaks.to_numpy(dtype=float)).tobytes())


def _latest_level_shift(peaks: pd.Series) -> LevelShift:
    import numpy as np

    from capplan.growth.backtest import MAX_ORIGINS

    step_days = step_days_of(peaks)
    season = season_of(step_days)
    hist = prepare(peaks, step_days)
    n = len(hist.fit)
    y, yearly, explained = hist.fit, None, 0.0
    if step_days == 1.0:
        yearly, explained = yearly_profile(hist.dates, y, max(n - MAX_ORIGINS, 0))
        if yearly is not None:
            y = y - yearly(np.arange(n))
    at, change = find_level_shift(y, step_days, season)
    cp = level_shift_point(hist.dates, at, change, y, step_days) if change is not None else None
    return LevelShift(step_days, season, hist, y, yearly, explained, at, cp)


def find_level_shift(y, step_days: float, season_period: int = 1):
    """The latest level shift in a log series (module docstring): (index of its first step,
    the change in log level), or (0, None)."""
    import numpy as np

    n = len(y)
    if n < LEVEL_SHIFT_MIN_BEFORE + LEVEL_SHIFT_MIN_AFTER:
        return 0, None
    m = season_period if season_period > 1 and n >= 3 * season_period else 1
    if m > 1:  # compare like with like: the weekly shape out
        pos = np.arange(n) % m
        idx = np.array([np.median(y[pos == j]) for j in range(m)])
        y = y - (idx - idx.mean())[pos]
    d = np.diff(y)
    noise = 1.4826 * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2) if d.size else 0.0
    if noise <= 0:
        noise = float(np.std(d)) / math.sqrt(2) if d.size else 0.0
    if noise <= 0:
        return 0, None
    short, long_ = max(1, round(14 / step_days)), max(1, round(56 / step_days))
    last = float(np.median(y[-max(1, min(round(7 / step_days), n // 4)):]))
    c = np.arange(max(LEVEL_SHIFT_MIN_BEFORE, n - LEVEL_SHIFT_LOOKBACK),
                  n - LEVEL_SHIFT_MIN_AFTER + 1)
    if c.size == 0:
        return 0, None
    b = _medians(y, c, np.minimum(c + long_, n))  # the level after (up to eight weeks of it)
    a_short = _medians(y, np.maximum(0, c - short), c)
    a_long = _medians(y, np.maximum(0, c - long_), c)
    same_side = np.sign(b - a_short) == np.sign(b - a_long)
    jump = np.where(same_side, np.minimum(np.abs(b - a_short), np.abs(b - a_long)), 0.0)
    n_after = np.minimum(c + long_, n) - c
    se = 1.253 * noise * np.sqrt(1 / n_after + 1 / np.minimum(c, short))
    z = jump / se
    # The step persists: the last week is nearer the new level than the old one.
    persists = np.abs(last - b) < 0.5 * np.abs(b - a_short)
    ok = (jump >= LEVEL_SHIFT_MIN) & (z >= LEVEL_SHIFT_Z) & persists
    if not ok.any():
        return 0, None
    # Where in the region that passes is the step? Where the means of the week either side
    # differ most (a median is flat within a week of a step; a mean peaks at it).
    wk = max(1, round(7 / step_days))
    cs = np.concatenate([[0.0], np.cumsum(y)])
    after = (cs[np.minimum(c + wk, n)] - cs[c]) / (np.minimum(c + wk, n) - c)
    before = (cs[c] - cs[np.maximum(c - wk, 0)]) / (c - np.maximum(c - wk, 0))
    i = int(np.argmax(np.where(ok, np.abs(after - before), -np.inf)))
    return int(c[i]), float(b[i] - a_short[i])


def _medians(y, starts, ends):
    """Median of y[s:e] for each (s, e), every e - s >= 1."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    width = int((ends - starts).max())
    padded = np.r_[np.asarray(y, float), np.full(width, np.nan)]
    win = sliding_window_view(padded, width)[starts]
    win = np.where(np.arange(width)[None, :] < (ends - starts)[:, None], win, np.nan)
    return row_nanmedian(win)


def level_shift_point(dates, c: int, change: float, y, step_days: float) -> ChangePoint:
    import numpy as np

    per_month = DAYS_PER_MONTH / step_days

    def slope(seg):
        return float(np.polyfit(np.arange(len(seg)), seg, 1)[0]) if len(seg) >= 3 else 0.0

    def monthly(x):
        return math.expm1(max(min(x * per_month, 20.0), -20.0))

    return ChangePoint(str(dates[c].date()), "level", monthly(slope(y[:c])), monthly(slope(y[c:])),
                       level_change=math.expm1(change))


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


YEARLY_MIN_DAYS = 730
YEARLY_MIN_SHARE = 0.2  # the yearly profile must explain a fifth of the detrended variance


def yearly_profile(dates, y_log, until: int):
    """The yearly shape of a daily log series (two years or more of it before step `until`):
    per day of the year, the mean deviation from a centred 365-day mean (spikes are out already), smoothed over a
    29-day circular window. Returns (function steps -> offset with step 0 = dates[0], the share
    of the detrended variance it explains); the function is None when the history is too short
    or the shape explains under YEARLY_MIN_SHARE."""
    import numpy as np
    import pandas as pd

    y = np.asarray(y_log[:until], float)
    if len(y) < YEARLY_MIN_DAYS:
        return None, None
    trend = pd.Series(y).rolling(365, center=True, min_periods=300).mean().to_numpy()
    dev = y - trend
    doy = np.asarray(pd.DatetimeIndex(dates[:until]).day_of_year) - 1
    ok = np.isfinite(dev)
    cnt = np.bincount(doy[ok], minlength=366)
    prof = np.bincount(doy[ok], weights=dev[ok], minlength=366) / np.maximum(cnt, 1)
    kernel = np.ones(29) / 29
    prof = np.convolve(np.r_[prof[-14:], prof, prof[:14]], kernel, mode="valid")
    prof -= prof.mean()
    explained = 1 - np.var(dev[ok] - prof[doy[ok]]) / max(np.var(dev[ok]), 1e-300)
    if explained < YEARLY_MIN_SHARE:
        return None, float(explained)
    start = pd.Timestamp(dates[0])

    def at(steps):
        steps = np.asarray(steps)
        days = pd.DatetimeIndex(start + pd.to_timedelta(steps.ravel(), unit="D"))
        return prof[np.asarray(days.day_of_year) - 1].reshape(steps.shape)

    return at, float(explained)
