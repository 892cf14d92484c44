"""The plan: per scenario, month rows, the runway, order-by dates and the events, all read from one
stepped demand path (`capplan.demand`). Pure; no I/O.

Month m covers (m - 1, m] x 30.4375 days after the start (the last observation, or today for a
what-if plan); month 1 includes today. For each scenario:
- a month's peak is the path's highest step in the month; its instances come from that peak
  (`CapacityModel.layout_for`: one fleet, or cells past what one fleet carries);
- the runway is the first day, within the first month whose instances exceed today's fleet, on
  which the path needs more instances than today's fleet has: the crossing day log-linear between
  grid points where the path rises smoothly, the event's start where an event steps it up;
- a month row orders instances only when it needs more than the fleet already has: today's fleet,
  every earlier month's need without events (capacity bought for the path is kept), and an event's
  instances while that event, already under way in an earlier month, lasts (an event's scale-up is
  ordered once, for the event). `add` stays the count beyond today's fleet; a month that needs no
  more than the fleet has shows no in-service or order-by date;
- capacity must be in service on that day, or, for an event, `prescale_days` before the event
  starts; a month row that orders is in service by the first day in the month the path needs more
  than the fleet has (or its event's pre-scale date, if earlier); the scenario's in-service date
  is the earliest of its months';
- order-by = in-service - lead time. It is never before the plan's start: a late order is the
  start date, with `order_late_days` saying how late ("order now, N days late").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from capplan.numbers import plain

if TYPE_CHECKING:
    from capplan.capacity import CapacityModel, CellAlternative
    from capplan.demand import DemandPath
    from capplan.events import Event
    from capplan.growth import PeakForecast
    from capplan.limits import RateLimits

from capplan.demand import build_path, crossing_day, date_of
from capplan.growth import DAYS_PER_MONTH, GRID_PER_MONTH
from capplan.growth.values import WINDOW_DAYS

COST_METHOD = ("a month's cost = the month's instances x cost_per_instance (one instance for one "
               "month): the month's peak, an event's step included, held all month (a note "
               "gives what an event's extra instances cost held only over its days); a "
               "scenario's total_cost = the sum of its months' costs over the plan")


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: int
    date: str  # the month's last day, YYYY-MM-DD
    peak: float
    instances: int | None  # one fleet, or cells x cell_size
    add: int | None  # instances beyond today's fleet (0 when it suffices)
    event: str | None  # the event(s) that set this month's peak, if any
    beyond_fleet_limit: bool = False  # no single fleet carries it (USL: past N*): cells
    cells: int | None = None  # when beyond: independent cells of `cell_size` that carry it
    cell_size: int | None = None  # instances a cell, its overhead included
    # Only for a month that needs more than the fleet already has (see the module docstring):
    order_by: str | None = None  # when the month's new instances must be ordered (never past)
    order_late_days: int | None = None
    in_service_by: str | None = None  # the first day in the month the path needs them
    cell_alternative: CellAlternative | None = None
    cost: float | None = None
    utilization: float | None = None  # normal running at the month's peak
    utilization_after_loss: float | None = None
    # Instances at the high and the low end of the limit's interval (a limit fitted from
    # production metrics); None without an interval or where its bound is unbounded.
    instances_low: int | None = None
    instances_high: int | None = None


@dataclass(frozen=True, slots=True)
class EventEffect:
    """Where an event lands in the plan: in plan month `month`, at `at_months` (months from the
    start) the forecast path peaks within the event's window; its multiplier applies there."""

    name: str
    month: int
    at_months: float
    multiplier: float


@dataclass(frozen=True, slots=True)
class EventPlan:
    """One event in one scenario, planned as capacity planners plan it."""

    name: str
    peak: float | None  # multiplier x the path's peak over the event's window
    base_peak: float | None  # the path's peak over the window, before the multiplier
    instances: int | None
    add: int | None
    cells: int | None
    cell_size: int | None
    in_service_by: str  # the event's start - prescale days
    order_by: str | None  # in_service_by - lead time, never before the plan's start
    order_late_days: int | None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    months: tuple[MonthRow, ...]
    runway: str | None  # ISO date, or None when today's fleet lasts the horizon
    runway_months: float | None
    order_by: str | None  # in_service_by - lead time, never before the start
    assumptions: tuple[str, ...]
    order_late_days: int | None = None
    in_service_by: str | None = None  # the earliest day more than today's fleet must serve
    runway_event: str | None = None  # the event that sets the runway, if one does
    label: str = ""
    total_cost: float | None = None
    path: DemandPath | None = None
    events: tuple[EventPlan, ...] = ()


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
    prescale_days: int = 7
    currency: str | None = None
    cost_method: str = COST_METHOD
    utilization_normal: float | None = None  # the fleet sized for the planning peak, normally
    utilization_after_loss: float | None = None  # and after the loss
    rate_limits: RateLimits | None = None


