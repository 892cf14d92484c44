"""The growth stage's value objects and the plan's time grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING


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



def month_grid(months: int):
    """Grid days for `months` plan months: GRID_PER_MONTH points a month, month m ending exactly
    at m x 30.4375 days so month-end values are exact."""
    import numpy as np

    return np.arange(1, months * GRID_PER_MONTH + 1) * (DAYS_PER_MONTH / GRID_PER_MONTH)

