"""A stated growth rate (`--growth`): the demand paths from the planning peak at that compound
rate, with the history's yearly shape kept on it when the history has one, and a worst case
widened by the series' own spread around the stated path (calibrated as `forecast_peaks` is).
Pure; no I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.growth.backtest import (CAL_HORIZON_DAYS, MIN_TRAIN_STEPS, coverage_words,
                                     future_matrix, origins_for, window_max)
from capplan.growth.calibration import calibrate, history_spread
from capplan.growth.history import History, latest_level_shift, prepare
from capplan.numbers import plain
from capplan.growth.values import (DAYS_PER_MONTH, WINDOW_DAYS, WORST_RATIO_CAP, PeakForecast,
                                   grid_steps, month_grid, path_frame)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True, slots=True)
class _Shape:
    """The yearly shape as the plan sees it: `window[s]` is the log of its peak over the planning
    window ending at step s of the history's grid (0 = its first day; past its end, ahead)."""

    window: np.ndarray
    n: int  # steps of history
    explained: float
    hist: History

    def ahead(self, steps):
        """Log ratio of the window peak `steps` days after the last day to the last day's."""
        import numpy as np

        return self.window[self.n - 1 + np.asarray(steps, int)] - self.window[self.n - 1]


def _yearly_shape(history, extra: int) -> _Shape | None:
    """The shape `forecast_peaks` would put back on its forecast (two years or more of daily
    peaks), or None."""
    import numpy as np

    if history is None or (history > 0).sum() < MIN_TRAIN_STEPS + 1:
        return None
    ls = latest_level_shift(history.astype(float))
    if ls.yearly is None or ls.step_days != 1:
        return None
    n = len(ls.hist.fit)
    y = np.asarray(ls.yearly(np.arange(n + extra)), float)
    return _Shape(window_max(y[None, :], WINDOW_DAYS)[0], n, float(ls.yearly_explained), ls.hist)