def _order(start: dt.date, in_service: dt.date, lead_time_days: int) -> tuple[str, int]:
    """(order-by date, days late): never before the start."""
    ideal = in_service - dt.timedelta(days=lead_time_days)
    if ideal < start:
        return start.isoformat(), (start - ideal).days
    return ideal.isoformat(), 0


class _Needs:
    """Instances for a peak, remembered (the same peaks recur across months and events)."""

    def __init__(self, capacity: CapacityModel):
        self.capacity, self.memo, self.ranges = capacity, {}, {}

    def instance_range(self, peak: float) -> tuple[int | None, int | None]:
        if peak not in self.ranges:
            self.ranges[peak] = self.capacity.instance_range(peak)
        return self.ranges[peak]

    def layout(self, peak: float):
        if peak not in self.memo:
            self.memo[peak] = self.capacity.layout_for(peak)
        return self.memo[peak]

    def over(self, peak: float, current: int) -> bool:
        lay = self.layout(peak)
        return lay is not None and lay.instances > current


def _month_over(path: DemandPath, m: int, needs: _Needs, current: int, threshold: float,
                prescale: int) -> tuple[float, float, str | None] | None:
    """In month m: (the first day the path needs more than `current` instances, the earliest day
    capacity for that must be in service, the event that sets the first day or None). The path
    itself is needed from the day it is needed; an event's step from its pre-scale date."""
    steps = range((m - 1) * GRID_PER_MONTH, m * GRID_PER_MONTH)
    if needs.capacity.fleet_usl is not None:
        # With a scale-out fit, cell layouts do not order by instance count (2 cells of 19 do
        # not hold 3 of 10): more is needed from the first day the path passes what the fleet
        # carries as one fleet (past N*, at N*), the early side, as the workbook counts it.
        def over(x):
            return x > threshold
    else:
        def over(x):
            return needs.over(x, current)
    cands = []
    for j in steps:
        if over(path.base_part(j)):
            t = 0.0 if (j == 0 and over(path.start_value)) else \
                crossing_day(path, j, threshold)
            cands.append((t, t, None))
            break  # later steps of the path are later
    for st in path.events:
        if st.peak is None or not over(st.peak):
            continue
        met = [j for j in st.steps if j in steps]
        if met:
            t = max(st.start_day, path.knot(met[0] - 1)[0], 0.0)
            cands.append((t, st.start_day - prescale, st.event.name))
    if not cands:
        return None
    first, _, name = min(cands, key=lambda c: c[0])
    return first, min(c[1] for c in cands), name


def _fleet_has(path: DemandPath, window: range, needs: _Needs, held: int) -> int:
    """The instances the fleet has going into the month: `held` (today's and the earlier months'
    own needs), or an event's, when that event met an earlier month and is still on in this one
    (its scale-up was ordered with its first month)."""
    has = held
    for st in path.events:
        if st.peak is not None and st.steps and st.steps[0] < window.start <= st.steps[-1]:
            lay = needs.layout(st.peak)
            if lay is not None:
                has = max(has, lay.instances)
    return has


