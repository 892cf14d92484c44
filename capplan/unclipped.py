"""The demand a ceiling hides, forecast beside the observed one (issue 15: "forecast the unclipped
demand too, and show both"). Pure; no I/O.

When `load.flat_topping` finds the daily peaks pressed against a ceiling, the observed peak
understates demand and so does any forecast of it. `saturation.detect_flat_topping` estimates each
day's unclipped peak (Gilgur et al., CMG 2015). This module forecasts those unclipped peaks with
the same growth method and settings as the plan (a stated `--growth` from the unclipped planning
peak, or the fitted models), and sizes each month's unclipped peak by the plan's own capacity
model, so the reader sees what the plan would need if the ceiling were lifted. The plan itself
stays on the observed demand: the unclipped figures are an estimate, shown beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from capplan.numbers import plain

if TYPE_CHECKING:
    from capplan.capacity import CapacityModel
    from capplan.growth import PeakForecast
    from capplan.load import LoadProfile


@dataclass(frozen=True, slots=True)
class UnclippedMonth:
    month: int
    nominal_peak: float  # the highest unclipped demand in the month, nominal path
    worst_case_peak: float
    nominal_instances: int | None  # by the plan's sizing rule; None when the plan is not sized
    worst_case_instances: int | None


@dataclass(frozen=True, slots=True)
class UnclippedDemand:
    planning_peak: float  # the unclipped demand's planning peak (flat_topping.unclipped_peak)
    observed_planning_peak: float  # the plan's own planning peak, for comparison
    forecast: PeakForecast  # the unclipped demand paths on the plan's grid
    months: tuple[UnclippedMonth, ...]
    method: str  # how it was made, in words


def month_peaks(grid_values, p0: float, months: int, per_month: int) -> list[float]:
    """The highest value of a grid path in each plan month; month 1 includes day 0 (`p0`), as the
    plan's month 1 includes today's planning peak."""
    out = []
    for m in range(months):
        window = [float(v) for v in grid_values[m * per_month:(m + 1) * per_month]]
        out.append(max(window + ([p0] if m == 0 else [])))
    return out


def unclipped_demand(load: LoadProfile, months: int, capacity: CapacityModel | None, *,
                     growth: float | None = None, worst_growth: float | None = None,
                     worst_quantile: float = 0.95, model: str | None = None
                     ) -> UnclippedDemand | None:
    """The unclipped demand forecast, or None when no flat-topping was found or no unclipped
    estimate could be made. `growth`: a stated monthly rate (as `--growth`), else the fitted
    models choose as they do for the plan."""
    from capplan.growth import fixed_growth, forecast_peaks
    from capplan.growth.values import GRID_PER_MONTH

    ft = load.flat_topping
    if ft is None or not ft.detected or ft.unclipped_daily_peaks is None or not ft.unclipped_peak:
        return None
    import pandas as pd

    peaks = ft.unclipped_daily_peaks.astype(float)
    p0 = float(ft.unclipped_peak)
    from capplan.errors import CapplanError

    try:
        if growth is not None:
            fc = fixed_growth(pd.Timestamp(load.daily_peaks.index[-1]), p0, months, growth,
                              worst_growth, history=peaks, worst_quantile=worst_quantile)
            how = f"growth fixed at {growth:.1%} a month from the unclipped planning peak"
        else:
            fc = forecast_peaks(peaks, months, worst_quantile=worst_quantile,
                                worst_growth=worst_growth, model=model, planning_peak=p0)
            how = f"{fc.model} fitted to the unclipped daily peaks"
    except CapplanError:
        # The estimate is shown beside the plan, never instead of it: a series the growth
        # stage refuses in this form leaves the flat-topping warning without a forecast.
        return None
    nominal = month_peaks(fc.nominal, p0, months, GRID_PER_MONTH)
    worst = month_peaks(fc.worst_case, p0, months, GRID_PER_MONTH)
    sized = capacity is not None and capacity.sized

    def size(peak: float) -> int | None:
        return capacity.instances_for(peak) if sized else None

    rows = tuple(UnclippedMonth(month=m + 1, nominal_peak=n, worst_case_peak=w,
                                nominal_instances=size(n), worst_case_instances=size(w))
                 for m, (n, w) in enumerate(zip(nominal, worst)))
    method = (f"the daily peaks flat-top near {plain(ft.ceiling)}; each day's unclipped demand is "
              f"its p{ft.reference_percentile} x {ft.peak_ratio:.3g} (Gilgur et al.), its planning "
              f"peak {plain(p0)} against an observed {plain(load.planning_peak.value)}; forecast: "
              f"{how}; instances by the plan's own sizing rule. The plan itself stays on the "
              "observed demand")
    return UnclippedDemand(planning_peak=p0, observed_planning_peak=load.planning_peak.value,
                           forecast=fc, months=rows, method=method)
