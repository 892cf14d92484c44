"""Invariants of the plan over random demand paths, capacities, redundancy and events (hypothesis,
derandomized: the same examples every run), and over random traffic series through the growth
forecast. A plan that breaks one contradicts itself somewhere a reviewer would look."""
import dataclasses
import datetime as dt
import functools
import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from capplan.capacity import build_capacity
from capplan.events import Event
from capplan.growth import GRID_PER_MONTH, fixed_growth, forecast_peaks
from capplan.outputs.json import plan_doc
from capplan.plan import build_plan
from capplan.usl import USL

START = dt.date(2026, 3, 1)
FAST = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
# Quantities that are signed by nature (a growth rate may be negative); every other number in
# plan.json is a count, a rate, a share, a day or a cost and must be >= 0.
SIGNED = {"monthly_growth", "worst_monthly_growth", "growth_before", "growth_after",
          "residuals", "parameters", "change_point", "interval_widening", "start_day"}


@st.composite
def capacities(draw):
    zones = draw(st.integers(1, 4))
    spare = draw(st.integers(0, 3))
    kw = dict(target_utilization=draw(st.floats(0.1, 1.0)),
              degraded_utilization=draw(st.floats(0.1, 1.0)), zones=zones, spare=spare,
              cell_overhead=draw(st.integers(0, 2)))
    if draw(st.booleans()):
        return build_capacity(planning_peak=None, per_instance=draw(st.floats(1, 1e5)),
                              **kw), "linear"
    # A scale-out fit with a peak comfortably above the smallest zone layout.
    kappa = draw(st.floats(1e-5, 2e-3))
    sigma = draw(st.floats(0.0, 0.2))
    usl = USL(sigma, kappa, draw(st.floats(1, 1000)))
    if usl.n_max() < zones + spare + 1:
        usl = USL(sigma, 1e-5, usl.lambda_)
    return build_capacity(planning_peak=None, fleet_usl=usl, **kw), "usl"


@st.composite
def paths(draw, months):
    """A nominal path (a random walk of the log, rising and falling) and a worst case above it,
    drawn from a seeded generator (fast to draw, still the same examples every run)."""
    n = months * GRID_PER_MONTH
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    p0 = draw(st.floats(1.0, 1e5))
    drift, vol = draw(st.floats(-0.02, 0.03)), draw(st.floats(0.0, 0.08))
    nominal = p0 * np.exp(np.cumsum(drift + vol * rng.standard_normal(n)))
    worst = nominal * (1 + draw(st.floats(0, 0.6)) * rng.random(n))
    return p0, nominal, worst


@st.composite
def plans(draw):
    months = draw(st.integers(1, 6))
    p0, nominal, worst = draw(paths(months))
    cap, kind = draw(capacities())
    current = draw(st.none() | st.integers(1, 300))
    cap = dataclasses.replace(cap, current_instances=current)
    events = []
    for i in range(draw(st.integers(0, 3))):
        start = dt.datetime.combine(START, dt.time()) + dt.timedelta(
            hours=draw(st.floats(-300, months * 730 + 300)))
        events.append(Event(f"e{i}", start, draw(st.floats(0.5, 200)), draw(st.floats(1, 5))))
    fc = dataclasses.replace(flat_forecast(months), nominal=nominal, worst_case=worst)
    plan = build_plan(start=START, planning_peak=p0, capacity=cap, forecast=fc,
                      events=tuple(events), months=months,
                      lead_time_days=draw(st.integers(0, 90)),
                      prescale_days=draw(st.integers(0, 14)),
                      cost_per_instance=draw(st.none() | st.floats(0, 1e4)))
    return plan, kind


@functools.cache
def flat_forecast(months):
    """A forecast shell whose two demand paths each example replaces."""
    return fixed_growth(pd.Timestamp(START), 1.0, months, 0.0)


