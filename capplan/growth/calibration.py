"""Calibration of the window peak on the backtest, and the demand paths built from it.

The quantity calibrated is the one the plan sizes for: the peak over the planning peak's window
(28 days) ending at each step ahead, `window_max` of the forecast against `window_max` of what
happened. From every backtest origin and for each horizon t of the fixed grid, the score is
r = log(actual window peak) - log(forecast window peak). Per horizon:
- the nominal offset is the median score on the spike-free actuals (a median-unbiased window peak,
  spikes left out as the planning peak leaves them out);
- the worst offset is the split-conformal `worst_quantile` of the scores on the actuals with
  recurring spikes in (one-off spikes out): a new origin's window peak stays under it with that
  probability when origins are exchangeable (Lei et al. 2018). Where a horizon has too few scores
  for a conformal quantile (histories under a few weeks), it is a Student-t prediction bound on the
  scores: their own spread from five scores on, fewer the spread of the history's own
  seasonal-naive errors as a floor (`PARAMETRIC`).
A horizon is calibrated only where at least half the origins reach it (the backtest's paths
are held after each origin's own history, as the forecast's is: see forecast._hold_trend_paths).
The offsets are smoothed over horizons (a running median of 5), the worst one made non-decreasing
(uncertainty does not shrink with the horizon), and extrapolated past the calibrated grid: the
nominal offset held, the worst one growing with sqrt(horizon) at the rate it grew over the grid's
second half (a random-walk level error).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

from capplan.growth.values import Calibration

if TYPE_CHECKING:
    pass

SMOOTH_WIDTH = 5
MIN_SCORES = 5
STATED_MARGIN = math.log(1.5)  # the worst offset (log) without any backtest score, at q = 0.95
PARAMETRIC = ("Student-t bound on few backtest scores (under five: the history's seasonal-naive "
              "spread)")


def history_spread(y_log, season: int) -> tuple[float, int]:
    """Robust sd of the one-step seasonal-naive (lag `season`, else 1) log errors, and how many
    there are: the floor of the worst case's spread where the backtest is too short."""
    import numpy as np

    y = np.asarray(y_log, float)
    y = y[np.isfinite(y)]
    m = season if season > 1 and len(y) > season + 2 else 1
    d = y[m:] - y[:-m] if len(y) > m else np.zeros(0)
    if d.size < 2:
        return 0.0, int(d.size)
    sd = 1.4826 * float(np.median(np.abs(d - np.median(d))))
    if sd <= 0:
        sd = float(np.std(d, ddof=1))
    return sd, int(d.size)


