"""Growth of the peak: candidate models, chosen by rolling-origin backtest, with a calibrated worst case.

Pure; no I/O. The quantity forecast is the daily peak (weekly peaks for horizons past three months,
where daily noise only widens intervals), never the mean. Every candidate works on the log of the
peak, so no forecast is negative and growth compounds.

The shape of a forecast:
- each candidate gives a central log path mu(k) for steps k = 1..h and an in-sample residual sd;
- the chosen model's backtest errors e(o, k) = log(actual) - mu(k) at every origin o give the
  spread the model really had: var(k) = a + b k fitted to the squared errors (a: day-to-day noise,
  b: drift of the level per step), and the median error (a bias the nominal forecast corrects);
- sample paths (a fixed seed) draw log peak(k) = mu(k) + bias + sqrt(a) z(k) + sqrt(b k) w, z and w
  standard normal (w shared along a path, so a path that runs high stays high);
- a month's peak is the max of a path over that month: the nominal plan takes the median of those
  maxima over paths, the worst case their `worst_quantile` quantile. This is the quantity a fleet
  is sized for, the horizon peak, and it is what the backtest calibrates.
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
MIN_TRAIN_STEPS = 14
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
    """The forecast of the peak: sample paths on a month-aligned grid, and how they were made.

    `nominal_paths` and `worst_paths` are (paths x grid) arrays of the forecast peak; the plan
    reads a month's nominal peak as the median over paths of each path's max over that month, and
    the worst case as the `worst_quantile` quantile of the worst paths' maxima. A fixed growth
    rate gives one deterministic path for each.
    """

    start: pd.Timestamp  # the last observation (or today for a what-if plan)
    grid_days: np.ndarray  # days after start of each grid point (month m ends at m x 30.4375)
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
    """Log-linear trend: log peak = a + b t, so the peak grows by exp(b) - 1 per step."""
    import numpy as np

    slope, intercept, resid = _trend_fit(y)
    n = len(y)

    def fc(h):
        return intercept + slope * np.arange(n, n + h)

    sd = float(np.std(resid, ddof=2)) if n > 2 else 0.0
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


def _combination(y, season):
    """Equal-weight mean (log scale) of seasonal naive, compound and damped trend (M4's lesson:
    combinations of simple models beat most single ones)."""
    import numpy as np

    parts = [_seasonal_naive(y, season), _compound(y, season), _damped(y, season)]
    sd = float(np.sqrt(np.mean([p.resid_sd ** 2 for p in parts])))

    def fc(h):
        return np.mean([p.forecast_log(h) for p in parts], axis=0)

    return Fitted("combination", fc, sd, "sqrt", 1,
                  {"members": "seasonal naive, compound, damped trend"})


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
    min_train = max(MIN_TRAIN_STEPS, 2 * season)
    spacing = max(1, h // 2)
    out = []
    o = n - h
    while o >= min_train and len(out) < MAX_ORIGINS:
        out.append(o)
        o -= spacing
    return out


@dataclass
class _Backtest:
    score: BacktestScore
    errors: np.ndarray | None  # origins x h log errors (actual - forecast)


def backtest(y_log, name: str, season: int, h: int) -> _Backtest:
    """Score a candidate at rolling origins: MASE (on the peak, not its log) and the coverage of
    its own 80% and 95% intervals."""
    import numpy as np

    origins = _origins(len(y_log), h, season)
    if not origins:
        return _Backtest(BacktestScore(name, None, None, None, 0, h, "too little history"), None)
    scores, cov80, cov95, errs = [], [], [], []
    for o in origins:
        train, test = y_log[:o], y_log[o:o + h]
        try:
            fitted = CANDIDATES[name](train, season)
            mu = fitted.forecast_log(len(test))
        except Exception:  # noqa: BLE001 - a candidate that cannot fit here just scores nothing
            return _Backtest(BacktestScore(name, None, None, None, 0, h, "failed to fit"), None)
        if not np.all(np.isfinite(mu)):
            return _Backtest(BacktestScore(name, None, None, None, 0, h, "non-finite forecast"), None)
        sd = fitted.sd(len(test))
        scores.append(mase(np.exp(test), np.exp(mu), np.exp(train), season))
        cov80.append(coverage(test, mu - 1.2816 * sd, mu + 1.2816 * sd))
        cov95.append(coverage(test, mu - 1.96 * sd, mu + 1.96 * sd))
        errs.append(test - mu)
    return _Backtest(BacktestScore(name, float(np.mean(scores)), float(np.mean(cov80)),
                                   float(np.mean(cov95)), len(origins), h),
                     np.array(errs))


# --------------------------------------------------------------------------------------------
# Change points and recurring peaks


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
    return PeakForecast(start=start, grid_days=grid, nominal_paths=nominal[None, :],
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

    cp_index, cp = find_change_point(y, step_days)
    if cp is not None:
        cp = ChangePoint(str(target.index[cp_index].date()), cp.kind, cp.before_growth_monthly,
                         cp.after_growth_monthly)
        y = y[cp_index:]
        target = target.iloc[cp_index:]
        notes.append(f"a {cp.kind} break on {cp.date}: growth fitted on the {len(y)} "
                     f"{'days' if step_days == 1 else 'steps'} since (growth before "
                     f"{cp.before_growth_monthly:+.1%}/month, after {cp.after_growth_monthly:+.1%})")
    history_used = (f"{target.index[0].date()} to {target.index[-1].date()} ({len(y)} "
                    f"{target_name})")

    if len(y) < 2 or np.ptp(y) == 0:
        fitted = Fitted("flat", lambda h: np.full(h, y[-1]), 0.0, "flat")
        chosen, scores, errors, because = fitted, (), None, (
            "too little history to fit a trend" if len(y) < 2 else
            "the peak is constant over the history: no growth, no spread")
    else:
        h_bt = min(h_steps, max(1, len(y) // 4))
        names = candidate_names(y, season)
        if model is not None and model not in CANDIDATES:
            raise CapplanError(f"--model {model!r} is not a candidate: choose from "
                               f"{', '.join(CANDIDATES)}")
        results = {name: backtest(y, name, season, h_bt) for name in names}
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
            best = min(r.score.mase for r in scored)
            ties = [r for r in scored if r.score.mase <= best * (1 + TIE_TOLERANCE)]
            pick = min(ties, key=lambda r: SIMPLICITY[r.score.model])
            chosen_name = pick.score.model
            because = (f"lowest backtest MASE ({pick.score.mase:.3f} over {pick.score.origins} "
                       f"origins, horizon {h_bt} steps)")
            if len(ties) > 1:
                because += f"; tied within {TIE_TOLERANCE:.0%} with " + ", ".join(
                    r.score.model for r in ties if r is not pick) + ", the simpler wins"
            base = results.get("seasonal naive")
            if base is not None and base.score.mase is not None and chosen_name != "seasonal naive" \
                    and pick.score.mase >= base.score.mase:
                because += "; it does not beat seasonal naive"
        chosen = CANDIDATES[chosen_name](y, season)
        errors = results[chosen_name].errors if chosen_name in results else None

    mu = chosen.forecast_log(h_steps)
    # Spread: calibrated on the backtest errors where there are any, else the model's own, wide.
    k = np.arange(1, h_steps + 1, dtype=float)
    own_sd = chosen.sd(h_steps) if chosen.resid_sd > 0 else np.zeros(h_steps)
    widening = None
    if errors is not None and errors.size >= 6:
        e = errors
        bias = float(np.median(e))
        ks = np.tile(np.arange(1, e.shape[1] + 1, dtype=float), (e.shape[0], 1)).ravel()
        sq = ((e - bias) ** 2).ravel()
        # var(k) = a + b k by least squares, both terms kept non-negative.
        A = np.column_stack([np.ones_like(ks), ks])
        coef, *_ = np.linalg.lstsq(A, sq, rcond=None)
        a, b = max(coef[0], 0.0), max(coef[1], 0.0)
        if a == 0 and b == 0:
            a = float(np.mean(sq))
        own_h = float(own_sd[min(e.shape[1], h_steps) - 1]) if own_sd.size else 0.0
        cal_h = math.sqrt(a + b * e.shape[1])
        widening = cal_h / own_h if own_h > 0 else None
        spread = "calibrated on the backtest errors"
    else:
        bias = 0.0
        base_sd = chosen.resid_sd if chosen.resid_sd > 0 else 0.0
        if len(y) >= 2 and np.ptp(y) > 0:
            # No backtest: a wide interval, the residual sd doubled, with a drift term.
            a = (2 * max(base_sd, 0.05)) ** 2
            b = a / 7
            spread = "no backtest possible: the residual spread doubled, plus drift (wide)"
        else:
            a = b = 0.0
            spread = "none (constant history)"
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((N_PATHS, h_steps))
    w = rng.standard_normal((N_PATHS, 1))
    log_paths = mu[None, :] + bias + math.sqrt(a) * z + np.sqrt(b * k)[None, :] * w
    paths = np.exp(log_paths)
    cap = CAP_MULTIPLE * hist_max
    capped = bool((paths > cap).any())
    paths = np.minimum(paths, cap)
    # Month-aligned grid: each grid point reads the forecast step that contains it.
    grid = month_grid(months)
    step_idx = np.clip(np.ceil(grid / step_days).astype(int) - 1, 0, h_steps - 1)
    grid_paths = paths[:, step_idx]

    nominal_step = np.minimum(np.exp(mu + bias), cap)
    upper_step = np.quantile(paths, worst_quantile, axis=0)
    dates = [target.index[-1] + pd.Timedelta(days=step_days * i) for i in range(1, h_steps + 1)]
    path = pd.DataFrame({"date": [d.strftime("%Y-%m-%d") for d in dates],
                         "nominal": nominal_step, "worst_case": upper_step})
    months_per_step = step_days / DAYS_PER_MONTH
    growth = _monthly_growth(mu, months_per_step)
    worst_paths = grid_paths
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
        + (f", {widening:.2f}x the model's own interval" if widening else ""),
    ] + notes
    if worst_growth is not None:
        assumptions.append(f"worst case grows {worst_growth:.1%} a month (--worst-growth)")
    if capped:
        assumptions.append(f"some simulated peaks were capped at {CAP_MULTIPLE:g}x the highest "
                           f"peak in the history ({cap:,.6g})")
    params = dict(chosen.params)
    params.update({"bias_log": bias, "noise_var_log": float(a), "drift_var_log_per_step": float(b)})
    return PeakForecast(
        start=start, grid_days=grid, nominal_paths=grid_paths, worst_paths=worst_paths,
        worst_quantile=worst_quantile, model=chosen.name, monthly_growth=growth,
        worst_monthly_growth=worst_growth, target=target_name, history_used=history_used,
        step_days=step_days, path=path, backtest=scores, chosen_because=because,
        change_point=cp, recurring_peaks=find_recurring_peaks(peaks) if step_days < 6 else (),
        interval_widening=widening, capped=capped, assumptions=tuple(assumptions),
        parameters=params)


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
