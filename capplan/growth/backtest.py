"""Rolling-origin backtest on a fixed grid of horizons, its statistics, and the choice of a model.

The backtest origins are every step of the recent history (at most MAX_ORIGINS of them, each with
at least MIN_TRAIN_STEPS of training) and the horizons a fixed grid, steps 1..CAL_HORIZON_DAYS:
neither depends on how many months the plan asks for, so month k never does either.

Statistics (each tested by hand in tests/test_growth_stats.py):
- `mase`: mean absolute scaled error (Hyndman & Koehler 2006);
- `coverage`: the share of actual values inside an interval;
- `conformal_quantile`: the split-conformal quantile of scores (Lei et al. 2018; Angelopoulos &
  Bates 2023): the ceil((n + 1) q)-th smallest of n scores, which a new exchangeable score stays
  under with probability >= q;
- `window_max`: the peak of a path over the planning peak's window ending at each step.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

MAX_ORIGINS = 365  # the last year of origins, one a step: every season in the calibration
MIN_TRAIN_STEPS = 7
CAL_HORIZON_DAYS = 61  # backtest horizons 1..61 days: two plan months, a fixed grid
CHOICE_HORIZON_DAYS = 28  # MASE is scored over the first four weeks of each origin


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


COVERAGE_SHORTFALL = 0.10  # out-of-sample coverage this far below the quantile is said


def coverage_words(covered: float | None, q: float) -> str:
    """", 68% covered out of sample", and when that is well below the quantile aimed at, that
    the worst case may be too low: a reviewer reads the 95% and should not miss the 68%."""
    if covered is None:
        return ""
    text = f", {covered:.0%} covered out of sample"
    if covered < q - COVERAGE_SHORTFALL:
        text += f" (short of the {q:.0%} aimed at: the worst case may be too low)"
    return text


def conformal_quantile(scores, q: float) -> float | None:
    """The split-conformal q quantile of finite scores: the ceil((n + 1) q)-th smallest; None when
    there are too few scores for it (n < q / (1 - q), e.g. 19 at q = 0.95)."""
    import numpy as np

    s = np.sort(np.asarray(scores, float)[np.isfinite(scores)])
    rank = math.ceil((s.size + 1) * q - 1e-9)
    if rank > s.size or s.size == 0:
        return None
    return float(s[rank - 1])


def window_max(paths, window: int):
    """Per row, the max of the path over the `window` steps ending at each step (fewer at the
    start): the planning peak's quantity, step by step. NaN values are ignored; a window of NaN
    only is NaN."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    p = np.atleast_2d(np.asarray(paths, float))
    filled = np.where(np.isnan(p), -np.inf, p)
    pad = np.full((p.shape[0], window - 1), -np.inf)
    out = sliding_window_view(np.concatenate([pad, filled], axis=1), window, axis=1).max(axis=2)
    return np.where(np.isneginf(out), np.nan, out)


def origins_for(n: int, first: int) -> list[int]:
    """Backtest origins (training lengths): every step of the recent history."""
    lo = max(first + MIN_TRAIN_STEPS, n - MAX_ORIGINS)
    return list(range(lo, n))


def future_matrix(values, origins, H: int):
    """values[o + k - 1] for each origin o (rows) and step k = 1..H; NaN past the end."""
    import numpy as np

    v = np.r_[np.asarray(values, float), np.full(H, np.nan)]
    idx = np.asarray(origins, int)[:, None] + np.arange(H)[None, :]
    return v[idx]


def mase_by_origin(paths, actual, y_level, origins, season: int, first: int, H: int):
    """MASE of each origin's forecast (on the peak, not its log) over steps 1..H where actuals
    exist; the scale is the origin's own in-sample seasonal naive MAE."""
    import numpy as np

    lv = np.asarray(y_level, float)
    m = season if season > 1 else 1
    d = np.abs(lv[m:] - lv[:-m])
    d = np.where(np.isfinite(d), d, 0.0)
    cnt = np.isfinite(np.abs(lv[m:] - lv[:-m])).astype(float)
    cd, cc = np.r_[0.0, np.cumsum(d)], np.r_[0.0, np.cumsum(cnt)]
    o = np.asarray(origins, int)
    # differences y[t] - y[t-m] with first <= t - m and t < o
    lo = first
    hi = np.maximum(o - m, lo)
    scale = (cd[hi] - cd[lo]) / np.maximum(cc[hi] - cc[lo], 1)
    a = actual[:, :H]
    err = np.abs(np.exp(np.minimum(paths[:, :H], 700.0)) - a)
    mae = np.nanmean(np.where(np.isfinite(a), err, np.nan), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, mae / scale, np.where(mae == 0, 0.0, np.inf))


def choose(scores: dict) -> tuple[str, str]:
    """The model: the combination, always (name -> mean backtest MASE, for the words). On the
    benchmark the combination scored a MASE at least as good as the backtest's pick of a single
    model on every series, better on four (bench/growth/README.md): on a few dozen origins of one
    series, picking the best-scoring single model chases noise (M4's lesson)."""
    finite = {k: v for k, v in scores.items() if v is not None and math.isfinite(v)}
    combo = finite.get("combination")
    singles = {k: v for k, v in finite.items() if k != "combination"}
    if combo is None:
        return "combination", ("a combination of simple models (M4), not a single pick: seasonal "
                               "naive with drift, SES with drift and damped trend")
    why = f"a combination of simple models (M4), not a single pick: backtest MASE {combo:.3f}"
    if singles:
        best = min(singles, key=singles.get)
        if singles[best] < combo:
            # Say plainly that the rule, not this backtest, chose it.
            why = (f"a combination of simple models (M4), by rule: here {best} scored a lower "
                   f"backtest MASE ({singles[best]:.3f} against the combination's {combo:.3f}), "
                   "but picking the best single model on one series' backtest scored worse on "
                   "capplan's benchmark (bench/growth) than always combining")
        else:
            why += f", at least as good as the best single model's {singles[best]:.3f} ({best})"
    return "combination", why