def _scenario(name: str, path: DemandPath, *, start: dt.date, capacity: CapacityModel,
              months: int, lead_time_days: int, cost_per_instance: float | None,
              prescale_days: int, needs: _Needs, notes: list) -> Scenario:
    current = capacity.current_instances
    held = current  # instances the fleet keeps: today's, then every earlier month's own need
    rows = []
    runway_day = in_service_day = runway_event = None
    split_noted = False
    for m in range(1, months + 1):
        window = range((m - 1) * GRID_PER_MONTH, m * GRID_PER_MONTH)
        i = max(window, key=lambda j: path.peak[j])
        peak = float(path.peak[i])
        lay = needs.layout(peak) if capacity.sized else None
        inst = None if lay is None else lay.instances
        add = (max(inst - current, 0) if (inst is not None and current is not None) else None)
        order_by = late = ins_date = None
        has = _fleet_has(path, window, needs, held) if add else None
        if add and inst > has:
            threshold = capacity.carried_by(has)
            got = _month_over(path, m, needs, has, threshold, prescale_days)
            if got is not None:
                first, ins, ev = got
                ins_date = date_of(start, ins)
                order_by, late = _order(start, ins_date, lead_time_days)
                if runway_day is None:
                    runway_day, runway_event = first, ev
                in_service_day = ins if in_service_day is None else min(in_service_day, ins)
        elif lay is not None and lay.cells and current is not None and not split_noted:
            split_noted = True
            notes.append(f"{name.replace('_', ' ')} month {m}: one fleet of today's {current} "
                         f"no longer carries the peak; {lay.cells} cells of {lay.cell_size} "
                         f"({inst} instances, no more than today's) do, if the contended "
                         "resource is split with them")
        if held is not None and capacity.sized:
            own = needs.layout(max(path.base_part(j) for j in window))
            held = held if own is None else max(held, own.instances)
        util = capacity.utilization(lay) if lay is not None else (None, None)
        low, high = needs.instance_range(peak) if capacity.sized else (None, None)
        end_date = start + dt.timedelta(days=m * DAYS_PER_MONTH)
        rows.append(MonthRow(
            month=m, date=end_date.isoformat(), peak=peak, instances=inst, add=add,
            event=path.event[i], beyond_fleet_limit=bool(lay is not None and lay.cells),
            cells=None if lay is None else lay.cells,
            cell_size=None if lay is None else lay.cell_size,
            order_by=order_by, order_late_days=late,
            in_service_by=None if ins_date is None else ins_date.isoformat(),
            cell_alternative=None if lay is None else capacity.cell_alternative(peak, lay),
            cost=None if (inst is None or cost_per_instance is None) else inst * cost_per_instance,
            utilization=util[0], utilization_after_loss=util[1], instances_low=low,
            instances_high=high))
    runway = runway_months = order_by = late = ins_iso = None
    if runway_day is not None:
        runway = date_of(start, runway_day).isoformat()
        runway_months = runway_day / DAYS_PER_MONTH
        ins_date = date_of(start, in_service_day)
        ins_iso = ins_date.isoformat()
        order_by, late = _order(start, ins_date, lead_time_days)
    costs = [r.cost for r in rows]
    total = None if any(c is None for c in costs) else float(sum(costs))
    events = tuple(_event_plan(st, start=start, capacity=capacity, needs=needs,
                               prescale_days=prescale_days, lead_time_days=lead_time_days)
                   for st in path.events)
    return Scenario(name, tuple(rows), runway, runway_months, order_by, (), late, ins_iso,
                    runway_event, "", total, path, events)


def _event_plan(st, *, start, capacity, needs, prescale_days, lead_time_days) -> EventPlan:
    in_service = date_of(start, st.start_day - prescale_days)
    lay = needs.layout(st.peak) if (st.peak is not None and capacity.sized) else None
    inst = None if lay is None else lay.instances
    current = capacity.current_instances
    add = max(inst - current, 0) if (inst is not None and current is not None) else None
    order_by = late = None
    if st.peak is not None and (add is None or add > 0):
        order_by, late = _order(start, in_service, lead_time_days)
    return EventPlan(st.event.name, st.peak, st.base_peak, inst, add,
                     None if lay is None else lay.cells, None if lay is None else lay.cell_size,
                     in_service.isoformat(), order_by, late)


