"""The candidate models of the log daily peak, and their forecasts from every backtest origin.

Each candidate is one of the M4 competition's standard benchmarks (Makridakis, Spiliotis &
Assimakopoulos 2020), on the log of the peak so forecasts stay positive and growth compounds:
- `seasonal naive with drift`: last season's value at the same position, moved on by the series'
  average growth per step (Hyndman & Athanasopoulos, FPP3 5.2);
- `ses with drift`: the Theta method's form as simple exponential smoothing with drift (Hyndman &
  Billah 2003), on the seasonally adjusted series, with the full least-squares slope as the drift:
  the classical theta = 2 halves it, which scored the same on the benchmark but recovered only
  half of a known 5%/month growth (bench/growth/README.md);
- `damped trend`: Gardner & McKenzie's damped additive trend exponential smoothing, seasonally
  adjusted;
- `combination`: the equal-weight mean of the three (M4's lesson: a combination of simple models
  beats most single ones).
Seasonal adjustment is M4's: a classical decomposition (centred moving average, the median
deviation by position in the cycle) applied only when the autocorrelation at the seasonal lag is
significant at 90%.

Speed is the point of the shapes here: exponential smoothing runs one pass over the history for a
whole grid of parameters at once, and records its states, so the forecast from every backtest
origin costs an array operation, not a refit (`origin_paths`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

NAMES = ("seasonal naive with drift", "ses with drift", "damped trend", "combination")
# Exponential smoothing parameter grids (alpha: level, beta: trend, phi: damping).
ALPHAS = (0.05, 0.1, 0.2, 0.35, 0.6, 1.0)
BETAS = (0.02, 0.1)
PHIS = (0.9, 0.98, 1.0)
SMOOTHING_MAX_STEPS = 365  # parameters are chosen on the last year at most
MIN_DRIFT_STEPS = 28


@dataclass(frozen=True, slots=True)
class Season:
    """The seasonal index (log scale) by position, and its period; period 1 means none."""

    period: int
    index: np.ndarray  # length period, mean zero
    phase: int  # the position in the cycle of step 0 of the series it was fitted on

    def at(self, steps) -> np.ndarray:
        """The index at absolute steps (0 = the first step of the fitted series)."""
        import numpy as np

        return self.index[(np.asarray(steps) + self.phase) % self.period]


def no_season():
    import numpy as np

    return Season(1, np.zeros(1), 0)


def seasonal_index(y, period: int) -> Season:
    """M4's classical multiplicative decomposition on the log peak: the seasonal index is the
    median, by position in the cycle, of the deviation from a centred moving average over the
    last 16 cycles; used only when the lag-`period` autocorrelation is significant at 90%."""
    import numpy as np

    n = len(y)
    if period <= 1 or n < 3 * period:
        return no_season()
    x = y - y.mean()
    acf = np.array([np.dot(x[k:], x[:-k]) for k in range(1, period + 1)]) / max(np.dot(x, x), 1e-300)
    limit = 1.645 * math.sqrt((1 + 2 * float(np.sum(acf[:-1] ** 2))) / n)
    if abs(acf[-1]) <= limit:
        return no_season()
    start = max(0, n - 16 * period)
    seg = y[start:]
    kernel = np.ones(period) / period
    if period % 2 == 0:  # a 2 x m centred moving average for an even period
        kernel = np.convolve(kernel, [0.5, 0.5])
    half = len(kernel) // 2
    trend = np.convolve(seg, kernel, mode="valid")
    dev = seg[half:half + len(trend)] - trend
    pos = (np.arange(half, half + len(trend)) + start) % period
    idx = np.array([np.median(dev[pos == j]) if np.any(pos == j) else 0.0 for j in range(period)])
    return Season(period, idx - idx.mean(), 0)


def smooth_pass(z, alpha, beta, phi, record: bool = False):
    """Damped-trend exponential smoothing (beta = 0 gives SES) for arrays of parameters at once.

    Returns (sse of the one-step errors, level, trend), each of the parameters' shape; with
    `record` (scalar parameters only), level and trend are arrays: the state after each step.
    l_t = a z_t + (1 - a)(l_{t-1} + p b_{t-1});  b_t = b (l_t - l_{t-1}) + (1 - b) p b_{t-1}.
    """
    import numpy as np

    if record:
        return _smooth_record(z, float(alpha), float(beta), float(phi))
    alpha, beta, phi = (np.asarray(v, float) for v in np.broadcast_arrays(alpha, beta, phi))
    level = np.full(alpha.shape, float(z[0]))
    trend = np.zeros(alpha.shape)
    sse = np.zeros(alpha.shape)
    for t in range(1, len(z)):
        pred = level + phi * trend
        err = z[t] - pred
        sse += err * err
        new_level = pred + alpha * err
        trend = beta * (new_level - level) + (1 - beta) * phi * trend
        level = new_level
    return sse, level, trend


def _smooth_record(z, a: float, b: float, p: float):
    """One parameter set, every state recorded: plain floats (a numpy scalar costs ten times)."""
    import numpy as np

    zs = [float(v) for v in z]
    level, trend, sse = zs[0], 0.0, 0.0
    levels, trends = [level], [trend]
    for x in zs[1:]:
        pred = level + p * trend
        err = x - pred
        sse += err * err
        new_level = pred + a * err
        trend = b * (new_level - level) + (1 - b) * p * trend
        level = new_level
        levels.append(level)
        trends.append(trend)
    return sse, np.array(levels), np.array(trends)


def choose_smoothing(z, damped: bool) -> dict:
    """The grid point with the lowest one-step squared error on (the last year of) z."""
    import numpy as np

    z = z[-SMOOTHING_MAX_STEPS:]
    if damped:
        a, b, p = (g.ravel() for g in np.meshgrid(ALPHAS, BETAS, PHIS, indexing="ij"))
    else:
        a, b, p = np.array(ALPHAS), np.zeros(len(ALPHAS)), np.zeros(len(ALPHAS))
    if len(z) < 3:
        i = int(np.flatnonzero(np.asarray(a) == 0.3)[0]) if 0.3 in a else 0
    else:
        sse, _, _ = smooth_pass(z, a, b, p)
        i = int(np.argmin(sse))
    out = {"alpha": float(a[i])}
    if damped:
        out.update({"beta": float(b[i]), "phi": float(p[i])})
    return out


@dataclass(frozen=True, slots=True)
class Candidate:
    """A candidate's forecasts: `paths[o]` is the log path from origin `origins[o]` (a training
    length), `final` the log path from the whole history; both for steps 1..H."""

    name: str
    final: np.ndarray
    paths: np.ndarray | None  # origins x H, or None without origins
    params: dict = field(default_factory=dict)


def _drift(y, ends, period: int, first: int):
    """Average growth per step between the first and the last season of y[first:end]."""
    import numpy as np

    m = max(period, 1)
    ends = np.asarray(ends)
    c = np.concatenate([[0.0], np.cumsum(y)])
    head = (c[first + m] - c[first]) / m
    tail = (c[ends] - c[ends - m]) / m
    span = ends - m - first
    # Under four weeks the drift of a handful of days is noise (a dip and its recovery read as
    # growth): none, a plain seasonal naive.
    return np.where((span > 0) & (ends - first >= MIN_DRIFT_STEPS),
                    (tail - head) / np.maximum(span, 1), 0.0)


def snaive_drift(y, origins, Hb: int, Hf: int, period: int, first: int = 0):
    """Seasonal naive with drift from each origin (Hb steps) and from the end (Hf steps).
    `first`: the step the fitted history starts at (after a level shift)."""
    import numpy as np

    n = len(y)
    origins = np.asarray(origins, int)
    ends = np.r_[origins, n]
    m = period if period > 1 and (ends - first).min() >= period else 1
    d = _drift(y, ends, m, first)

    def paths(e, dd, H):
        k = np.arange(1, H + 1)
        back = m - ((k - 1) % m)  # steps back from the origin to the repeated value
        return y[e[:, None] - back[None, :]] + dd[:, None] * (k[None, :] + back[None, :] - 1)

    return Candidate("seasonal naive with drift", paths(ends[-1:], d[-1:], Hf)[0],
                     paths(origins, d[:-1], Hb) if origins.size else None,
                     {"season": m, "drift_per_step": float(d[-1])})


def _ols_slopes(z, ends, first: int):
    """Slope of the least-squares line through z[first:end] for each end, from prefix sums."""
    import numpy as np

    t = np.arange(len(z), dtype=float)
    cz, ct = np.r_[0.0, np.cumsum(z)], np.r_[0.0, np.cumsum(t)]
    ctt, ctz = np.r_[0.0, np.cumsum(t * t)], np.r_[0.0, np.cumsum(t * z)]
    ends = np.asarray(ends)
    cnt = ends - first
    sz, st = cz[ends] - cz[first], ct[ends] - ct[first]
    stt, stz = ctt[ends] - ctt[first], ctz[ends] - ctz[first]
    den = cnt * stt - st * st
    return np.where(den > 0, (cnt * stz - st * sz) / np.where(den > 0, den, 1), 0.0)


def smoothing_models(y, origins, Hb: int, Hf: int, season: Season, params_until: int,
                     first: int = 0):
    """Theta and damped trend from each origin (Hb steps) and from the end (Hf steps), on the
    seasonally adjusted log peak. Parameters are chosen on y[first:params_until] (before the first
    backtest origin, so the backtest stays out of sample) for the origins, and on the whole
    history for the end."""
    import numpy as np

    n = len(y)
    z = y - season.at(np.arange(n))
    origins = np.asarray(origins, int)
    zf = z[first:]
    out = {}
    for name, damped in (("ses with drift", False), ("damped trend", True)):
        p_end = choose_smoothing(zf, damped)
        p_bt = choose_smoothing(zf[:max(params_until - first, 2)], damped) if origins.size else p_end
        built = []
        for p, sel, H in ((p_bt, origins, Hb), (p_end, np.array([n]), Hf)):
            if sel.size == 0:
                built.append(None)
                continue
            k = np.arange(1, H + 1)
            _, lv, tr = smooth_pass(zf, p["alpha"], p.get("beta", 0.0), p.get("phi", 0.0),
                                    record=True)
            lv, tr = np.asarray(lv)[sel - 1 - first], np.asarray(tr)[sel - 1 - first]
            if damped:
                rows = lv[:, None] + tr[:, None] * np.cumsum(p["phi"] ** k)[None, :]
            else:
                a = p["alpha"]
                b0 = _ols_slopes(z, sel, first)
                corr = (1 - a) ** (sel - first) / a
                rows = lv[:, None] + b0[:, None] * (k[None, :] - 1 + 1 / a - corr[:, None])
            built.append(rows + season.at(sel[:, None] - 1 + k[None, :]))
        out[name] = Candidate(name, built[1][0], built[0], {**p_end, "season": season.period})
    return out


def all_candidates(y, origins, Hb: int, Hf: int, period: int, params_until: int,
                   first: int = 0) -> dict:
    """Every candidate's log paths (name -> Candidate) from each origin and from the end."""
    import numpy as np

    season = seasonal_index(y[first:], period)
    if season.period > 1:
        season = Season(season.period, season.index, (-first) % season.period)
    sn = snaive_drift(y, origins, Hb, Hf, period, first)
    sm = smoothing_models(y, origins, Hb, Hf, season, params_until, first)
    members = (sn, sm["ses with drift"], sm["damped trend"])
    final = np.mean([c.final for c in members], axis=0)
    paths = (np.mean([c.paths for c in members], axis=0) if members[0].paths is not None
             else None)
    combo = Candidate("combination", final, paths,
                      {"members": "seasonal naive with drift, ses with drift, damped trend",
                       "season": season.period})
    return {sn.name: sn, "ses with drift": sm["ses with drift"], "damped trend": sm["damped trend"],
            "combination": combo}