def fixed_growth(start, planning_peak: float, months: int, monthly_growth: float,
                 worst_growth: float | None = None, stated: bool = True, *,
                 history: pd.Series | None = None, worst_quantile: float = 0.95) -> PeakForecast:
    """A stated compound growth rate from the planning peak: peak(t) = P0 (1 + g)^(t / month).

    The worst case: `worst_growth` when stated; else, with a `history` of daily peaks, the stated
    path widened by the series' own backtest spread around that rate (the conformal quantile of
    the window peak over the stated path, per horizon, from every origin); else equal to the
    nominal (the plan says so).
    """
    import numpy as np

    if monthly_growth <= -1:
        raise CapplanError(f"--growth {monthly_growth:.0%}/month would make the peak negative")
    if worst_growth is not None and worst_growth < monthly_growth:
        raise CapplanError(f"--worst-growth {worst_growth:.1%}/month is below --growth "
                           f"{monthly_growth:.1%}/month: the worst case must grow at least as fast")
    grid = month_grid(months)
    shape = _yearly_shape(history, int(grid_steps(grid, 1.0).max()) + CAL_HORIZON_DAYS + 1)
    nominal = planning_peak * (1 + monthly_growth) ** (grid / DAYS_PER_MONTH)
    because = "growth given with --growth" if stated else "no --growth given: the peak is held flat"
    # The first two say what the model is and why, as forecast_peaks' do (the reports list the
    # rest as the growth's assumptions).
    assumptions = ["model: fixed growth (a stated rate)", f"chosen because: {because}",
                   f"growth fixed at {monthly_growth:.1%} a month (compound) from the planning "
                   f"peak of {plain(planning_peak)}"]
    if shape is not None:
        nominal = nominal * np.exp(shape.ahead(grid_steps(grid, 1.0)))
        assumptions.append(
            f"the history's yearly shape (it explains {shape.explained:.0%} of the detrended "
            "variance) is kept on the stated trend: each month's peak follows its season, as the "
            "fitted forecast's does")
    cal = None
    worst_kind = "stated"
    if worst_growth is not None:
        worst = planning_peak * (1 + worst_growth) ** (grid / DAYS_PER_MONTH)
        assumptions.append(f"worst case grows {worst_growth:.1%} a month (--worst-growth)")
    elif history is not None and (history > 0).sum() >= MIN_TRAIN_STEPS + 1:
        cal, at = _stated_rate_spread(history, monthly_growth, worst_quantile, shape)
        worst = nominal * np.exp(np.maximum(at(grid_steps(grid, 1.0))[1], 0.0))
        worst = np.minimum(worst, WORST_RATIO_CAP * nominal)
        worst_kind = "calibrated"
        assumptions.append(
            f"worst case: the stated path widened by the series' own spread around it, the "
            f"{worst_quantile:.0%} quantile of the window peak over the stated path at "
            f"{cal.origins} origins ({cal.method})"
            + coverage_words(cal.coverage, worst_quantile))
    else:
        worst = nominal.copy()
        worst_kind = "equal"
        assumptions.append("no --worst-growth given and no history to measure a spread on: the "
                           "worst case equals the nominal case")
    worst = np.maximum(worst, nominal)
    path = path_frame(start, grid, planning_peak, nominal, worst, planning_peak)
    return PeakForecast(start=start, grid_days=grid, nominal=nominal, worst_case=worst,
                        nominal_paths=nominal[None, :],
                        worst_paths=(worst[None, :] if worst_kind != "calibrated" else
                                     np.vstack([nominal, worst])),
                        worst_quantile=worst_quantile if worst_kind == "calibrated" else 1.0,
                        model="fixed growth", monthly_growth=monthly_growth,
                        worst_monthly_growth=(worst_growth if worst_growth is not None else
                                              (None if worst_kind == "calibrated" else
                                               monthly_growth)),
                        target="stated rate",
                        history_used=("none (growth given)" if history is None else
                                      "growth given; the history sets the worst case's spread"),
                        step_days=1.0, path=path,
                        chosen_because=because,
                        assumptions=tuple(assumptions), calibration=cal)


def _stated_rate_spread(history, monthly_growth: float, q: float, shape=None):
    """Calibrate the stated path on the history: from each origin, the stated path from that
    day's planning peak (with the yearly shape, when the plan carries one) against the planning
    peak as it stood each day after."""
    import numpy as np

    hist = prepare(history.astype(float), 1.0) if shape is None else shape.hist
    n = len(hist.fit)
    origins = origins_for(n, 0)
    Hb = CAL_HORIZON_DAYS
    w = WINDOW_DAYS
    clean_win = window_max(hist.clean[None, :], w)[0]
    recur_win = window_max(hist.recurring[None, :], w)[0]
    o = np.asarray(origins, int)
    p0 = np.log(clean_win[o - 1])
    k = np.arange(1, Hb + 1)
    stated = p0[:, None] + k[None, :] * math.log1p(monthly_growth) / DAYS_PER_MONTH
    if shape is not None:
        stated = stated + shape.window[o[:, None] - 1 + k[None, :]] - shape.window[o - 1][:, None]
    act_c = np.log(future_matrix(clean_win, origins, Hb))
    act_r = np.log(future_matrix(recur_win, origins, Hb))
    floor_sd, floor_n = history_spread(np.log(hist.recurring), 7)
    return calibrate(stated, act_c, act_r, (q,), floor_sd, floor_n, 7)[q]


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
        raise CapplanError(f"{flag} {text!r} is not understood: write a percentage "
                           "with its period: 10%/month, 25%/year or 2%/week") from exc
    if rate <= -1:
        raise CapplanError(f"{flag} {text!r}: a decline of 100% or more is not a growth rate")
    if per == "year":
        return (1 + rate) ** (1 / 12) - 1
    if per == "week":
        return (1 + rate) ** (DAYS_PER_MONTH / 7) - 1
    return rate
