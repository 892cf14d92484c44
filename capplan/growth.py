"""Growth of the peak: candidate models, chosen by rolling-origin backtest, with a calibrated worst case.

Pure; no I/O. The quantity forecast is the daily peak (weekly peaks for horizons past three months,
where daily noise only widens intervals), never the mean. Every candidate works on the log of the
peak, so no forecast is negative and growth compounds.

The shape of a forecast:
- each candidate gives a central log path mu(k) for steps k = 1..h; the backtest scores them
  (MASE, interval coverage) and picks one (`_choose`);
- sample paths (a fixed seed) add to the chosen path deviations drawn from the history (its
  day-to-day shape, noise and spikes) and a level drift whose variance grows with the horizon as the
  backtest errors did (`_simulate`); the spread is widened until it covers the backtest's horizon
  peaks, and the widening is reported;
- a month's peak is the max of a path over that month: the nominal plan takes the median of those
  maxima over paths, the worst case their `worst_quantile` quantile. This is the quantity a fleet
  is sized for, the horizon peak.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from capplan.errors import CapplanError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DAYS_PER_MONTH = 365.25 / 12  # 30.4375: a plan month; month m ends m x 30.4375 days after the start
GRID_PER_MONTH = 30  # forecast grid points per month (about one a day)
N_PATHS = 400
SEED = 20261124
MAX_ORIGINS = 6
MAX_HISTORY_STEPS = 730
ETS_MAX_STEPS = 365  # exponential smoothing sees the last year  # two years of daily peaks (a longer history of weekly ones)
MIN_TRAIN_STEPS = 7
CAP_MULTIPLE = 10.0  # no forecast above 10x the history's highest peak
TIE_TOLERANCE = 0.02  # MASE within 2% counts as a tie; the simpler model wins a tie
SIMPLICITY = {"seasonal naive": 0, "compound": 1, "linear trend": 2, "damped trend": 3,
              "holt-winters": 4, "logistic": 5, "combination": 6}


# --------------------------------------------------------------------------------------------
# Value objects


@dataclass(frozen=True, slots=True)
class BacktestScore:
    model: str
    mase: float | None
    coverage_80: float | None
    coverage_95: float | None
    origins: int
    horizon_steps: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class ChangePoint:
    date: str
    kind: str  # "level" or "slope"
    before_growth_monthly: float
    after_growth_monthly: float


@dataclass(frozen=True, slots=True)
class PeakForecast:
    """The forecast of the peak, and how it was made.

    The contract with the plan is the two demand paths on `grid_days` (30 points a plan month;
    month m ends exactly at m x 30.4375 days after `start`):
    - `nominal` and `worst_case`: for each grid day, the peak the fleet must carry on that day in
      that scenario. `worst_case >= nominal` everywhere; both finite and positive. The plan reads
      everything from these two arrays (a month's peak is the path's maximum within the month, the
      runway the first day the path needs more than today's fleet); charts and JSON draw them.
    - Month k's values do not depend on how many months were asked for.
    `nominal_paths` / `worst_paths` (paths x grid) are the simulated paths the demand paths were
    reduced from (one row each for a stated growth rate).
    """

    start: pd.Timestamp  # the last observation (or today for a what-if plan)
    grid_days: np.ndarray  # days after start of each grid point (month m ends at m x 30.4375)
    nominal: np.ndarray  # the nominal demand path on grid_days
    worst_case: np.ndarray  # the worst-case demand path on grid_days (>= nominal)
    nominal_paths: np.ndarray
    worst_paths: np.ndarray
    worst_quantile: float
    model: str
    monthly_growth: float
    worst_monthly_growth: float | None
    target: str  # "daily peaks", "weekly peaks", or the native step
    history_used: str
    step_days: float
    path: pd.DataFrame  # date, nominal, worst_case at the target's own step (for charts, JSON)
    backtest: tuple[BacktestScore, ...] = ()
    chosen_because: str = ""
    change_point: ChangePoint | None = None
    recurring_peaks: tuple[str, ...] = ()
    interval_widening: float | None = None
    step_paths: np.ndarray | None = None  # (paths x steps) at the target's own step, nominal
    worst_step_paths: np.ndarray | None = None  # the same for the worst case
    capped: bool = False
    assumptions: tuple[str, ...] = ()
    parameters: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Candidate models. Each: fit(y_log, season) -> Fitted with forecast(h) -> log path (length h).


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


# --------------------------------------------------------------------------------------------
# Scoring: MASE and interval coverage


def mase(actual, forecast, train, season) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006): MAE of the forecast divided by the
    in-sample MAE of the seasonal naive method (lag `season`, or 1 when the history is short)."""
    import numpy as np

    actual, forecast, train = (np.asarray(a, float) for a in (actual, forecast, train))
    m = season if len(train) > season else 1
    scale = np.mean(np.abs(train[m:] - train[:-m])) if len(train) > m else 0.0
    mae = np.mean(np.abs(actual - forecast))
    if scale == 0:
        return 0.0 if mae == 0 else math.inf
    return float(mae / scale)


def coverage(actual, lower, upper) -> float:
    """Share of actual values inside [lower, upper]."""
    import numpy as np

    actual = np.asarray(actual, float)
    return float(np.mean((actual >= np.asarray(lower)) & (actual <= np.asarray(upper))))


def _origins(n: int, h: int, season: int) -> list[int]:
    """Rolling forecast origins (training lengths), latest first, spaced half a horizon apart."""
    min_train = max(MIN_TRAIN_STEPS, season)
    spacing = max(1, h // 2)
    out = []
    o = n - h
    while o >= min_train and len(out) < MAX_ORIGINS:
        out.append(o)
        o -= spacing
    # Under two weeks of history, or fewer than three origins, a backtest is noise, not evidence.
    return out if n >= 14 and len(out) >= 3 else []


@dataclass
class _Backtest:
    score: BacktestScore
    errors: np.ndarray | None  # origins x h log errors (actual - forecast)
    forecasts: np.ndarray | None = None  # origins x h log forecasts


def backtest(y_log, names, season: int, h: int) -> dict:
    """Score candidates at rolling origins: MASE (on the peak, not its log) and the coverage of
    each one's own 80% and 95% intervals. Returns name -> _Backtest. Fits are shared within an
    origin (the combination reuses its members)."""
    import numpy as np

    origins = _origins(len(y_log), h, season)
    if not origins:
        return {n: _Backtest(BacktestScore(n, None, None, None, 0, h, "too little history"), None)
                for n in names}
    acc = {n: {"mase": [], "c80": [], "c95": [], "err": [], "fc": [], "fail": None} for n in names}
    for o in origins:
        train, test = y_log[:o], y_log[o:o + h]
        memo: dict = {}
        for name in names:
            a = acc[name]
            if a["fail"]:
                continue
            try:
                if name not in memo:
                    memo[name] = (_combination(train, season, memo) if name == "combination"
                                  else CANDIDATES[name](train, season))
                fitted = memo[name]
                mu = fitted.forecast_log(len(test))
            except Exception:  # noqa: BLE001 - a candidate that cannot fit here scores nothing
                a["fail"] = "failed to fit"
                continue
            if not np.all(np.isfinite(mu)):
                a["fail"] = "non-finite forecast"
                continue
            sd = fitted.sd(len(test))
            a["mase"].append(mase(np.exp(test), np.exp(mu), np.exp(train), season))
            a["c80"].append(coverage(test, mu - 1.2816 * sd, mu + 1.2816 * sd))
            a["c95"].append(coverage(test, mu - 1.96 * sd, mu + 1.96 * sd))
            a["err"].append(test - mu)
            a["fc"].append(mu)
    out = {}
    for name, a in acc.items():
        if a["fail"]:
            out[name] = _Backtest(BacktestScore(name, None, None, None, 0, h, a["fail"]), None)
        else:
            out[name] = _Backtest(BacktestScore(name, float(np.mean(a["mase"])),
                                                float(np.mean(a["c80"])), float(np.mean(a["c95"])),
                                                len(origins), h),
                                  np.array(a["err"]), np.array(a["fc"]))
    return out


COMBINATION_MARGIN = 0.10  # a single model must beat the combination's MASE by 10% to replace it


def _choose(results: dict, h_bt: int) -> tuple[str, str]:
    """The backtest's choice. The combination is the default: a single model replaces it only when
    its MASE is lower by more than COMBINATION_MARGIN (a handful of origins on a noisy series is
    weak evidence, and on the eight shared series the combination had the best mean rank of every
    candidate). Among single models, the lowest MASE wins and ties within TIE_TOLERANCE go to the
    simpler one."""
    scored = [r.score for r in results.values() if r.score.mase is not None
              and math.isfinite(r.score.mase)]
    singles = [s for s in scored if s.model != "combination"]
    combo = next((s for s in scored if s.model == "combination"), None)
    best = min(s.mase for s in singles)
    ties = [s for s in singles if s.mase <= best * (1 + TIE_TOLERANCE)]
    pick = min(ties, key=lambda s: SIMPLICITY[s.model])
    if combo is not None and pick.mase >= combo.mase * (1 - COMBINATION_MARGIN):
        pick, why = combo, (f"the combination's backtest MASE {combo.mase:.3f} is not beaten by "
                            f"more than {COMBINATION_MARGIN:.0%} by a single model (best single: "
                            f"{min(ties, key=lambda s: SIMPLICITY[s.model]).model} "
                            f"{best:.3f})")
    else:
        why = f"lowest backtest MASE ({pick.mase:.3f})"
        if len(ties) > 1:
            why += f"; tied within {TIE_TOLERANCE:.0%} with " + ", ".join(
                s.model for s in ties if s is not pick) + ", the simpler wins"
        if combo is not None:
            why += f", more than {COMBINATION_MARGIN:.0%} below the combination's {combo.mase:.3f}"
    why += f" over {pick.origins} origins, horizon {h_bt} steps"
    base = next((s for s in scored if s.model == "seasonal naive"), None)
    if base is not None and pick.model != "seasonal naive" and pick.mase >= base.mase:
        why += "; it does not beat seasonal naive"
    return pick.model, why


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


# --------------------------------------------------------------------------------------------
# Forecasting


def month_grid(months: int):
    """Grid days for `months` plan months: GRID_PER_MONTH points a month, month m ending exactly
    at m x 30.4375 days so month-end values are exact."""
    import numpy as np

    return np.arange(1, months * GRID_PER_MONTH + 1) * (DAYS_PER_MONTH / GRID_PER_MONTH)


def fixed_growth(start, planning_peak: float, months: int, monthly_growth: float,
                 worst_growth: float | None = None, stated: bool = True) -> PeakForecast:
    """A stated compound growth rate from the planning peak: peak(t) = P0 (1 + g)^(t / month)."""
    import numpy as np
    import pandas as pd

    if monthly_growth <= -1:
        raise CapplanError(f"--growth {monthly_growth:.0%}/month would make the peak negative")
    if worst_growth is not None and worst_growth < monthly_growth:
        raise CapplanError(f"--worst-growth {worst_growth:.1%}/month is below --growth "
                           f"{monthly_growth:.1%}/month: the worst case must grow at least as fast")
    grid = month_grid(months)
    wg = monthly_growth if worst_growth is None else worst_growth
    nominal = planning_peak * (1 + monthly_growth) ** (grid / DAYS_PER_MONTH)
    worst = planning_peak * (1 + wg) ** (grid / DAYS_PER_MONTH)
    days = np.arange(0, int(math.ceil(grid[-1])) + 1)
    path = pd.DataFrame({
        "date": [(start + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d") for d in days],
        "nominal": planning_peak * (1 + monthly_growth) ** (days / DAYS_PER_MONTH),
        "worst_case": planning_peak * (1 + wg) ** (days / DAYS_PER_MONTH)})
    assumptions = [f"growth fixed at {monthly_growth:.1%} a month (compound) from the planning "
                   f"peak of {planning_peak:,.6g} req/s"]
    if worst_growth is None:
        assumptions.append("no --worst-growth given: the worst case equals the nominal case")
    else:
        assumptions.append(f"worst case grows {worst_growth:.1%} a month (--worst-growth)")
    return PeakForecast(start=start, grid_days=grid, nominal=nominal, worst_case=np.maximum(worst, nominal),
                        nominal_paths=nominal[None, :],
                        worst_paths=worst[None, :], worst_quantile=1.0, model="fixed growth",
                        monthly_growth=monthly_growth, worst_monthly_growth=wg,
                        target="stated rate", history_used="none (growth given)",
                        step_days=1.0, path=path,
                        chosen_because="growth given with --growth" if stated else
                        "no --growth given: the peak is held flat",
                        assumptions=tuple(assumptions))


def _target_series(peaks: pd.Series, months: int) -> tuple[pd.Series, str, float, int]:
    """Daily peaks (weekly peaks past three months with 16+ weeks of history), and the season."""
    import numpy as np

    step = float(np.median(np.diff(peaks.index.asi8)) / 86400e9) if len(peaks) > 1 else 1.0
    if step >= 6:  # weekly, monthly or coarser data: forecast at the native step
        season = 52 if 6 <= step <= 8 else (12 if 27 <= step <= 32 else 1)
        return peaks, f"peaks at the data's own step ({step:.3g} days)", step, season
    if months > 3 and len(peaks) >= 16 * 7:
        weekly = peaks.resample("W-SUN").max().dropna()
        # Drop a last, incomplete week: its max understates the peak.
        last_full = peaks.index[-1].day_of_week == 6
        if not last_full:
            weekly = weekly.iloc[:-1]
        season = 52 if len(weekly) >= 104 else 1
        return weekly, "weekly peaks (horizon past three months)", 7.0, season
    return peaks, "daily peaks", 1.0, 7


def forecast_peaks(daily_peaks: pd.Series, months: int, *, worst_quantile: float = 0.95,
                   worst_growth: float | None = None, model: str | None = None,
                   seed: int = SEED) -> PeakForecast:
    """Fit the candidates, choose one by backtest, and simulate calibrated peak paths.

    `daily_peaks`: the daily peak series (date index). `model`: force one candidate by name.
    `worst_growth`: a stated monthly rate for the worst case instead of the calibrated bound.
    """
    import numpy as np
    import pandas as pd

    if months < 1:
        raise CapplanError(f"--months {months}: the horizon must be at least one month")
    if not 0.5 <= worst_quantile < 1:
        raise CapplanError(f"--worst-quantile {worst_quantile:g} must be in [0.5, 1): 0.95 means "
                           "the worst case is the 95th percentile of the horizon peak")
    peaks = daily_peaks.astype(float)
    notes = []
    zeros = int((peaks <= 0).sum())
    if zeros == len(peaks):
        raise CapplanError("every daily peak is zero: there is no load to plan for; check the "
                           "value column (--value-column)")
    if zeros:
        notes.append(f"{zeros} zero daily peak(s) treated as missing (outages or gaps in the "
                     "export, not load)")
        peaks = peaks[peaks > 0]
    start = daily_peaks.index[-1]
    target, target_name, step_days, season = _target_series(peaks, months)
    y = np.log(target.to_numpy(float))
    hist_max = float(np.exp(y.max()))
    h_steps = max(1, int(math.ceil(months * DAYS_PER_MONTH / step_days)))

    # One-off spikes (modified z > 3.5 against their month, as the load stage flags them) are
    # replaced by their neighbourhood's median before fitting: flagged, not planned for.
    from capplan.load import find_anomalies

    y_raw = y.copy()
    spikes = find_anomalies(pd.Series(np.exp(y), index=target.index))
    if spikes:
        med = pd.Series(y).rolling(29, center=True, min_periods=1).median().to_numpy()
        pos = {str(d.date()): i for i, d in enumerate(target.index)}
        for a_ in spikes:
            i = pos[a_.date]
            y[i] = min(y[i], med[i])
        notes.append(f"{len(spikes)} one-off spike(s) replaced by their month's median before "
                     f"fitting ({', '.join(a_.date for a_ in spikes[:5])}"
                     f"{', ...' if len(spikes) > 5 else ''})")
    cp_index, cp = find_change_point(y, step_days)
    if cp is not None:
        cp = ChangePoint(str(target.index[cp_index].date()), cp.kind, cp.before_growth_monthly,
                         cp.after_growth_monthly)
        y = y[cp_index:]
        y_raw = y_raw[cp_index:]
        target = target.iloc[cp_index:]
        notes.append(f"a {cp.kind} break on {cp.date}: growth fitted on the {len(y)} "
                     f"{'days' if step_days == 1 else 'steps'} since (growth before "
                     f"{cp.before_growth_monthly:+.1%}/month, after {cp.after_growth_monthly:+.1%})")
    if len(y) > MAX_HISTORY_STEPS:
        y = y[-MAX_HISTORY_STEPS:]
        y_raw = y_raw[-MAX_HISTORY_STEPS:]
        target = target.iloc[-MAX_HISTORY_STEPS:]
        notes.append(f"growth fitted on the last {MAX_HISTORY_STEPS} steps of the history: the "
                     "current regime, not the distant past")
    unit = "days" if step_days == 1 else ("weeks" if step_days == 7 else "steps")
    history_used = f"{target.index[0].date()} to {target.index[-1].date()} ({len(y)} {unit})"

    results = {}
    if len(y) < 2 or np.ptp(y) == 0:
        fitted = Fitted("flat", lambda h: np.full(h, y[-1]), 0.0, "flat")
        chosen, scores, because = fitted, (), (
            "too little history to fit a trend" if len(y) < 2 else
            "the peak is constant over the history: no growth, no spread")
    else:
        h_bt = min(h_steps, max(1, len(y) // 4))
        names = candidate_names(y, season)
        if model is not None and model not in CANDIDATES:
            raise CapplanError(f"--model {model!r} is not a candidate: choose from "
                               f"{', '.join(CANDIDATES)}")
        results = backtest(y, names, season, h_bt)
        scores = tuple(r.score for r in results.values())
        scored = [r for r in results.values() if r.score.mase is not None
                  and math.isfinite(r.score.mase)]
        if model is not None:
            chosen_name = model
            because = f"forced with --model {model}"
        elif not scored:
            chosen_name = "compound"
            because = (f"too little history for a backtest ({len(y)} {target_name}): compound "
                       "growth with a wide interval")
        else:
            chosen_name, because = _choose(results, h_bt)
        try:
            chosen = CANDIDATES[chosen_name](y, season)
        except Exception as exc:  # noqa: BLE001 - only reachable with a forced --model
            raise CapplanError(f"--model {chosen_name}: cannot be fitted to this history "
                               f"({len(y)} {target_name}): leave --model out to let the "
                               "backtest choose") from exc

    mu = chosen.forecast_log(h_steps)
    held = _hold_trend(mu, len(y), season)
    if held is not None:
        mu = held
        notes.append(f"the trend is extrapolated no further than the history it was fitted on "
                     f"({len(y)} steps); after that the level is held (with its season)")
    bt = results.get(chosen.name) if results else None
    # The nominal case draws deviations from the history with one-off spikes replaced (flagged,
    # not planned for); the worst case from the raw history, spikes included.
    paths, a, b, widening, spread = _simulate(y, mu, bt, season, worst_quantile, seed, step_days)
    raw_paths, *_ = _simulate(y_raw, mu, bt, season, worst_quantile, seed, step_days)
    cap = CAP_MULTIPLE * hist_max
    capped = bool((raw_paths > cap).any())
    paths = np.minimum(paths, cap)
    raw_paths = np.maximum(np.minimum(raw_paths, cap), paths)
    # Month-aligned grid: each grid point reads the forecast step that contains it.
    grid = month_grid(months)
    step_idx = np.clip(np.ceil(grid / step_days).astype(int) - 1, 0, h_steps - 1)
    grid_paths = paths[:, step_idx]

    nominal_step = np.minimum(np.exp(mu), cap)
    upper_step = np.quantile(raw_paths, worst_quantile, axis=0)
    dates = [target.index[-1] + pd.Timedelta(days=step_days * i) for i in range(1, h_steps + 1)]
    path = pd.DataFrame({"date": [d.strftime("%Y-%m-%d") for d in dates],
                         "nominal": nominal_step, "worst_case": upper_step})
    months_per_step = step_days / DAYS_PER_MONTH
    growth = _monthly_growth(mu, months_per_step)
    worst_paths = raw_paths[:, step_idx]
    if worst_growth is not None:
        # A stated worst-case rate from the same starting level as the nominal forecast.
        p0 = float(np.median(np.max(grid_paths[:, :GRID_PER_MONTH], axis=1))) / \
            (1 + max(growth, -0.99)) ** 1
        worst_paths = (p0 * (1 + worst_growth) ** (grid / DAYS_PER_MONTH))[None, :]
    assumptions = [
        f"model: {chosen.name} on {target_name}, {history_used}",
        f"chosen because: {because}",
        f"nominal growth {growth:+.1%} a month",
        f"worst case: the {worst_quantile:.0%} quantile of each month's peak over {N_PATHS} "
        f"simulated paths (seed {seed}); spread {spread}"
        + (f"; widened {widening:.2f}x to cover the backtest's horizon peaks" if widening and
           widening > 1 else ""),
    ] + notes
    if worst_growth is not None:
        assumptions.append(f"worst case grows {worst_growth:.1%} a month (--worst-growth)")
    if capped:
        assumptions.append(f"some simulated peaks were capped at {CAP_MULTIPLE:g}x the highest "
                           f"peak in the history ({cap:,.6g})")
    params = dict(chosen.params)
    params.update({"deviation_var_log": float(a), "drift_var_log_per_step": float(b)})
    return PeakForecast(
        start=start, grid_days=grid, nominal=demand_path(grid_paths, 0.5),
        worst_case=np.maximum(demand_path(worst_paths, worst_quantile), demand_path(grid_paths, 0.5)),
        nominal_paths=grid_paths, worst_paths=worst_paths,
        worst_quantile=worst_quantile, model=chosen.name, monthly_growth=growth,
        worst_monthly_growth=worst_growth, target=target_name, history_used=history_used,
        step_days=step_days, path=path, backtest=scores, chosen_because=because,
        change_point=cp, recurring_peaks=find_recurring_peaks(peaks) if step_days < 6 else (),
        interval_widening=widening, step_paths=paths, worst_step_paths=raw_paths, capped=capped,
        assumptions=tuple(assumptions), parameters=params)


def demand_path(paths, q: float):
    """A scenario's demand path from simulated paths: at each grid point, the q quantile over
    paths of the running one-month maximum (the peak a fleet sized that day must carry)."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    w = GRID_PER_MONTH
    padded = np.concatenate([np.repeat(paths[:, :1], w - 1, axis=1), paths], axis=1)
    rolled = sliding_window_view(padded, w, axis=1).max(axis=2)
    return np.quantile(rolled, q, axis=0) if rolled.shape[0] > 1 else rolled[0]


def _hold_trend(mu, history_steps: int, season: int):
    """Hold the forecast level after `history_steps` steps: a trend is not extrapolated further
    ahead than the history it was fitted on (Armstrong, Principles of Forecasting, 2001). The last
    season of the path repeats, so a weekly or yearly shape survives. None when nothing is held."""
    import numpy as np

    h = len(mu)
    if h <= history_steps:
        return None
    out = np.array(mu, dtype=float)
    m = season if 1 < season <= history_steps else 1
    for k in range(history_steps, h):
        out[k] = out[k - m]
    return out


def _smooth(x, width: int):
    """Centred moving average over `width` steps, the window shrinking at the ends."""
    import numpy as np

    if width <= 1 or len(x) < 2:
        return np.asarray(x, float)
    kernel = np.ones(width)
    num = np.convolve(x, kernel, mode="same")
    den = np.convolve(np.ones(len(x)), kernel, mode="same")
    return num / den


def _deviations(y, season: int):
    """Recent day-to-day deviations of the log peak from its centred rolling median: the weekly
    shape, the noise and the spikes a month's peak is made of (the last 16 seasons at most)."""
    import numpy as np
    import pandas as pd

    width = season if season > 1 else 5
    recent = y[-min(len(y), 16 * max(width, 7)):]
    if len(recent) < 3:
        return np.zeros(1)
    med = pd.Series(recent).rolling(width, center=True, min_periods=1).median().to_numpy()
    return recent - med


def _simulate(y, mu, backtest: _Backtest | None, season: int, quantile: float, seed: int,
              step_days: float = 1.0):
    """Sample paths of the log peak: level + deviation + drift.

    - level: the chosen model's central path, smoothed over one season (its weekly shape is
      carried by the deviations instead, so it is not counted twice);
    - deviation: drawn with replacement from the recent deviations of the history from its
      rolling median (`_deviations`): skewed and spiky as real peaks are;
    - drift: sqrt(b k) w, w standard normal shared along a path: the level error that grows with
      the horizon, b fitted to the robust variance of the backtest errors by horizon.
    Then the spread is widened (deviation and drift together, by up to 3x) until the worst
    quantile of the horizon peak covers the actual horizon peak at the backtest origins at least
    as often as it should, and the widening is reported.
    """
    import numpy as np

    h = len(mu)
    k = np.arange(1, h + 1, dtype=float)
    rng = np.random.default_rng(seed)
    # Only a short (weekly) season moves into the deviations; a yearly one stays in the level,
    # where its summer and winter keep their places on the calendar.
    season = season if season <= 7 else 1
    dev = _deviations(y, season)
    dev = dev - np.median(dev)
    width = season if season > 1 and h >= season else 1
    level = _smooth(mu, width)
    idx = rng.integers(0, dev.size, size=(N_PATHS, h))
    w = rng.standard_normal((N_PATHS, 1))
    widening = None
    if backtest is not None and backtest.errors is not None and backtest.errors.size >= 6:
        e = backtest.errors
        centre = np.median(e, axis=0)
        ks = np.arange(1, e.shape[1] + 1, dtype=float)
        var_k = (1.4826 * np.median(np.abs(e - centre), axis=0)) ** 2
        # Only the growth of the error variance with the horizon is drift; its level at k = 1
        # is day-to-day deviation, drawn from the history instead.
        b = max(float(np.polyfit(ks, var_k, 1)[0]), 0.0) if ks.size >= 2 else 0.0
        spread = "deviations from the history, drift from the backtest errors"
        # Calibrate on the backtest origins: widen until the worst quantile covers often enough.
        widening = 1.0
        for f in (1.0, 1.25, 1.5, 2.0, 2.5, 3.0):
            covered = []
            for o in range(e.shape[0]):
                mo = backtest.forecasts[o]
                lv = _smooth(mo, min(width, mo.size))
                ho = mo.size
                sims = lv[None, :] + f * dev[idx[:, :ho]] + \
                    f * np.sqrt(b * k[:ho])[None, :] * w
                covered.append(np.quantile(sims.max(axis=1), quantile) >=
                               np.max(mo + e[o]) - 1e-12)
            widening = f
            if np.mean(covered) >= min(quantile, 1 - 0.5 / e.shape[0]):
                break
        scale = widening
    else:
        # No backtest: a wide interval, deviations doubled and a drift of one deviation variance
        # a week.
        scale = 2.0
        if dev.size > 1 and np.var(dev) > 0:
            b = float(np.var(dev)) / 7
            spread = "no backtest possible: deviations doubled, plus drift (wide)"
        elif len(y) >= 2 and np.ptp(y) == 0:
            b, scale = 0.0, 0.0
            spread = ("none: the history is constant, so the worst case equals the nominal "
                      "(check the export: a flat peak is often a capped metric)")
        else:
            # Nothing to measure a spread on: a stated level drift of 10% a month (one standard
            # deviation, doubled below) rather than a number the data cannot support.
            b = 0.1 ** 2 / (DAYS_PER_MONTH / step_days)
            spread = ("too little history to measure a spread: an assumed level drift of 10% a "
                      "month (1 sd), doubled")
    log_paths = level[None, :] + scale * dev[idx] + scale * np.sqrt(b * k)[None, :] * w
    return np.exp(log_paths), float(np.var(dev) * scale ** 2), b * scale ** 2, widening, spread


def window_peak(forecast: PeakForecast, days: float) -> tuple[float, float]:
    """(nominal, worst) peak over the first `days` of the forecast, at the target's own step:
    the median and the worst quantile over paths of each path's max over the window."""
    import numpy as np

    paths = forecast.step_paths
    if paths is None:  # a stated growth rate: read the deterministic grid
        sel = forecast.grid_days <= days + 1e-9
        return float(forecast.nominal_paths[0, sel].max()), float(forecast.worst_paths[0, sel].max())
    steps = max(1, int(math.floor(days / forecast.step_days + 1e-9)))
    m = paths[:, :steps].max(axis=1)
    worst = forecast.worst_step_paths if forecast.worst_step_paths is not None else paths
    return float(np.median(m)), float(np.quantile(worst[:, :steps].max(axis=1),
                                                    forecast.worst_quantile))


def _monthly_growth(mu, months_per_step: float) -> float:
    """Compound monthly growth of a log path: its least-squares slope, per month."""
    import numpy as np

    if len(mu) < 2:
        return 0.0
    slope = np.polyfit(np.arange(len(mu), dtype=float), mu, 1)[0]
    return float(math.expm1(slope / months_per_step))


def parse_growth(text: str, flag: str = "--growth") -> float:
    """'10%/month', '10%', '0.1', '120%/year' -> monthly compound rate (0.1 = 10% a month)."""
    s = str(text).strip().lower().replace(" ", "")
    per = "month"
    for suffix, unit in (("/month", "month"), ("/mo", "month"), ("/year", "year"), ("/yr", "year"),
                         ("/y", "year"), ("/week", "week"), ("/wk", "week"), ("/m", "month")):
        if s.endswith(suffix):
            s, per = s[: -len(suffix)], unit
            break
    try:
        rate = float(s[:-1]) / 100 if s.endswith("%") else float(s)
    except ValueError as exc:
        raise CapplanError(f"{flag} {text!r} is not understood: write 10%/month, 25%/year or "
                           "0.1 (a fraction per month)") from exc
    if rate <= -1:
        raise CapplanError(f"{flag} {text!r}: a decline of 100% or more is not a growth rate")
    if per == "year":
        return (1 + rate) ** (1 / 12) - 1
    if per == "week":
        return (1 + rate) ** (DAYS_PER_MONTH / 7) - 1
    return rate
