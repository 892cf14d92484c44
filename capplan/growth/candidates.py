"""Candidate models of the log peak: each fit(y_log, season) -> Fitted."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    import numpy as np

from capplan.growth.values import ETS_MAX_STEPS

@dataclass
class Fitted:
    name: str
    forecast_log: callable
    resid_sd: float
    sd_growth: str  # "flat", "sqrt" (random-walk-like) or "season" (seasonal naive)
    season: int = 1
    params: dict = field(default_factory=dict)

    def sd(self, h: int) -> np.ndarray:
        """The model's own (uncalibrated) log-scale forecast sd, Hyndman & Athanasopoulos,
        Forecasting: Principles and Practice (3rd ed.), table 5.2 for the naive methods."""
        import numpy as np

        k = np.arange(1, h + 1)
        if self.sd_growth == "sqrt":
            return self.resid_sd * np.sqrt(k)
        if self.sd_growth == "season":
            return self.resid_sd * np.sqrt(np.floor((k - 1) / max(self.season, 1)) + 1)
        return np.full(h, self.resid_sd)


def _seasonal_naive(y, season):
    import numpy as np

    m = season if len(y) >= 2 * season and season > 1 else 1
    last = y[-m:]
    errs = y[m:] - y[:-m]
    sd = float(np.std(errs, ddof=0)) if errs.size else 0.0

    def fc(h):
        return np.array([last[(i % m)] for i in range(h)])

    return Fitted("seasonal naive", fc, sd, "season", m, {"season": m})


def _trend_fit(y):
    import numpy as np

    t = np.arange(len(y), dtype=float)
    slope, intercept = np.polyfit(t, y, 1)
    resid = y - (intercept + slope * t)
    return slope, intercept, resid


def _compound(y, season):
    """Log-linear trend: log peak = a + b t, so the peak grows by exp(b) - 1 per step.

    Fitted with the Theil-Sen estimator (scipy.stats.theilslopes: the median of pairwise slopes),
    so one anomalous day cannot tilt the growth rate; the spread is 1.4826 x MAD of the residuals.
    """
    import numpy as np
    from scipy.stats import theilslopes

    n = len(y)
    t = np.arange(n, dtype=float)
    if n >= 3:
        slope, intercept, _, _ = theilslopes(y, t)
    else:
        slope, intercept, _ = _trend_fit(y)
    resid = y - (intercept + slope * t)

    def fc(h):
        return intercept + slope * np.arange(n, n + h)

    sd = float(1.4826 * np.median(np.abs(resid - np.median(resid)))) if n > 2 else 0.0
    return Fitted("compound", fc, sd, "flat", 1, {"log_slope_per_step": float(slope)})


def _linear(y, season):
    """Straight-line trend on the peak itself (not its log)."""
    import numpy as np

    level = np.exp(y)
    slope, intercept, _ = _trend_fit(level)
    n = len(y)
    floor = 1e-6 * float(level.mean())

    def fc(h):
        return np.log(np.maximum(intercept + slope * np.arange(n, n + h), floor))

    fitted = np.log(np.maximum(intercept + slope * np.arange(n), floor))
    sd = float(np.std(y - fitted, ddof=2)) if n > 2 else 0.0
    return Fitted("linear trend", fc, sd, "flat", 1, {"slope_per_step": float(slope)})


def _weekly_index(y, season):
    """Classical additive (log-scale, so multiplicative) seasonal index by position in the cycle."""
    import numpy as np

    if season <= 1 or len(y) < 2 * season:
        return np.zeros(max(season, 1))
    kernel = np.ones(season) / season
    if season % 2 == 0:  # a 2 x m centred moving average for an even season
        kernel = np.convolve(kernel, [0.5, 0.5])
    trend = np.convolve(y, kernel, mode="same")
    half = len(kernel) // 2
    valid = np.zeros(len(y), bool)
    valid[half:len(y) - half] = True
    idx = np.zeros(season)
    for j in range(season):
        sel = valid & (np.arange(len(y)) % season == j)
        idx[j] = np.mean(y[sel] - trend[sel]) if sel.any() else 0.0
    return idx - idx.mean()


def _damped(y, season):
    """Damped additive trend exponential smoothing on the seasonally adjusted log peak
    (the M4 competition's "damped" benchmark, classical decomposition for the season)."""
    import numpy as np
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = y[-ETS_MAX_STEPS:]
    idx = _weekly_index(y, season)
    pos = np.arange(len(y)) % len(idx)
    adj = y - idx[pos]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ExponentialSmoothing(adj, trend="add", damped_trend=True,
                                   initialization_method="heuristic" if len(y) >= 10 else "estimated"
                                   ).fit(use_brute=False)
    n = len(y)
    sd = float(np.std(adj - res.fittedvalues, ddof=0))

    def fc(h):
        return np.asarray(res.forecast(h)) + idx[np.arange(n, n + h) % len(idx)]

    params = {k: float(res.params[k]) for k in ("smoothing_level", "smoothing_trend", "damping_trend")
              if res.params.get(k) is not None}
    return Fitted("damped trend", fc, sd, "sqrt", 1, params)


def _holt_winters(y, season):
    """Holt-Winters: additive trend and additive season on the log peak (multiplicative season)."""
    import numpy as np
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = y[-ETS_MAX_STEPS:]  # the recent year is what the level, trend and season describe
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal="add",
                                   seasonal_periods=season, initialization_method="heuristic"
                                   ).fit(use_brute=False)
    sd = float(np.std(y - res.fittedvalues, ddof=0))

    def fc(h):
        return np.asarray(res.forecast(h))

    params = {k: float(res.params[k]) for k in ("smoothing_level", "smoothing_trend",
                                                  "smoothing_seasonal", "damping_trend")
              if res.params.get(k) is not None}
    return Fitted("holt-winters", fc, sd, "sqrt", season, params)


