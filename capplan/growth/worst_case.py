"""Sample paths, their calibration on the backtest, and the demand paths read from them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    pass

from capplan.growth.backtest import _Backtest
from capplan.growth.values import DAYS_PER_MONTH, GRID_PER_MONTH, N_PATHS, PeakForecast

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

