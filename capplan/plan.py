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


def _runway_index(curve, capacity: CapacityModel, current: int | None) -> int | None:
    """First grid index at which the demand path needs more instances than today's fleet: the
    same instance function as the month table, so the runway falls in the first month whose
    instances exceed today's fleet."""
    if current is None or not capacity.sized:
        return None
    for j, v in enumerate(curve):
        need = capacity.instances_for(float(v))
        if need is None or need > current:
            return j
    return None


def _crossing_day(curve, grid, j: int, mult, capacity: float | None) -> float:
    """The day within grid step j at which a smooth path crosses `capacity` (log-linear between
    the two grid points); the grid day itself where an event steps the path up there."""
    if j == 0 or capacity is None or mult[j] != mult[j - 1]:
        return float(grid[j])
    v0, v1 = float(curve[j - 1]), float(curve[j])
    if not 0 < v0 < capacity < v1:
        return float(grid[j])
    frac = (math.log(capacity) - math.log(v0)) / (math.log(v1) - math.log(v0))
    return float(grid[j - 1] + frac * (grid[j] - grid[j - 1]))


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
    for name, path in (("nominal", forecast.nominal), ("worst_case", forecast.worst_case)):
        curve = np.asarray(path, float) * mult
        rows = []
        for m in range(1, months + 1):
            window = range((m - 1) * GRID_PER_MONTH, m * GRID_PER_MONTH)
            i = max(window, key=lambda j: curve[j])
            peak = float(curve[i])
            event = None
            if mult[i] > 1:
                names = sorted({e.name for e in events if e.covers_day(grid_dates[i])})
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
        runway = runway_months = order_by = None
        short_today = (today_needed is not None and current is not None and today_needed > current)
        j = None if short_today else _runway_index(curve[: months * GRID_PER_MONTH], capacity,
                                                    current)
        if short_today or j is not None:
            run_days = 0.0 if short_today else _crossing_day(curve, grid, j, mult,
                                                              today_capacity)
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
