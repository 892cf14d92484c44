"""The plan: peak, instances and additions per month and scenario; the runway; the order-by date.

Pure; no I/O. Month m covers (m - 1, m] x 30.4375 days after the start (the last observation, or
today for a what-if plan) and its peak is the highest forecast peak inside it, events applied.
The runway is the first moment the scenario's running one-month peak exceeds what today's fleet
carries at the target utilization.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from capplan.capacity import CapacityModel
    from capplan.events import Event
    from capplan.growth import PeakForecast

from capplan.events import day_multipliers
from capplan.growth import DAYS_PER_MONTH, GRID_PER_MONTH


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: int
    date: str  # the month's last day, YYYY-MM-DD
    peak: float
    instances: int | None
    add: int | None
    event: str | None  # the event(s) that set this month's peak, if any
    beyond_fleet_limit: bool = False  # no fleet size can carry it (USL: past X(N*))
    cells: int | None = None  # when beyond: independent cells of `cell_size` that carry it
    cell_size: int | None = None


@dataclass(frozen=True, slots=True)
class EventEffect:
    """Where an event lands in the plan: in plan month `month`, the latest grid time it covers
    (`at_months`, in months from the start), at which its multiplier meets the growing peak."""

    name: str
    month: int
    at_months: float
    multiplier: float


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    months: tuple[MonthRow, ...]
    runway: str | None  # ISO date, or None when today's fleet lasts the horizon
    runway_months: float | None
    order_by: str | None  # runway minus the lead time
    assumptions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    start: str
    months: int
    planning_peak: float
    capacity: CapacityModel
    forecast: PeakForecast
    events: tuple[Event, ...]
    scenarios: dict  # name -> Scenario; "nominal" and "worst_case"
    today_instances_needed: int | None
    today_capacity: float | None  # the peak today's fleet carries at the target utilization
    lead_time_days: int
    cost_per_instance: float | None
    notes: tuple[str, ...]
    event_effects: tuple[EventEffect, ...] = ()


def _rolling_month_max(paths: np.ndarray) -> np.ndarray:
    """For each path and grid point, the max over the month ending there (GRID_PER_MONTH points)."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    w = GRID_PER_MONTH
    padded = np.concatenate([np.repeat(paths[:, :1], w - 1, axis=1), paths], axis=1)
    return sliding_window_view(padded, w, axis=1).max(axis=2)


def _runway(curve, grid_days, capacity: float | None, start0: float) -> float | None:
    """First time (in days) the curve exceeds `capacity`; log-linear between grid points."""
    import numpy as np

    if capacity is None:
        return None
    if start0 > capacity:
        return 0.0
    over = np.flatnonzero(curve > capacity * (1 + 1e-12))
    if over.size == 0:
        return None
    i = int(over[0])
    t1, v1 = grid_days[i], curve[i]
    t0, v0 = (0.0, start0) if i == 0 else (grid_days[i - 1], curve[i - 1])
    if v0 <= 0 or v1 <= v0:
        return float(t1)
    frac = (math.log(capacity) - math.log(v0)) / (math.log(v1) - math.log(v0))
    return float(t0 + min(max(frac, 0.0), 1.0) * (t1 - t0))


