"""Growth of the peak: the two demand paths the plan sizes for, calibrated on the series' own
backtest. Pure; no I/O. One part a file, each readable alone:

- `history.py`: spikes classified (one-off or recurring), level shifts, yearly recurring peaks;
- `candidates.py`: seasonal naive with drift, ses with drift (theta), damped trend and their combination, from
  every backtest origin at once;
- `backtest.py`: rolling origins on a fixed grid of horizons, MASE, coverage, the conformal
  quantile, the choice;
- `calibration.py`: the window peak's offsets per horizon (median and conformal worst quantile);
- `forecast.py`: `forecast_peaks` tying them into `PeakForecast`;
- `stated.py`: `fixed_growth` for a stated rate (`--growth`), the yearly shape kept on it;
- `values.py`: the value objects and the plan's month grid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capplan.growth.values import PeakForecast

# Imported on first use (PEP 562): the load stage needs only `history`, and `capplan analyze`
# should not pay for the models it never fits.
_LAZY = {
    "conformal_quantile": "backtest", "coverage": "backtest", "mase": "backtest",
    "window_max": "backtest", "forecast_peaks": "forecast", "fixed_growth": "stated",
    "parse_growth": "stated", "find_level_shift": "history", "find_recurring_peaks": "history",
    "DAYS_PER_MONTH": "values", "GRID_PER_MONTH": "values", "BacktestScore": "values",
    "Calibration": "values", "ChangePoint": "values", "PeakForecast": "values",
    "month_grid": "values",
}


def __getattr__(name: str):
    import importlib

    if name == "CANDIDATES":  # the --model names (validation.py)
        return importlib.import_module("capplan.growth.candidates").NAMES
    if name in _LAZY:
        return getattr(importlib.import_module(f"capplan.growth.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'capplan.growth' has no attribute {name!r}")


def window_peak(forecast: PeakForecast, days: float) -> tuple[float, float]:
    """(nominal, worst) peak over the first `days` of the forecast, future days only (the
    quantity the bench scores against the actual horizon peak; calibrated up to 28 days)."""
    import math

    if forecast.window_nominal is None or forecast.window_worst is None:
        sel = forecast.grid_days <= days + 1e-9
        return float(forecast.nominal[sel].max()), float(forecast.worst_case[sel].max())
    k = max(1, int(math.floor(days / forecast.step_days + 1e-9)))
    k = min(k, len(forecast.window_nominal))
    return float(forecast.window_nominal[k - 1]), float(forecast.window_worst[k - 1])


__all__ = ["CANDIDATES", "DAYS_PER_MONTH", "GRID_PER_MONTH", "BacktestScore", "Calibration", "ChangePoint",
           "PeakForecast", "conformal_quantile", "coverage", "find_level_shift",
           "find_recurring_peaks", "fixed_growth", "forecast_peaks", "mase", "month_grid",
           "parse_growth", "window_max", "window_peak"]
