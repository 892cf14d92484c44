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

from capplan.growth.backtest import backtest, coverage, mase
from capplan.growth.forecast import fixed_growth, forecast_peaks, parse_growth
from capplan.growth.history import find_change_point, find_recurring_peaks
from capplan.growth.values import (DAYS_PER_MONTH, GRID_PER_MONTH, BacktestScore, ChangePoint,
                                    PeakForecast, month_grid)
from capplan.growth.worst_case import demand_path, window_peak

__all__ = ["DAYS_PER_MONTH", "GRID_PER_MONTH", "BacktestScore", "ChangePoint", "PeakForecast",
           "backtest", "coverage", "demand_path", "find_change_point", "find_recurring_peaks",
           "fixed_growth", "forecast_peaks", "mase", "month_grid", "parse_growth", "window_peak"]