def _running_median(x, width: int):
    """Centred running median, the window shrinking at the ends; NaN ignored."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    h = width // 2
    padded = np.r_[np.full(h, np.nan), np.asarray(x, float), np.full(h, np.nan)]
    windows = sliding_window_view(padded, width)
    return _column_stats(windows.T)[0]


def _column_stats(a, q: float | None = None, s=None):
    """Per column of `a` (NaN = no value): the median, the split-conformal q quantile (NaN where
    there are too few values: see backtest.conformal_quantile) and the count. `s`: `a` sorted
    along its columns already (NaN last), to share one sort between quantiles."""
    import numpy as np

    s = np.sort(a, axis=0) if s is None else s
    c = np.isfinite(a).sum(axis=0)
    cols = np.arange(a.shape[1])
    lo, hi = np.maximum((c - 1) // 2, 0), np.maximum(c // 2, 0)
    med = np.where(c > 0, 0.5 * (s[lo, cols] + s[hi, cols]), np.nan)
    if q is None:
        return med, None, c
    rank = np.ceil((c + 1) * q - 1e-9).astype(int)
    ok = (rank <= c) & (c > 0)
    quant = np.where(ok, s[np.clip(rank - 1, 0, a.shape[0] - 1), cols], np.nan)
    return med, quant, c


def raw_offsets(scores_clean, scores_recur, q: float, floor_sd: float, floor_n: int, season: int,
                sorted_clean=None, sorted_recur=None):
    """Per horizon (columns): the median clean score and the worst-quantile bound of the
    recurring-kept scores (conformal where there are enough, else the parametric bound)."""
    import numpy as np

    m, _, _ = _column_stats(scores_clean, None, sorted_clean)
    centre, u, n_scores = _column_stats(scores_recur, q, sorted_recur)
    todo = np.flatnonzero(~np.isfinite(u))
    if todo.size:
        # Too few scores for a conformal quantile: a Student-t bound (vectorised over horizons).
        from scipy.special import stdtrit  # scipy.stats.t.ppf itself, without its ~1 s import

        sub = scores_recur[:, todo]
        cnt = n_scores[todo]
        c0 = np.where(cnt > 0, centre[todo], np.where(np.isfinite(m[todo]), m[todo], 0.0))
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # columns of one score: no sd (NaN)
            sd_scores = np.where(cnt >= 3, np.nanstd(np.where(np.isfinite(sub), sub, np.nan),
                                                     axis=0, ddof=1) if sub.shape[0] > 1 else 0.0, 0.0)
        sd_scores = np.where(np.isfinite(sd_scores), sd_scores, 0.0)
        floor = floor_sd * np.sqrt(np.ceil((todo + 1) / max(season, 1)))
        # Five scores or more: their own spread and degrees of freedom; fewer: the history's
        # seasonal-naive spread as a floor, with its degrees of freedom.
        own = (cnt >= 5) & (sd_scores > 0)
        sd = np.where(own, sd_scores, np.maximum(sd_scores, floor))
        df = np.where(own, np.maximum(cnt - 1, 1), np.maximum(np.maximum(cnt - 1, floor_n - 1), 1))
        bound = c0 + stdtrit(df, q) * sd * np.sqrt(1 + 1 / np.maximum(cnt, 1))
        top = np.where(cnt > 0, np.nanmax(np.where(np.isfinite(sub), sub, -np.inf), axis=0)
                       if sub.shape[0] else -np.inf, -np.inf)
        u[todo] = np.maximum(bound, top)
    return m, u, n_scores, bool(todo.size)


def calibrate(forecast_window, actual_clean, actual_recur, qs, floor_sd: float, floor_n: int,
              season: int, check: bool = True, drift_sd: float | None = None) -> dict:
    """Offsets per horizon from the backtest (arrays origins x horizons, log window peaks), for
    each worst quantile in `qs`: q -> (Calibration, function k -> (nominal offset, worst offset)
    for steps k >= 1). `drift_sd`: the history's own random-walk drift of the window peak a step
    (`level_drift_sd`), for the extrapolation where the grid shows no growth."""
    import numpy as np

    rc = actual_clean - forecast_window
    rw = actual_recur - forecast_window
    sc, sw = np.sort(rc, axis=0), np.sort(rw, axis=0)
    cut = (2 * rw.shape[0]) // 3
    old = (rc[:cut], rw[:cut], np.sort(rc[:cut], axis=0), np.sort(rw[:cut], axis=0))
    out = {}
    for q in qs:
        m, u, n_scores, parametric = raw_offsets(rc, rw, q, floor_sd, floor_n, season, sc, sw)
        oos = out_of_sample(old, rw[cut:], q, floor_sd, floor_n, season) if check else (None, None)
        out[q] = _fit(m, u, n_scores, parametric, q, floor_sd, floor_n, season, oos, drift_sd)
    return out


def _fit(m, u, n_scores, parametric, q, floor_sd, floor_n, season, oos, drift_sd=None):
    """Smooth the raw offsets over horizons and extrapolate them (module docstring)."""
    import numpy as np

    # A horizon is calibrated where at least half the origins reach it (five at least, or all
    # there are): past that, its scores come only from the oldest origins, whose short training
    # says little about the forecast from the end; the offsets are extrapolated there instead.
    most = int(n_scores.max()) if n_scores.size else 0
    need = min(most, max(MIN_SCORES, math.ceil(most / 2)))
    valid = np.flatnonzero(n_scores >= max(need, 1))
    if valid.size == 0:
        # No backtest (under MIN_TRAIN_STEPS + 1 days): nothing to calibrate on, so a stated
        # margin over the whole grid, widening with sqrt(steps) past it.
        horizons = max(len(n_scores), 1)
        m = np.zeros(horizons)
        u = np.full(horizons, _stated_margin(q, floor_sd))
    else:
        horizons = int(valid[-1]) + 1
        m, u = m[:horizons], u[:horizons]
        m = np.where(np.isfinite(m), m, 0.0)
        m = _running_median(m, SMOOTH_WIDTH)
        u = np.maximum.accumulate(_running_median(u, SMOOTH_WIDTH))
    half = np.arange(max(1, horizons // 2), horizons + 1)
    slope = 0.0
    if half.size >= 3:
        slope = float(np.polyfit(np.sqrt(half), u[half - 1], 1)[0])
        slope = slope if slope > 1e-6 else 0.0  # flat, to rounding: no growth measured
    if valid.size == 0:
        slope = float(u[0]) / math.sqrt(horizons)  # u x sqrt(steps / horizons) past the grid
    elif slope == 0.0 and drift_sd is not None:
        # Flat on the grid, and the history long enough to say how far its window peak drifts:
        # a random walk of that spread (day-to-day noise that reverts is not drift).
        from scipy.special import ndtri

        slope = max(float(ndtri(q)), 0.0) * drift_sd
    elif slope == 0.0 and floor_sd > 0:
        # No growth measurable on the grid: a level error of the seasonal-naive spread a season.
        slope = floor_sd / math.sqrt(max(season, 1))

    def at(k):
        k = np.asarray(k, int)
        inside = np.clip(k, 1, horizons) - 1
        mo = m[inside]
        wo = u[inside] + slope * (np.sqrt(np.maximum(k, horizons)) - math.sqrt(horizons))
        return mo, np.maximum(wo, mo)

    cov, over = oos
    method = ("split-conformal quantile of the backtest's window-peak scores, per horizon"
              + ("; " + PARAMETRIC + " where a horizon has under 19 scores" if parametric else ""))
    if valid.size == 0:
        margin = math.expm1(min(float(u[0]), 700.0))
        shown = f"+{margin:,.0%}" if margin < 100 else "more than +10,000%"  # capped at 3x anyway
        method = (f"no backtest was possible, so a stated margin of {shown} over "
                  f"the nominal (or the history's own day-to-day spread, if wider) up to "
                  f"{horizons} steps: a rule, not a measurement; give --worst-growth or more "
                  "history")
    cal = Calibration(method=method, horizons=horizons, origins=int(n_scores[0]) if n_scores.size
                      else 0, nominal_offset=m, worst_offset=u, coverage=cov,
                      median_over_provision=over,
                      extrapolation=(f"past {horizons} steps the worst offset grows by "
                                     f"{slope:.4f} x sqrt(steps) (the nominal offset is held)"))
    return cal, at


def _stated_margin(q, floor_sd):
    """The worst offset without a backtest: STATED_MARGIN (+50% at the 95% quantile, about what
    the benchmark's short series needed: bench/growth/README.md) scaled to q by the normal
    quantile, or the history's own day-to-day spread's normal bound if that is wider. A
    Student-t bound on the two or three differences of a few days' history swung from +4% (four
    days) to past the 3x cap (three days)."""
    from scipy.special import ndtri

    z = float(ndtri(q))
    return max(STATED_MARGIN * z / float(ndtri(0.95)), z * floor_sd * math.sqrt(2))


def out_of_sample(old, new, q, floor_sd, floor_n, season):
    """Calibrated on the older two thirds of the origins (`old`: their clean and recurring-kept
    scores, and both sorted), checked on the newest third (`new`): the share of (origin, horizon)
    window peaks the worst case covered, and the median over-provision."""
    import numpy as np

    rc, rw, sc, sw = old
    if rw.shape[0] < 4 or new.shape[0] < 2:
        return None, None
    _, u_old, _, _ = raw_offsets(rc, rw, q, floor_sd, floor_n, season, sc, sw)
    u_old = np.maximum.accumulate(np.where(np.isfinite(u_old), u_old, -np.inf))
    ok = np.isfinite(new) & np.isfinite(u_old)[None, :]
    if not ok.any():
        return None, None
    covered = (new <= u_old[None, :])[ok]
    over = np.expm1(np.minimum((u_old[None, :] - new)[ok], 700.0))
    return float(covered.mean()), float(np.median(over))


def level_drift_sd(y_log, window: int, short: int, long: int) -> float | None:
    """The random-walk drift of the window peak a step, from the history itself: the variogram
    of the detrended log window peak, V(L) = mean((W[t + L] - W[t])^2), grows by the drift's
    variance a step between a short lag and a long one, whatever the (reverting) noise adds at
    both: sd = sqrt(max(V(long) - V(short), 0) / (long - short)). None when the history is too
    short for the long lag (three times it) or the lags are not apart."""
    import numpy as np

    y = np.asarray(y_log, float)
    if long <= short or len(y) < 3 * long:
        return None
    from capplan.growth.backtest import window_max

    w = window_max(y[None, :], window)[0][window - 1:]
    ok = np.isfinite(w)
    t = np.arange(w.size, dtype=float)
    if ok.sum() < 3 * long:
        return None
    w = w - np.polyval(np.polyfit(t[ok], w[ok], 1), t)

    def variogram(lag):
        d = w[lag:] - w[:-lag]
        d = d[np.isfinite(d)]
        return float(np.mean(d * d)) if d.size else math.nan

    v_short, v_long = variogram(short), variogram(long)
    if not (math.isfinite(v_short) and math.isfinite(v_long)):
        return None
    return math.sqrt(max(v_long - v_short, 0.0) / (long - short))
