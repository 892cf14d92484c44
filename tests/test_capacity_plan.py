"""Capacity arithmetic and the plan, against the course's worked example and hand-worked cases."""
import datetime as dt

import pandas as pd
import pytest

from capplan.capacity import build_capacity
from capplan.errors import CapplanError
from capplan.events import parse_event
from capplan.growth import fixed_growth, parse_growth
from capplan.plan import build_plan

START = dt.date(2026, 1, 1)


def seed_plan(**kw):
    cap = build_capacity(planning_peak=10000, instances=20, utilization=0.40,
                         target_utilization=0.60, **kw)
    fc = fixed_growth(pd.Timestamp(START), 10000, 12, 0.10)
    return cap, build_plan(start=START, planning_peak=10000, capacity=cap, forecast=fc, months=12)


def test_worked_example_by_hand():
    # 10,000 req/s on 20 instances at 40%: 1,250 req/s at 100%, 750 usable at 60%.
    cap, plan = seed_plan()
    assert cap.per_instance_limit == 1250 and cap.usable_per_instance == 750
    rows = {r.month: r for r in plan.scenarios["nominal"].months}
    assert rows[5].peak == pytest.approx(16105.1) and rows[5].instances == 22   # 21.47 -> 22
    assert rows[8].peak == pytest.approx(21435.89) and rows[8].instances == 29
    assert rows[12].peak == pytest.approx(31384.28, abs=0.01) and rows[12].instances == 42
    assert rows[12].add == 22
    # Today's fleet carries 20 x 750 = 15,000: 1.1^t = 1.5 -> t = ln 1.5 / ln 1.1 = 4.254 months.
    assert plan.today_capacity == 15000
    assert plan.scenarios["nominal"].runway_months == pytest.approx(4.2541, abs=1e-3)
    assert plan.scenarios["nominal"].runway == (START + dt.timedelta(days=4.2541 * 30.4375)).isoformat()


def test_spare_and_zones_by_hand():
    cap = build_capacity(planning_peak=None, per_instance=1000, target_utilization=0.5, spare=1,
                         zones=3)
    # After losing a zone (or the spare) the survivors may run at 80%: 4,100 / 800 = 5.1 -> 6
    # must survive; two of three zones hold them: ceil(6/2) = 3 a zone, 9 in zones, N+1 -> 10.
    # Normal running needs 4,100 / 500 = 8.2 -> 9 <= 10: 10 instances, at 41% (4,100 / 10,000)
    # normally and 68% (4,100 / 6,000) on the 6 left after the loss.
    assert cap.instances_for(4100) == 10
    lay = cap.layout_for(4100)
    assert (lay.serving, lay.survivors) == (10, 6)
    assert cap.utilization(lay) == pytest.approx((0.41, 4100 / 6000))
    # 16 instances: 5 a zone + 1; normal 16 x 500 = 8,000; 10 survivors x 800 = 8,000.
    assert cap.carried_by(16) == 8000
    # With the survivors held to the normal target (0.5) the old N+k rule comes back:
    # ceil(4,100 / 500) = 9 survive -> ceil(9/2) = 5 a zone, 15, +1 = 16; 16 carry 10 x 500.
    strict = build_capacity(planning_peak=None, per_instance=1000, target_utilization=0.5,
                            spare=1, zones=3, degraded_utilization=0.5)
    assert strict.instances_for(4100) == 16 and strict.carried_by(16) == 5000
    assert build_capacity(planning_peak=None, per_instance=1000).instances_for(600) == 1
    # Exactly on a multiple: 15,000 / 750 = 20, not 21.
    assert build_capacity(planning_peak=None, per_instance=1250).instances_for(15000) == 20


def test_event_prescales_its_month():
    cap = build_capacity(planning_peak=None, per_instance=1000, target_utilization=0.5)
    fc = fixed_growth(pd.Timestamp(START), 1000, 3, 0.0)
    ev = parse_event("sale:2026-02-10:48h:3x")
    plan = build_plan(start=START, planning_peak=1000, capacity=cap, forecast=fc, events=(ev,),
                      months=3)
    peaks = [r.peak for r in plan.scenarios["nominal"].months]
    assert peaks == pytest.approx([1000, 3000, 1000])  # month 2 covers 01-31 .. 03-02
    assert plan.scenarios["nominal"].months[1].event == "sale"
    assert plan.scenarios["nominal"].months[1].instances == 6


def test_no_runway_within_horizon_and_order_by():
    cap = build_capacity(planning_peak=100, instances=10, utilization=0.1, target_utilization=0.6)
    fc = fixed_growth(pd.Timestamp(START), 100, 6, 0.05)
    plan = build_plan(start=START, planning_peak=100, capacity=cap, forecast=fc, months=6)
    assert plan.scenarios["nominal"].runway is None
    cap, plan2 = seed_plan()
    fc = fixed_growth(pd.Timestamp(START), 10000, 12, 0.10)
    plan2 = build_plan(start=START, planning_peak=10000, capacity=cap, forecast=fc, months=12,
                       lead_time_days=30)
    s = plan2.scenarios["nominal"]
    assert (dt.date.fromisoformat(s.runway) - dt.date.fromisoformat(s.order_by)).days == 30


def test_worst_growth_scenario():
    fc = fixed_growth(pd.Timestamp(START), 100, 2, 0.10, 0.20)
    cap = build_capacity(planning_peak=None, per_instance=10)
    plan = build_plan(start=START, planning_peak=100, capacity=cap, forecast=fc, months=2)
    assert plan.scenarios["worst_case"].months[1].peak == pytest.approx(144)
    assert plan.scenarios["nominal"].months[1].peak == pytest.approx(121)


@pytest.mark.parametrize("text,monthly", [("10%/month", 0.10), ("0.1", 0.10),
                                          ("21%/year", 1.21 ** (1 / 12) - 1), ("10%", 0.10)])
def test_parse_growth(text, monthly):
    assert parse_growth(text) == pytest.approx(monthly)


@pytest.mark.parametrize("kw,words", [
    (dict(utilization=1.5, instances=2), "utilization"),
    (dict(target_utilization=0), "target-utilization"),
    (dict(spare=-1), "spare"), (dict(zones=0), "zones"),
    (dict(instances=3), "--utilization"),
])
def test_capacity_validation(kw, words):
    with pytest.raises(CapplanError, match=words):
        build_capacity(planning_peak=100, **kw)


def test_events_parse_and_errors():
    e = parse_event("black-friday:2026-11-27:48h:3x")
    assert (e.name, e.duration_hours, e.multiplier) == ("black-friday", 48, 3)
    assert parse_event("launch:2026-03-01T09:30:90m:1.5").start == dt.datetime(2026, 3, 1, 9, 30)
    for bad in ("x", "a:notadate:1h:2x", "a:2026-01-01:zz:2x", "a:2026-01-01:1h:-2"):
        with pytest.raises(CapplanError):
            parse_event(bad)
