"""Orders in the month table: a month orders instances only when it needs more than the fleet
already has (today's fleet and every earlier month's own need); `add` stays the count beyond
today's fleet. Every expected date is worked out here from the growth formula."""
import datetime as dt
import math

import pandas as pd

from capplan.capacity import build_capacity
from capplan.growth import fixed_growth
from capplan.plan import build_plan

START = dt.date(2026, 1, 1)
M = 365.25 / 12  # days in a plan month


def plan(peak, growth, instances, months=6, lead=0):
    # 1,250 req/s per instance at 100%, 60% target: 750 usable; N instances carry N x 750.
    cap = build_capacity(planning_peak=None, per_instance=1250, instances=instances)
    fc = fixed_growth(pd.Timestamp(START), peak, months, growth)
    return build_plan(start=START, planning_peak=peak, capacity=cap, forecast=fc, months=months,
                      lead_time_days=lead)


def test_flat_demand_orders_once():
    # 10,000 req/s needs ceil(10,000 / 750) = 14; today's 10 are 4 short from the first day.
    rows = plan(10000, 0.0, 10).scenarios["nominal"].months
    assert [r.instances for r in rows] == [14] * 6 and [r.add for r in rows] == [4] * 6
    assert rows[0].order_by == rows[0].in_service_by == START.isoformat()
    for r in rows[1:]:
        assert r.order_by is None and r.in_service_by is None and r.order_late_days is None


def test_a_rise_orders_in_the_months_that_need_more_than_before():
    # 10,000 x 1.02^m at each month's end over 750 per instance: 13.6, 13.9, 14.1, 14.4, 14.7,
    # 15.0 -> 14, 14, 15, 15, 15, 16 instances; 13 today.
    s = plan(10000, 0.02, 13, lead=14).scenarios["nominal"]
    rows = s.months
    want = [math.ceil(10000 * 1.02 ** m / 750) for m in range(1, 7)]
    assert want == [14, 14, 15, 15, 15, 16]
    assert [r.instances for r in rows] == want and [r.add for r in rows] == [1, 1, 2, 2, 2, 3]
    ordering = [r.month for r in rows if r.order_by is not None]
    assert ordering == [1, 3, 6]

    def day(months_from_start):
        return START + dt.timedelta(days=math.floor(months_from_start * M))

    # Month 1: 13 carry 9,750 < 10,000 today: in service now, ordered now, 14 days late.
    assert rows[0].in_service_by == START.isoformat() and rows[0].order_late_days == 14
    # Month 3: the 14 already ordered carry 10,500; the path passes it at 1.02^t = 1.05.
    t3 = math.log(1.05) / math.log(1.02)
    assert rows[2].in_service_by == day(t3).isoformat() == "2026-03-16"
    assert rows[2].order_by == (day(t3) - dt.timedelta(days=14)).isoformat()
    assert rows[2].order_late_days == 0
    # Month 6: the 15 carry 11,250, passed at 1.02^t = 1.125.
    t6 = math.log(1.125) / math.log(1.02)
    assert rows[5].in_service_by == day(t6).isoformat() == "2026-07-01"
    # The scenario's dates are the first order's: the runway is today.
    assert s.runway == START.isoformat() and s.in_service_by == START.isoformat()


def test_spares_within_the_targets_headroom_are_said_to_be():
    # 10,000 req/s, 1,250 per instance: normal running needs ceil(10,000 / 750) = 14. With N+k
    # the k spares are lost: the survivors need ceil(10,000 / (1,250 x 0.8)) = 10, so N = 10 + k,
    # raised to 14 while 10 + k <= 14: k = 0..4 give 14; k = 5 gives 15.
    def run(spare):
        cap = build_capacity(planning_peak=None, per_instance=1250, spare=spare)
        fc = fixed_growth(pd.Timestamp(START), 10000, 1, 0.0)
        return build_plan(start=START, planning_peak=10000, capacity=cap, forecast=fc, months=1)

    for k, want in ((1, 14), (3, 14), (4, 14), (5, 15)):
        p = run(k)
        assert p.scenarios["nominal"].months[0].instances == want
        notes = [n for n in p.notes if "headroom" in n]
        if want == 14:
            # 14 - k survive: 10,000 / ((14 - k) x 1,250), e.g. k = 3: 11 left at 72.7%.
            after = 10000 / ((14 - k) * 1250)
            assert notes == [f"N+{k} is within the target's headroom: 14 instances, {14 - k} "
                             f"after losing the {k} spare(s), carry the planning peak 10,000 "
                             f"req/s at {after:.0%} (at most 80% allowed), so the 60% target, "
                             "not the loss, sets the count"]
        else:
            assert notes == []
    assert not [n for n in run(0).notes if "headroom" in n]  # nothing asked, nothing to say


def test_an_events_cost_is_stated_as_charged_and_pro_rata():
    from capplan.events import parse_event

    # Flat 10,000 req/s: 14 instances. A 48 h 3x event from day 60 (2026-03-02) meets months 2
    # (to day 60.875) and 3: 30,000 req/s needs ceil(30,000 / 750) = 40, 26 beyond the path's 14.
    cap = build_capacity(planning_peak=None, per_instance=1250)
    fc = fixed_growth(pd.Timestamp(START), 10000, 6, 0.0)
    p = build_plan(start=START, planning_peak=10000, capacity=cap, forecast=fc, months=6,
                   events=(parse_event("launch:2026-03-02:48h:3x"),), cost_per_instance=100,
                   currency="USD", prescale_days=7)
    rows = p.scenarios["nominal"].months
    assert [r.instances for r in rows] == [14, 40, 40, 14, 14, 14]
    assert [r.cost for r in rows] == [1400, 4000, 4000, 1400, 1400, 1400]  # held all month
    # Charged for the event: 26 x 100 x 2 months = 5,200. Held from the pre-scale date (day 53)
    # to its end (day 62), 9 days: 26 x 100 x 9 / 30.4375 = 768.7.
    pro = 26 * 100 * 9 / M
    note = [n for n in p.notes if n.startswith("event launch")]
    assert note == [f"event launch sets the peak of months 2 and 3: the cost holds it all month, "
                    f"charging its extra instances 5,200 USD (worst case 5,200 USD); held only "
                    f"from its pre-scale date to its end (9 days) they would cost about "
                    f"{pro:,.0f} USD (worst case {pro:,.0f} USD)"]
    assert "held all month" in p.cost_method
    # A cost per instance with cents: every figure to the cent, as the reports show costs then.
    # 26 x 99.99 x 2 = 5,199.48; 26 x 99.99 x 9 / 30.4375 = 768.71.
    c = build_plan(start=START, planning_peak=10000, capacity=cap, forecast=fc, months=6,
                   events=(parse_event("launch:2026-03-02:48h:3x"),), cost_per_instance=99.99,
                   currency="USD", prescale_days=7)
    cents = [n for n in c.notes if n.startswith("event launch")][0]
    assert "charging its extra instances 5,199.48 USD (worst case 5,199.48 USD)" in cents
    assert f"cost about {26 * 99.99 * 9 / M:,.2f} USD" in cents
    # Without a cost per instance there is nothing to say.
    q = build_plan(start=START, planning_peak=10000, capacity=cap, forecast=fc, months=6,
                   events=(parse_event("launch:2026-03-02:48h:3x"),))
    assert not [n for n in q.notes if n.startswith("event launch")]