def build_plan(*, start: dt.date, planning_peak: float, capacity: CapacityModel,
               forecast: PeakForecast, events: tuple[Event, ...] = (), months: int,
               lead_time_days: int = 0, cost_per_instance: float | None = None) -> Plan:
    import numpy as np

    grid = forecast.grid_days
    grid_dates = [start + dt.timedelta(days=float(d)) for d in grid]
    mult = np.array(day_multipliers(events, grid_dates))
    notes = []
    effects = []
    for e in events:
        last_in_month: dict[int, int] = {}
        for j, d in enumerate(grid_dates):
            if e.covers_day(d):
                last_in_month[j // GRID_PER_MONTH + 1] = j
        for month, j in sorted(last_in_month.items()):
            effects.append(EventEffect(e.name, month, float(grid[j] / DAYS_PER_MONTH), e.multiplier))
    horizon_end = start + dt.timedelta(days=months * DAYS_PER_MONTH)
    for e in events:
        if e.end.date() <= start:
            notes.append(f"event {e.name} ({e.start:%Y-%m-%d}) is before the plan starts: ignored")
        elif e.start.date() > horizon_end:
            notes.append(f"event {e.name} ({e.start:%Y-%m-%d}) is after the horizon: ignored")
    today_needed = capacity.instances_for(planning_peak) if capacity.sized else None
    current = capacity.current_instances
    today_capacity = capacity.carried_by(current) if (current and capacity.sized) else None
    scenarios = {}
    beyond_notes: set[int] = set()
    for name, paths, q in (("nominal", forecast.nominal_paths, 0.5),
                           ("worst_case", forecast.worst_paths, forecast.worst_quantile)):
        rolled = _rolling_month_max(paths * mult[None, :])
        curve = np.quantile(rolled, q, axis=0) if rolled.shape[0] > 1 else rolled[0]
        base_curve = np.quantile(_rolling_month_max(paths), q, axis=0) if paths.shape[0] > 1 \
            else _rolling_month_max(paths)[0]
        rows = []
        for m in range(1, months + 1):
            i = m * GRID_PER_MONTH - 1
            peak = float(curve[i])
            event = None
            if peak > float(base_curve[i]) * (1 + 1e-9):
                window = range(i - GRID_PER_MONTH + 1, i + 1)
                names = sorted({e.name for e in events for j in window
                                if mult[j] > 1 and e.covers_day(grid_dates[j])})
                event = ", ".join(names) or None
            inst = capacity.instances_for(peak) if capacity.sized else None
            beyond = capacity.sized and inst is None
            cells = cell_size = None
            if beyond:
                cells, cell_size = capacity.cells_for(peak)
                beyond_notes.add(m)
            add = (inst - current) if (inst is not None and current is not None) else None
            end_date = start + dt.timedelta(days=m * DAYS_PER_MONTH)
            rows.append(MonthRow(m, end_date.isoformat(), peak, inst,
                                 max(add, 0) if add is not None else None, event, beyond,
                                 cells, cell_size))
        run_days = _runway(curve, grid, today_capacity, planning_peak)
        runway = runway_months = order_by = None
        if run_days is not None:
            rdate = start + dt.timedelta(days=run_days)
            runway = rdate.isoformat()
            runway_months = run_days / DAYS_PER_MONTH
            order_by = (rdate - dt.timedelta(days=lead_time_days)).isoformat()
        assumptions = tuple(forecast.assumptions) if name == "nominal" else (
            f"the {forecast.worst_quantile:.0%} quantile of each month's peak"
            if forecast.worst_paths.shape[0] > 1 else
            f"worst-case growth {forecast.worst_monthly_growth:.1%} a month",)
        scenarios[name] = Scenario(name, tuple(rows), runway, runway_months, order_by, assumptions)
    if beyond_notes and capacity.fleet_usl is not None:
        u = capacity.fleet_usl
        first = min(beyond_notes)
        cells, size = capacity.cells_for(max(r.peak for s_ in scenarios.values()
                                             for r in s_.months if r.beyond_fleet_limit))
        cause = (f"kappa = {u.kappa:.3g} (coherency)" if u.kappa > 0 else
                 f"sigma = {u.sigma:.3g} (contention)")
        notes.append(f"from month {first} the peak exceeds what any single fleet carries: the "
                     f"scale-out fit peaks at X(N*) = {u.throughput(u.n_star_floor()):,.6g} "
                     f"req/s at {u.n_star_floor()} instances, because of {cause}; adding "
                     f"instances past N* lowers throughput. {cells} independent cells (shards) "
                     f"of at most {size} instances each would carry the highest peak")
    return Plan(start=start.isoformat(), months=months, planning_peak=planning_peak,
                capacity=capacity, forecast=forecast, events=tuple(events), scenarios=scenarios,
                today_instances_needed=today_needed, today_capacity=today_capacity,
                lead_time_days=lead_time_days, cost_per_instance=cost_per_instance,
                notes=tuple(notes), event_effects=tuple(effects))