def check_numbers(obj, key=""):
    """Every number in the JSON document is finite, and >= 0 unless signed by nature."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in SIGNED:
                check_numbers(v, k)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            check_numbers(v, key)
    elif isinstance(obj, (int, float, np.integer, np.floating)) and not isinstance(obj, bool):
        assert math.isfinite(obj), f"{key} = {obj}"
        assert obj >= 0, f"{key} = {obj}"


def check_plan(plan, kind):
    start = plan.start
    cap = plan.capacity
    current = cap.current_instances
    nom, worst = plan.scenarios["nominal"], plan.scenarios["worst_case"]
    doc = plan_doc(plan)
    # The plan's own sections: every number finite and not negative, checked before the JSON
    # writer could turn a non-finite one into null (the writer itself never writes NaN).
    for key in ("capacity", "events", "scenarios", "planning_peak", "lead_time_days",
                "prescale_days", "cost_per_instance"):
        check_numbers(doc[key], key)
    for s in (nom, worst):
        rows = s.months
        for r in rows:
            # A month's peak is the highest step of its path rows.
            assert r.peak == max(s.path.peak[(r.month - 1) * GRID_PER_MONTH:
                                             r.month * GRID_PER_MONTH])
            if r.instances is not None:
                assert r.instances >= 0 and r.cost in (None, r.cost)
                # Never past N*: one fleet or each cell's serving instances.
                if cap.n_max is not None:
                    served = r.instances if r.cells is None else r.cell_size - cap.cell_overhead
                    assert served <= cap.n_max
                if r.cells is not None:
                    assert r.instances == r.cells * r.cell_size
                # Sized to the limits: normal running and after the loss within what is allowed.
                allowed = (cap.usable_per_instance / cap.per_instance_limit
                           if cap.per_instance_limit else cap.target_utilization)
                assert r.utilization <= allowed * (1 + 1e-9)
                if r.utilization_after_loss is not None:
                    assert r.utilization_after_loss <= cap.degraded_utilization * (1 + 1e-9)
            for d in (r.order_by,):
                assert d is None or d >= start
            # An order only where instances are added, with the day they serve from.
            assert r.order_by is None or (r.add and r.in_service_by is not None)
        if current is not None and not plan.events:
            # Without events, a month orders exactly when it needs more than today's fleet and
            # every earlier month had: instances bought are kept, never ordered twice.
            had = current
            for r in rows:
                if r.instances is None:
                    continue
                assert (r.order_by is not None) == (r.instances > had), (r.month, had)
                had = max(had, r.instances)
        # The runway falls in the first month whose instances exceed today's fleet.
        over = [r for r in rows if current is not None and r.instances is not None
                and r.instances > current]
        if s.runway is None:
            assert not over
        else:
            first = over[0]
            prev_end = rows[first.month - 2].date if first.month > 1 else start
            assert start <= s.runway and prev_end <= s.runway <= first.date
            assert s.order_by >= start and s.order_late_days >= 0
            assert s.in_service_by <= s.runway
        for ev in s.events:
            assert ev.order_by is None or ev.order_by >= start
    # The worst case is at least the nominal: peaks always, instances for one fleet.
    for rn, rw in zip(nom.months, worst.months):
        assert rw.peak >= rn.peak
        if kind == "linear" and rn.instances is not None:
            assert rw.instances >= rn.instances
    for en, ew in zip(nom.events, worst.events):
        assert (en.peak is None) == (ew.peak is None)
        assert en.peak is None or ew.peak >= en.peak


@FAST
@given(plans())
def test_plan_invariants_over_random_paths(drawn):
    check_plan(*drawn)


@FAST
@given(capacities(), st.lists(st.floats(0.01, 1e6), min_size=2, max_size=40))
def test_instances_never_decrease_as_the_peak_rises(drawn, peaks):
    cap, kind = drawn
    peaks = sorted(peaks)
    if kind == "linear":
        counts = [cap.instances_for(p) for p in peaks]
        assert counts == sorted(counts)
        return
    # A scale-out fit: one fleet grows with the peak up to N*; past it the number of cells
    # grows, and for a given number of cells so does their size.
    lays = [cap.layout_for(p) for p in peaks]
    fleets = [lay.instances for lay in lays if lay.cells is None]
    assert fleets == sorted(fleets) and all(n <= cap.n_max for n in fleets)
    cells = [lay.cells or 1 for lay in lays]
    assert cells == sorted(cells)
    for k in set(cells) - {1}:
        sizes = [lay.cell_size for lay in lays if lay.cells == k]
        assert sizes == sorted(sizes)


@FAST
@given(capacities(), st.integers(1, 500))
def test_what_a_fleet_carries_is_what_it_is_sized_for(drawn, n):
    """carried_by(N) is the largest peak N instances are sized for: a little more needs more."""
    cap, kind = drawn
    carried = cap.carried_by(n)
    if carried <= 0:
        return
    assert cap.instances_for(carried * (1 - 1e-9)) <= n
    if kind == "linear" or n < cap.n_max:
        bigger = cap.fleet_layout(carried * (1 + 1e-6))
        assert bigger is None or bigger.instances > min(n, cap.n_max or n)


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.generate])  # a forecast a draw: no slow shrinking
@given(st.integers(21, 45), st.floats(-0.01, 0.02), st.floats(0.0, 0.3), st.integers(0, 10**6),
       st.integers(1, 2), capacities())
def test_plan_invariants_over_random_series(days, trend, noise, seed, months, drawn):
    """Random daily peaks through the growth forecast and the plan."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    y = 1000 * np.exp(trend * t + noise * rng.standard_normal(days)) * (1 + 0.2 * (t % 7 == 4))
    peaks = pd.Series(y, index=pd.date_range("2026-01-01", periods=days, freq="D"))
    fc = forecast_peaks(peaks, months)
    cap, kind = drawn
    cap = dataclasses.replace(cap, current_instances=int(rng.integers(1, 50)))
    plan = build_plan(start=fc.start.date(), planning_peak=float(y[-28:].max()), capacity=cap,
                      forecast=fc, months=months, lead_time_days=30,
                      cost_per_instance=250.0)
    check_plan(plan, kind)
