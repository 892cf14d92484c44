"""The growth stage's value objects, its constants, the plan's time grid (`month_grid`,
`grid_steps`) and the demand paths as rows (`path_frame`), shared by `forecast.py` and `stated.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DAYS_PER_MONTH = 365.25 / 12  # 30.4375: a plan month; month m ends m x 30.4375 days after the start
GRID_PER_MONTH = 30  # forecast grid points per month (about one a day)
WINDOW_DAYS = 28  # the planning peak's window (load.PLANNING_WINDOW_DAYS): the path's quantity
MAX_HISTORY_STEPS = 730  # the models see the last two years (of daily peaks)
CAP_MULTIPLE = 10.0  # the nominal never goes past 10x the highest spike-free peak of the history
WORST_RATIO_CAP = 3.0  # nor the worst case past 3x the nominal
FAN_QUANTILES = (0.5, 0.8, 0.9)  # the demand path at these quantiles too (worst_paths' rows)


@dataclass(frozen=True, slots=True)
class BacktestScore:
    """One candidate on the backtest: MASE of its daily forecast (horizons 1..horizon_steps), and
    the out-of-sample coverage of its calibrated 80% and 95% window peaks (calibrated on the older
    origins, checked on the newer ones)."""

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
    kind: str  # "level"
    before_growth_monthly: float
    after_growth_monthly: float
    level_change: float | None = None  # relative: -0.6 is a 60% drop


@dataclass(frozen=True, slots=True)
class Calibration:
    """How the worst case was calibrated: per backtest horizon (days 1..len), the conformal
    offsets (log) of the window peak over the chosen model's, and what they achieved."""

    method: str
    horizons: int  # calibrated horizons: 1..horizons steps; beyond, extrapolated
    origins: int  # backtest origins at horizon 1
    nominal_offset: np.ndarray  # per horizon: median log(actual / forecast window peak)
    worst_offset: np.ndarray  # per horizon: the conformal worst-quantile offset
    coverage: float | None  # out-of-sample share of origins x horizons the worst case covered
    median_over_provision: float | None  # of the worst window peak over the actual one
    extrapolation: str = ""


@dataclass(frozen=True, slots=True)
class PeakForecast:
    """The forecast of the peak, and how it was made.

    The contract with the plan is the two demand paths on `grid_days` (30 points a plan month;
    month m ends exactly at m x 30.4375 days after `start`):
    - `nominal` and `worst_case`: for each grid day, the peak the fleet must carry on that day in
      that scenario: the planning peak as it will stand that day (the highest daily peak of the 28
      days up to it). `nominal` is its median forecast, one-off and recurring spikes left out as the
      planning peak leaves them out, so at day 0 it is the planning peak; `worst_case` its calibrated
      `worst_quantile` quantile with recurring spikes in. `worst_case >= nominal` everywhere, both
      finite and positive. The plan reads everything from these two arrays; charts and JSON draw
      them (`path`).
    - Month k's values do not depend on how many months were asked for.
    `worst_paths` holds the same demand path at the FAN_QUANTILES and at worst_quantile, one row
    each (a single row for a stated rate); `nominal_paths` the nominal as one row.
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
    target: str  # "daily peaks", or the native step
    history_used: str
    step_days: float
    path: pd.DataFrame  # date, nominal, worst_case: day 0, then the demand paths on the grid
    backtest: tuple[BacktestScore, ...] = ()
    chosen_because: str = ""
    change_point: ChangePoint | None = None
    recurring_peaks: tuple[str, ...] = ()
    interval_widening: float | None = None
    capped: bool = False
    assumptions: tuple[str, ...] = ()
    parameters: dict = field(default_factory=dict)
    # Beyond the plan's contract: the accuracy figures and what the worst case is made of.
    point: np.ndarray | None = None  # the central daily-peak forecast for steps 1..K (accuracy)
    window_nominal: np.ndarray | None = None  # per step k: the peak over steps 1..k (k <= 28 days)
    window_worst: np.ndarray | None = None  # its worst-quantile counterpart
    calibration: Calibration | None = None
    spikes: tuple = ()  # history.Spike, each one-off or recurring
    fan_quantiles: tuple[float, ...] = ()


def month_grid(months: int):
    """Grid days for `months` plan months: GRID_PER_MONTH points a month, month m ending exactly
    at m x 30.4375 days so month-end values are exact."""
    import numpy as np

    return np.arange(1, months * GRID_PER_MONTH + 1) * (DAYS_PER_MONTH / GRID_PER_MONTH)


def grid_steps(grid, step_days: float):
    """The forecast step (1-based) each grid day falls in."""
    import numpy as np

    return np.maximum(1, np.floor(np.asarray(grid) / step_days + 1e-9).astype(int))


def path_frame(start, grid, p0, nominal, worst, worst0):
    """The demand paths as rows: day 0 (the planning peak) then one row per grid point."""
    import numpy as np
    import pandas as pd

    days = pd.to_timedelta(np.r_[0.0, np.asarray(grid, float)], unit="D")
    dates = list((pd.Timestamp(start) + days).strftime("%Y-%m-%d"))
    return pd.DataFrame({"date": dates, "nominal": np.r_[p0, nominal],
                         "worst_case": np.r_[max(worst0, p0), worst]})