def _logistic(y, season):
    """Saturating growth: peak = K / (1 + exp(-r (t - t0))), fitted by scipy's curve_fit."""
    import numpy as np
    from scipy.optimize import curve_fit

    level = np.exp(y)
    t = np.arange(len(y), dtype=float)

    def f(t, k, r, t0):
        return k / (1.0 + np.exp(-r * (t - t0)))

    p0 = (level.max() * 1.2, 4.0 / max(len(y), 1), len(y) / 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        popt, _ = curve_fit(f, t, level, p0=p0, maxfev=2000,
                            bounds=([level.max() * 0.5, 0, -10 * len(y)],
                                    [level.max() * 20, 5.0, 10 * len(y)]))
    n = len(y)
    fitted = np.log(np.maximum(f(t, *popt), 1e-12))
    sd = float(np.std(y - fitted, ddof=3)) if n > 3 else 0.0

    def fc(h):
        return np.log(np.maximum(f(np.arange(n, n + h, dtype=float), *popt), 1e-12))

    return Fitted("logistic", fc, sd, "flat", 1,
                  {"capacity_K": float(popt[0]), "rate_per_step": float(popt[1]),
                   "midpoint_step": float(popt[2])})


def _combination(y, season, memo=None):
    """Equal-weight mean (log scale) of seasonal naive, compound growth and Holt-Winters (damped
    trend where the history is too short for a seasonal fit): M4's lesson, combinations of simple
    models beat most single ones."""
    import numpy as np

    third = "holt-winters" if season > 1 and len(y) >= 3 * season else "damped trend"
    memo = memo if memo is not None else {}
    parts = []
    for name in ("seasonal naive", "compound", third):
        if name not in memo:
            memo[name] = CANDIDATES[name](y, season)
        parts.append(memo[name])
    # The compound member works on the seasonally adjusted peak and puts the season back, so the
    # combination does not flatten the seasonal shape by a third.
    idx = _weekly_index(y, season)
    if np.any(idx != 0):
        pos = np.arange(len(y)) % len(idx)
        adj = _compound(y - idx[pos], season)
        n = len(y)
        parts[1] = Fitted("compound", lambda h, adj=adj: adj.forecast_log(h) +
                          idx[np.arange(n, n + h) % len(idx)], adj.resid_sd, "flat", 1,
                          adj.params)
    sd = float(np.sqrt(np.mean([p.resid_sd ** 2 for p in parts])))
    # The seasonal naive member carries the compound member's growth (seasonal naive with drift):
    # each value it repeats from the last season is moved forward by the slope times the steps
    # between its source and its target, so the combination does not dilute growth.
    slope = parts[1].params["log_slope_per_step"]
    m = parts[0].season

    def fc(h):
        k = np.arange(h)
        shift = m - (k % m) + k  # steps from the repeated value to the forecast step
        sn = parts[0].forecast_log(h) + slope * shift
        return np.mean([sn, parts[1].forecast_log(h), parts[2].forecast_log(h)], axis=0)

    return Fitted("combination", fc, sd, "sqrt", 1,
                  {"members": "seasonal naive with drift, compound, " + parts[2].name})


CANDIDATES = {
    "seasonal naive": _seasonal_naive,
    "linear trend": _linear,
    "compound": _compound,
    "damped trend": _damped,
    "holt-winters": _holt_winters,
    "logistic": _logistic,
    "combination": _combination,
}


def _flattens(y) -> bool:
    """True when growth in the second half of the series is under a third of the first half's."""
    import numpy as np

    n = len(y)
    if n < 28:
        return False
    a = np.polyfit(np.arange(n // 2), y[: n // 2], 1)[0]
    b = np.polyfit(np.arange(n - n // 2), y[n // 2:], 1)[0]
    return a > 0 and b < a / 3


def candidate_names(y, season) -> list[str]:
    names = ["seasonal naive", "linear trend", "compound"]
    if len(y) >= 10:
        names += ["damped trend", "combination"]
    if season > 1 and len(y) >= 3 * season:
        names.append("holt-winters")
    if _flattens(y):
        names.append("logistic")
    return names