def build_plan(*, start: dt.date, planning_peak: float, capacity: CapacityModel,
               forecast: PeakForecast, events: tuple[Event, ...] = (), months: int,
               lead_time_days: int = 0, cost_per_instance: float | None = None,
               prescale_days: int = 7, currency: str | None = None) -> Plan:
    import numpy as np

    from capplan.limits import rate_limits

    n = months * GRID_PER_MONTH
    grid = np.asarray(forecast.grid_days, float)[:n]
    notes: list[str] = []
    horizon_end = start + dt.timedelta(days=months * DAYS_PER_MONTH)
    for e in events:
        if e.end.date() <= start:
            notes.append(f"event {e.name} ({e.start:%Y-%m-%d}) is before the plan starts: ignored")
        elif e.start.date() > horizon_end:
            notes.append(f"event {e.name} ({e.start:%Y-%m-%d}) is after the horizon: ignored")
        elif e.end > dt.datetime.combine(horizon_end, dt.time()):
            notes.append(f"event {e.name} runs past the plan's horizon: its step is the "
                         "multiplier times the path's peak over the part inside the plan (plan "
                         "further ahead to include the rest)")
    needs = _Needs(capacity)
    scenarios = {}
    same = bool(np.array_equal(np.asarray(forecast.worst_case)[:n], np.asarray(forecast.nominal)[:n]))
    for name, base in (("nominal", forecast.nominal), ("worst_case", forecast.worst_case)):
        path = build_path(start=start, grid_days=grid, base=np.asarray(base, float)[:n],
                          start_value=planning_peak, events=tuple(events))
        s = _scenario(name, path, start=start, capacity=capacity, months=months,
                      lead_time_days=lead_time_days, cost_per_instance=cost_per_instance,
                      prescale_days=prescale_days, needs=needs, notes=notes)
        if name == "nominal":
            label, assumptions = "nominal", tuple(forecast.assumptions)
        else:
            label = "worst case = nominal (give --worst-growth)" if same else "worst case"
            # As the growth stage says it: the quantile is of each day's window peak, and a
            # month is sized for its highest day.
            assumptions = (f"the {forecast.worst_quantile:.0%} quantile of each day's planning "
                           f"peak (the highest daily peak of the {WINDOW_DAYS} days up to it); "
                           "each month is sized for its highest day"
                           if forecast.worst_paths.shape[0] > 1 else
                           f"worst-case growth {forecast.worst_monthly_growth:.1%} a month",)
            if same:
                assumptions += ("the worst case equals the nominal case: give --worst-growth "
                                "for a worst case",)
        scenarios[name] = Scenario(**{**{f: getattr(s, f) for f in Scenario.__dataclass_fields__},
                                      "label": label, "assumptions": assumptions})
    effects = _event_effects(scenarios["nominal"].path)
    today = needs.layout(planning_peak) if capacity.sized else None
    current = capacity.current_instances
    today_capacity = capacity.carried_by(current) if (current and capacity.sized) else None
    util = capacity.utilization(today) if today is not None else (None, None)
    notes += _cell_notes(capacity, scenarios)
    notes += _headroom_note(capacity, planning_peak)
    notes += _event_cost_notes(scenarios, needs, cost_per_instance, currency, prescale_days)
    return Plan(start=start.isoformat(), months=months, planning_peak=planning_peak,
                capacity=capacity, forecast=forecast, events=tuple(events), scenarios=scenarios,
                today_instances_needed=None if today is None else today.instances,
                today_capacity=today_capacity, lead_time_days=lead_time_days,
                cost_per_instance=cost_per_instance, notes=tuple(notes),
                event_effects=effects, prescale_days=prescale_days, currency=currency,
                utilization_normal=util[0], utilization_after_loss=util[1],
                rate_limits=rate_limits(capacity))


def _event_effects(path: DemandPath) -> tuple[EventEffect, ...]:
    out = []
    for st in path.events:
        if st.peak is None:
            continue
        for month in sorted({j // GRID_PER_MONTH + 1 for j in st.steps}):
            out.append(EventEffect(st.event.name, month, st.base_peak_day / DAYS_PER_MONTH,
                                   st.event.multiplier))
    return tuple(out)


def _event_cost_notes(scenarios: dict, needs: _Needs, cost: float | None, currency: str | None,
                      prescale: int) -> list[str]:
    """What an event's extra instances cost: as charged (whole months at the event's step) and
    held only from its pre-scale date to its end, pro rata of a month. A 48-hour launch that sets
    two months' peaks is otherwise read as two months of its capacity."""
    if not cost or not needs.capacity.sized:
        return []
    unit = f" {currency}" if currency else ""
    # To the cent when a cost per instance has cents, as the reports show every cost then.
    places = 0 if float(cost).is_integer() else 2
    out = []
    nominal = scenarios["nominal"]
    for k, st in enumerate(nominal.path.events if nominal.path else ()):
        figures, months = [], []
        for key in ("nominal", "worst_case"):
            s = scenarios[key]
            st_s = s.path.events[k]
            got = _event_extra(s, st_s, needs, prescale)
            if got is None:
                break
            charged, extra, days, ms = got
            months = months or ms
            figures.append((charged, extra * cost * days / DAYS_PER_MONTH))
        if len(figures) < 2 or figures[0][0] <= 0:
            continue
        (c_n, p_n), (c_w, p_w) = figures
        which = " and ".join(str(m) for m in months) if len(months) < 4 else \
            f"{months[0]} to {months[-1]}"
        out.append(f"event {st.event.name} sets the peak of month{'s' if len(months) > 1 else ''} "
                   f"{which}: the cost holds it all month, charging its extra instances "
                   f"{c_n:,.{places}f}{unit} (worst case {c_w:,.{places}f}{unit}); held only "
                   f"from its pre-scale date to its end ({days:g} days) they would cost about "
                   f"{p_n:,.{places}f}{unit} (worst case {p_w:,.{places}f}{unit})")
    return out


def _event_extra(s: Scenario, st, needs: _Needs, prescale: int):
    """(charged for the event's extra instances over the months it sets, the extra instances
    at its step, the days they are held, the months) for one event in one scenario; None when
    the event is outside the plan or adds no instance."""
    path = s.path
    if st.peak is None or not st.steps:
        return None
    charged, extra, months = 0.0, 0, []
    ev_lay = needs.layout(st.peak)
    for r in s.months:
        window = range((r.month - 1) * GRID_PER_MONTH, r.month * GRID_PER_MONTH)
        if r.instances is None or not any(j in window for j in st.steps):
            continue
        own = needs.layout(max(path.base_part(j) for j in window))
        if own is None or r.instances <= own.instances:
            continue
        months.append(r.month)
        charged += (r.instances - own.instances) * r.cost / r.instances
        if ev_lay is not None:
            extra = max(extra, ev_lay.instances - own.instances)
    if not months:
        return None
    days = max(0.0, min(st.end_day, path.horizon) - max(st.start_day - prescale, 0.0))
    return charged, extra, round(days, 2), months


def _headroom_note(capacity: CapacityModel, peak: float) -> list[str]:
    """Say so when the zones or spares asked for add no instance at the planning peak: the
    reader who asked for N+3 and sees the N+0 count must learn it is not ignored."""
    lay = capacity.within_headroom(peak)
    if lay is None or not lay.survivors:
        return []
    asked = ", ".join(([f"N+{capacity.spare}"] if capacity.spare else []) +
                      ([f"{capacity.zones} zones"] if capacity.zones > 1 else []))
    after = capacity.utilization(lay)[1]
    return [f"{asked} is within the target's headroom: {lay.instances} instances, "
            f"{lay.survivors} after losing {capacity.describe_loss()}, carry the planning peak "
            f"{plain(peak)} {capacity.unit} at {after:.0%} (at most {capacity.degraded_utilization:.0%} "
            f"allowed), so the {capacity.target_utilization:.0%} target, not the loss, sets the "
            "count"]


def _cell_notes(capacity: CapacityModel, scenarios: dict) -> list[str]:
    u = capacity.fleet_usl
    if u is None:
        return []
    rows = [r for s in scenarios.values() for r in s.months]
    beyond = [r for r in rows if r.beyond_fleet_limit]
    alt = [r for r in rows if r.cell_alternative is not None]
    out = []
    if beyond:
        first = min(r.month for r in beyond)
        top = max(beyond, key=lambda r: r.peak)
        cause = (f"kappa = {u.kappa:.3g} (coherency)" if u.kappa > 0 else
                 f"sigma = {u.sigma:.3g} (contention)")
        out.append(f"from month {first} the peak exceeds what any single fleet carries: the "
                   f"scale-out fit peaks at N* = {u.n_star or float('inf'):.3g} instances "
                   f"(X = {plain(u.throughput(capacity.n_max))} {capacity.unit} at "
                   f"{capacity.n_max}), "
                   f"because of {cause}; adding instances past N* lowers throughput. The plan "
                   f"splits it into the fewest cells that carry it (month {top.month}: "
                   f"{top.cells} cells of {top.cell_size})")
    if alt:
        r = max(alt, key=lambda r: r.cell_alternative.saving)
        a = r.cell_alternative
        now = (f"{r.cells} cells of {r.cell_size} ({r.instances} instances)" if r.cells else
               f"one fleet of {r.instances}")
        more = "more, smaller cells" if r.cells else "cells"
        out.append(f"{more} would save {a.saving:.0%} in month {r.month}: {a.cells} cells of "
                   f"{a.cell_size} ({a.instances} instances) instead of {now}")
    if beyond or alt:
        out.append("cells help only when the contended resource (the database, a lock, a cache) "
                   "is split with them: each cell needs its own; cells that share one database "
                   "contend on it as one fleet does")
    return out
