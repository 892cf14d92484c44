"""The plan never contradicts itself: events as steps, dates never in the past, cells by hand, the
two-state sizing rule, the latency objective as a second limit. Every expected number is worked
out here by hand or by an independent method (a brute-force search, numerical integration)."""
import dataclasses
import json
import datetime as dt
import math

import pytest

from capplan.capacity import build_capacity
from capplan.errors import CapplanError
from capplan.events import parse_event
from capplan.growth import fixed_growth
from capplan.pipeline import Settings, plan_from_numbers, today_utc
from capplan.plan import build_plan
from capplan.usl import USL

START = dt.date(2026, 1, 1)
M = 30.4375  # days in a plan month


def day(n: float) -> dt.date:
    return START + dt.timedelta(days=math.floor(n))


def seed_capacity(**kw):
    # 10,000 req/s on 20 instances at 40%: 1,250 at 100%, 750 usable at 0.6; 20 carry 15,000.
    return build_capacity(planning_peak=10000, instances=20, utilization=0.40,
                          target_utilization=0.60, **kw)


def plan_with(events=(), months=6, growth=0.10, lead=0, worst=None, capacity=None, peak=10000,
              **kw):
    import pandas as pd

    cap = capacity or seed_capacity()
    fc = fixed_growth(pd.Timestamp(START), peak, months, growth, worst)
    return build_plan(start=START, planning_peak=peak, capacity=cap, forecast=fc,
                      events=tuple(parse_event(e) for e in events), months=months,
                      lead_time_days=lead, **kw)


# ---- events as steps ---------------------------------------------------------------------------

def test_event_is_a_step_of_its_window_peak_with_prescale_and_order_by():
    plan = plan_with(["bf:2026-03-02:48h:3x"], lead=14)  # day 60 to day 62
    s = plan.scenarios["nominal"]
    # The step: 3 x the path's highest value over the window, at its end (day 62), held over it.
    want = 3 * 10000 * 1.1 ** (62 / M)
    ev = s.events[0]
    assert ev.peak == pytest.approx(want, rel=1e-12)
    assert ev.instances == math.ceil(want / 750) == 49 and ev.add == 29
    # In service 7 days before the start, ordered 14 days before that.
    assert ev.in_service_by == "2026-02-23" and ev.order_by == "2026-02-09"
    assert ev.order_late_days == 0
    # The window (day 60 to 62) meets month 2 (to day 60.875) and month 3: both carry the step.
    rows = s.months
    assert rows[1].peak == pytest.approx(want) and rows[2].peak == pytest.approx(want)
    assert rows[1].event == rows[2].event == "bf"
    # The month without the event: 10,000 x 1.1^4 = 14,641 -> ceil(19.52) = 20, today's fleet.
    assert rows[3].peak == pytest.approx(14641) and rows[3].instances == 20 and rows[3].add == 0
    assert rows[3].order_by is None
    # The runway is the event's start; the scenario's order follows from its pre-scale date.
    assert (s.runway, s.runway_event, s.in_service_by) == ("2026-03-02", "bf", "2026-02-23")
    assert s.order_by == "2026-02-09" and s.order_late_days == 0
    # The event's scale-up is ordered once, with its first month; month 3 has it already.
    assert rows[1].order_by == "2026-02-09" and rows[1].in_service_by == "2026-02-23"
    assert rows[2].order_by is None and rows[2].in_service_by is None and rows[2].add == 29
    # Month 5 adds instances on the smooth path: 1.1^t = 1.5 at t = 4.2541 months = 129.49 days.
    t = math.log(1.5) / math.log(1.1) * M
    assert rows[4].in_service_by == day(t).isoformat() == "2026-05-10"
    assert rows[4].order_by == day(t - 14).isoformat()


def test_late_order_is_the_start_with_the_days_late():
    start = "2026-01-02"  # tomorrow: in service 6 days ago, order 20 days ago
    plan = plan_with([f"sale:{start}:48h:3x"], lead=14, months=12)
    for s in plan.scenarios.values():
        ev = s.events[0]
        assert ev.in_service_by == "2025-12-26"  # stated: it has passed
        assert ev.order_by == START.isoformat() and ev.order_late_days == 20
        assert s.runway == start and s.order_by == START.isoformat() and s.order_late_days == 20
        for r in s.months:
            assert r.order_by is None or r.order_by >= START.isoformat()
    # Later months order on time: month 5's additions (the smooth crossing, day 129) are not late.
    assert plan.scenarios["nominal"].months[4].order_late_days == 0


def test_short_today_only_when_the_planning_peak_needs_more():
    plan = plan_with([], growth=0.0)  # 10,000 fits in the 15,000 today's 20 carry
    assert plan.scenarios["nominal"].runway is None and plan.today_instances_needed == 14
    short = build_capacity(planning_peak=10000, instances=10, utilization=0.8,
                           target_utilization=0.6)  # 10 x 750 = 7,500 < 10,000
    plan = plan_with([], growth=0.0, capacity=short, lead=30)
    s = plan.scenarios["nominal"]
    assert s.runway == START.isoformat() and s.runway_months == 0
    assert s.order_by == START.isoformat() and s.order_late_days == 30
    assert s.months[0].instances == 14 and s.months[0].add == 4


def test_short_event_between_grid_points_and_overlaps_do_not_compound():
    cap = build_capacity(planning_peak=None, per_instance=100, target_utilization=0.5)
    # 90 minutes from 06:00 on day 10: between grid points (10.146 and 11.160 days).
    plan = plan_with(["flash:2026-01-11T06:00:90m:3x", "a:2026-02-10:72h:2x",
                      "b:2026-02-11:24h:3x"], growth=0.0, capacity=cap, peak=1000, months=2)
    s = plan.scenarios["nominal"]
    assert s.months[0].peak == pytest.approx(3000) and s.months[0].event == "flash"
    assert s.months[0].instances == 60  # 3,000 / 50
    rows = [p for p in s.path.event if p]
    assert rows.count("flash") == 1  # one step holds it
    # a (2x) and b (3x) overlap on 02-11: the higher step wins; 2 x 3 = 6x never appears.
    assert s.months[1].peak == pytest.approx(3000) and s.months[1].event == "b"


def test_events_outside_the_plan_are_noted_and_unplanned():
    plan = plan_with(["old:2025-06-01:24h:2x", "far:2028-01-01:24h:2x"], months=3)
    assert all(st.peak is None for st in plan.scenarios["nominal"].path.events)
    assert sum("ignored" in n for n in plan.notes) == 2
    assert [r.peak for r in plan.scenarios["nominal"].months] == pytest.approx(
        [10000 * 1.1 ** m for m in (1, 2, 3)])


def test_month_peak_is_the_highest_step_of_its_path_rows():
    plan = plan_with(["x:2026-02-20:12h:1.7x"], months=4, worst=0.2)
    for s in plan.scenarios.values():
        assert len(s.path.days) == 4 * 30
        for r in s.months:
            steps = s.path.peak[(r.month - 1) * 30: r.month * 30]
            assert r.peak == max(steps)
    worst, nominal = plan.scenarios["worst_case"], plan.scenarios["nominal"]
    assert all(w.peak >= n.peak for w, n in zip(worst.months, nominal.months))
    assert worst.label == "worst case" and nominal.label == "nominal"


# ---- the two-state sizing rule -------------------------------------------------------------------

@pytest.mark.parametrize("peak,zones,spare,want,normal,after", [
    # capacity.py's worked example: D = ceil(11,000 / 1,000) = 11, ceil(11/2) = 6 a zone, 19;
    # normal 11,000 / (19 x 1,250); 12 survivors: 11,000 / 15,000.
    (11000, 3, 1, 19, 11000 / 23750, 11000 / 15000),
    # N+1, one zone: 17 must survive losing the spare, but normal running needs ceil(21.47) = 22.
    (16105, 1, 1, 22, 16105 / 27500, 16105 / 26250),
    # Two zones: D = 10 a zone, 20 in all; normal 40%, after losing a zone 80%.
    (10000, 2, 0, 20, 0.4, 0.8),
    # No redundancy: nothing is lost; ceil(10,000 / 750) = 14.
    (10000, 1, 0, 14, 10000 / 17500, None),
])
def test_sizing_rule_by_hand(peak, zones, spare, want, normal, after):
    cap = build_capacity(planning_peak=None, per_instance=1250, target_utilization=0.6,
                         zones=zones, spare=spare)
    lay = cap.layout_for(peak)
    assert lay.instances == want
    u = cap.utilization(lay)
    assert u[0] == pytest.approx(normal)
    assert (u[1] is None) if after is None else (u[1] == pytest.approx(after))
    assert u[0] <= 0.6 and (u[1] is None or u[1] <= 0.8)


def test_plan_json_shows_both_utilizations_and_the_loss():
    from capplan.outputs.json import plan_doc

    plan = plan_with([], capacity=seed_capacity(zones=3, spare=1), months=2)
    c = plan_doc(plan)["capacity"]
    # The planning peak 10,000: D = 10, 5 a zone, 16; normal 10,000 / 20,000, after 10,000 / 12,500.
    assert plan.today_instances_needed == 16
    assert c["utilization_normal"] == pytest.approx(0.5)
    assert c["utilization_after_loss"] == pytest.approx(0.8)
    assert c["degraded_utilization"] == 0.8 and "zone" in c["loss"]


# ---- cells ---------------------------------------------------------------------------------------

USL_FLEET = USL(0.05, 0.001, 100.0)  # N* = sqrt(0.95 / 0.001) = 30.82


def x_of(n):  # Gunther's X(N), written out again
    return 100 * n / (1 + 0.05 * (n - 1) + 0.001 * n * (n - 1))


def brute_force_cells(peak, zones=1, spare=0, overhead=0, target=0.6, degraded=0.8):
    """Fewest cells, each the smallest lattice fleet (z a zone + spares, at most 30 in all)
    that carries its share normally and after the loss: by enumeration."""
    redundant = zones > 1 or spare > 0
    for cells in range(1, 10_000):
        share = peak / cells
        for z in range(1, 31):
            total = zones * z + spare
            if total > 30:
                break
            survivors = (zones - 1) * z if zones > 1 else z
            if x_of(total) * target >= share and (not redundant or
                                                  x_of(survivors) * degraded >= share):
                return cells, total + overhead
    raise AssertionError("no layout")


def fleet_capacity(**kw):
    return build_capacity(planning_peak=None, fleet_usl=USL_FLEET, target_utilization=0.6, **kw)


def test_cells_by_hand_the_acceptance_case():
    # 586 > 0.6 x X(30) = 542: 2 cells of 293; X(6) = 468.75 short, X(7) = 521.6 enough.
    lay = fleet_capacity().layout_for(586)
    assert (lay.cells, lay.cell_size, lay.instances) == (2, 7, 14)
    assert x_of(6) * 0.6 < 293 <= x_of(7) * 0.6
    # Zones 3, spare 1: each cell 3z + 1 <= 30 -> at most 28 carries min(0.6 X(28), 0.8 X(18)) =
    # 540.9 < 586: 2 cells; 293 each: 5 must survive (0.8 X(5) = 327.9), 3 a zone, 10 a cell.
    lay = fleet_capacity(zones=3, spare=1).layout_for(586)
    assert (lay.cells, lay.cell_size, lay.instances) == (2, 10, 20) == (2, 10, 2 * 10)
    assert lay.serving <= 30.82
    # Overhead: 2 instances a cell of their own: 2 x (7 + 2).
    lay = fleet_capacity(cell_overhead=2).layout_for(586)
    assert (lay.cells, lay.cell_size, lay.instances) == (2, 9, 18)


@pytest.mark.parametrize("zones,spare,overhead", [(1, 0, 0), (3, 1, 0), (2, 0, 1), (1, 2, 3)])
@pytest.mark.parametrize("peak", [100, 540, 543, 600, 1100, 1700, 5000, 23456])
def test_cells_match_a_brute_force_search(peak, zones, spare, overhead):
    cap = fleet_capacity(zones=zones, spare=spare, cell_overhead=overhead)
    lay = cap.layout_for(peak)
    cells, size = brute_force_cells(peak, zones, spare, overhead)
    if cells == 1:  # one fleet: no overhead, no cells
        assert lay.cells is None and lay.instances == size - overhead
    else:
        assert (lay.cells, lay.cell_size) == (cells, size)
        assert lay.instances == cells * size and lay.serving <= 30


def test_cell_alternative_beside_one_fleet():
    cap = fleet_capacity()
    lay = cap.layout_for(530)  # one fleet: X(N) >= 883.3 -> the smallest such N
    n_one = min(n for n in range(1, 31) if x_of(n) * 0.6 >= 530)
    assert lay.cells is None and lay.instances == n_one
    alt = cap.cell_alternative(530, lay)
    # The cheapest cells (>= 2): the fewest instances in all, ties to fewer cells, by
    # enumeration; shown as it saves at least 25% (9 cells of 1: 9 x 60 = 540 >= 530, vs 24).
    want = min(((k, s) for k in range(2, 31)
                for s in [min(n for n in range(1, 31) if x_of(n) * 0.6 >= 530 / k)]),
               key=lambda ks: (ks[0] * ks[1], ks[0]))
    assert want[0] * want[1] <= 0.75 * n_one and want == (9, 1)
    assert (alt.cells, alt.cell_size, alt.instances) == (want[0], want[1], want[0] * want[1])
    assert alt.saving == pytest.approx(1 - alt.instances / n_one)
    # A small peak: cells would not save 25%.
    assert cap.cell_alternative(50, cap.layout_for(50)) is None


def test_cell_months_carry_instances_cost_and_the_contended_resource_note():
    import pandas as pd

    cap = fleet_capacity()
    fc = fixed_growth(pd.Timestamp(START), 586, 2, 0.0)
    plan = build_plan(start=START, planning_peak=586, capacity=cap, forecast=fc, months=2,
                      cost_per_instance=100)
    r = plan.scenarios["nominal"].months[0]
    assert (r.instances, r.cells, r.cell_size, r.cost) == (14, 2, 7, 1400)
    assert r.beyond_fleet_limit
    assert any("contended resource" in n for n in plan.notes)


def test_zones_that_cannot_fit_below_n_star_are_refused():
    with pytest.raises(CapplanError, match="--zones"):
        build_capacity(planning_peak=None, fleet_usl=USL(0.3, 0.2, 100), zones=3, spare=1)


# ---- the latency objective ----------------------------------------------------------------------

def mmc_p99_tail(rate, service, servers, t):
    """P(T > t) for M/M/c FCFS, from Erlang C by factorials and the wait + service convolution
    integrated numerically (scipy.integrate.quad): independent of capplan.queueing."""
    from scipy.integrate import quad

    a = rate * service
    top = a ** servers / math.factorial(servers) * servers / (servers - a)
    c = top / (sum(a ** k / math.factorial(k) for k in range(servers)) + top)
    mu, theta = 1 / service, servers / service - rate
    inner, _ = quad(lambda w: theta * math.exp(-theta * w) * math.exp(-mu * (t - w)), 0, t)
    return (1 - c) * math.exp(-mu * t) + c * (math.exp(-theta * t) + inner)


def write_load_test(tmp_path, column="latency_p99_ms", scale=1.0):
    f = tmp_path / "lt.csv"
    rows = [(1, 100, 20), (2, 190, 25), (4, 350, 40), (8, 600, 90), (16, 800, 300),
            (32, 850, 900)]
    f.write_text(f"users,throughput,{column}\n" +
                 "".join(f"{n},{x},{lat * scale:g}\n" for n, x, lat in rows))
    return f


@pytest.mark.parametrize("column,scale", [("latency_p99_ms", 1.0), ("p99", 1.0),
                                          ("latency", 0.001)])
def test_measured_latency_sets_the_slo_rate(tmp_path, column, scale):
    f = write_load_test(tmp_path, column, scale)
    # 50 ms is crossed between N = 4 (350 req/s, 40 ms) and N = 8 (600, 90 ms):
    # 350 + (50 - 40) / (90 - 40) x 250 = 400 req/s.
    res = plan_from_numbers(Settings(load_test=str(f), latency_slo="50ms", months=1),
                            peak=4000, today=START)
    c = res.plan.capacity
    lim = c.latency_limit
    assert lim.method == "measured" and lim.rate == pytest.approx(400)
    assert (column in lim.statistic) and (("p99" in lim.statistic) == (column != "latency"))
    # The fit's X(N*) x 0.6 is above 400 less the rate limit's 10% margin: the objective binds
    # and sizes the fleet at 360, the recommended rate limit, which normal running never meets.
    assert c.per_instance_limit * 0.6 > 360 and c.binding == "latency_slo"
    assert c.usable_per_instance == pytest.approx(360)
    assert res.plan.scenarios["nominal"].months[0].instances == 12  # 4,000 / 360 = 11.1
    assert res.plan.rate_limits.recommended_rate_limit == pytest.approx(360)  # 400 less 10%


def test_measured_latency_above_the_target_lets_the_target_bind(tmp_path):
    f = write_load_test(tmp_path)
    # 200 ms: between N = 8 (600, 90 ms) and 16 (800, 300 ms): 600 + 110/210 x 200 = 704.76.
    res = plan_from_numbers(Settings(load_test=str(f), latency_slo="200ms", months=1),
                            peak=4000, today=START)
    c = res.plan.capacity
    assert c.latency_limit.rate == pytest.approx(600 + 110 / 210 * 200)
    assert c.binding == "utilization" and c.usable_per_instance == pytest.approx(
        c.per_instance_limit * 0.6)


def test_mmc_on_the_fitted_curve_names_its_servers():
    from conftest import data

    res = plan_from_numbers(Settings(load_test=str(data("usl/specsdm91.csv")),
                                     latency_slo="250ms", months=1), peak=5000, today=START)
    lim = res.plan.capacity.latency_limit
    m = res.usl.model
    # s = R(1) = 1 / lambda; c = X(N*) x s by Little's Law (R usl: 1884 / 89.995 = 20.93 -> 21).
    assert lim.method == "M/M/c" and lim.service_time == pytest.approx(1 / m.lambda_)
    assert lim.servers_per_instance == round(m.x_max / m.lambda_) == 21
    assert "Little's Law" in lim.servers_source
    # At the rate found, p99 is exactly the objective (independent integration).
    assert mmc_p99_tail(lim.rate, lim.service_time, 21, 0.25) == pytest.approx(0.01, abs=1e-6)


def test_service_time_limit_both_limits_and_the_recommended_rate():
    s = Settings(per_instance=600, instances=4, service_time="50ms", latency_slo="250ms",
                 months=1)
    res = plan_from_numbers(s, peak=1500, mean=200, today=START)
    c, lim = res.plan.capacity, res.plan.rate_limits
    # c = 600 x 0.05 = 30 servers; p99 = 250 ms at the rate found.
    assert c.latency_limit.servers_per_instance == 30
    assert mmc_p99_tail(c.latency_limit.rate, 0.05, 30, 0.25) == pytest.approx(0.01, abs=1e-6)
    assert 0.6 * 600 < c.latency_limit.rate  # 360 below: the target binds
    assert lim.binding == "utilization" and lim.utilization_rate == 360
    assert lim.recommended_rate_limit == pytest.approx(c.latency_limit.rate * 0.9)
    # The worksheet recommends the same limit, not the headroom target.
    assert res.queueing.rate_limit_per_instance == pytest.approx(lim.recommended_rate_limit)
    assert res.queueing.slo_rate_per_instance == c.latency_limit.rate
    # One server an instance (20 req/s x 50 ms): M/M/1, p99 = ln(100) / (mu - lambda) <= 250 ms
    # -> lambda <= 20 - ln(100) / 0.25 = 1.579 req/s, far below the target's 12: it binds.
    tight = plan_from_numbers(dataclasses.replace(s, per_instance=20), peak=1500, mean=200,
                              today=START)
    ct = tight.plan.capacity
    want = 20 - math.log(100) / 0.25
    assert ct.latency_limit.servers_per_instance == 1
    assert ct.binding == "latency_slo"
    assert ct.usable_per_instance == pytest.approx(want * 0.9, rel=1e-6)  # less the 10% margin
    assert tight.plan.scenarios["nominal"].months[0].instances == math.ceil(1500 / (want * 0.9))


@pytest.mark.parametrize("share", [0.5, 0.85, 0.92, 0.97, 1.05])
def test_the_rate_limit_never_throttles_the_rate_the_fleet_is_sized_for(share):
    """The utilization target's rate at `share` of the rate where p99 reaches the objective:
    between 90% and 100% of it (0.92, 0.97) the target's rate used to size the fleet above the
    recommended rate limit (the latency rate less 10%), so planned traffic would be shed."""
    s = Settings(per_instance=600, instances=4, service_time="50ms", latency_slo="250ms",
                 months=1)
    slo_rate = plan_from_numbers(s, peak=1500, mean=200,
                                 today=START).plan.capacity.latency_limit.rate
    target = share * slo_rate / 600
    res = plan_from_numbers(dataclasses.replace(s, target_utilization=target), peak=1500,
                            mean=200, today=START)
    c, lim = res.plan.capacity, res.plan.rate_limits
    assert lim.recommended_rate_limit == pytest.approx(0.9 * slo_rate)
    assert c.usable_per_instance == pytest.approx(min(share, 0.9) * slo_rate)
    assert c.usable_per_instance <= lim.recommended_rate_limit * (1 + 1e-12)
    assert c.binding == ("latency_slo" if share > 0.9 else "utilization") == lim.binding
    assert res.queueing.binding == lim.binding
    assert res.queueing.rate_limit_per_instance == pytest.approx(lim.recommended_rate_limit)
    # The reports name the rate the fleet is sized to beside the rate where p99 reaches 250 ms.
    from capplan.numbers import rate
    from capplan.outputs import report, view
    from capplan.outputs.charts import _limit_lines

    doc = json.loads(json.dumps(report.plan_json(res)))
    text = " ".join(view.limits_text(doc))
    assert f"holds up to {rate(slo_rate)} req/s an instance" in text
    assert f"{rate(0.9 * slo_rate)} less the rate limit's 10% margin" in text
    assert ("the rate the fleet is sized to" in text) == (share > 0.9)
    labels = " ".join(label for label, _ in _limit_lines(doc, "req/s"))
    assert (f"(less 10%: {rate(0.9 * slo_rate)} binds)" in labels) == (share > 0.9)


def test_throughput_unit_scales_to_per_second():
    import pandas as pd

    from conftest import data
    from capplan.usl import read_load_test

    path = str(data("usl/specsdm91.csv"))
    raw = pd.read_csv(path)
    n, x, _ = read_load_test(path, throughput_unit="hour")
    assert list(x) == pytest.approx(list(raw["throughput"] / 3600))
    assert list(read_load_test(path, throughput_unit="minute")[1]) == pytest.approx(
        list(raw["throughput"] / 60))
    with pytest.raises(CapplanError, match="second, minute or hour"):
        read_load_test(path, throughput_unit="day")


# ---- scenarios, costs, the clock ---------------------------------------------------------------

def test_worst_label_total_cost_and_currency():
    s = Settings(instances=20, utilization=0.4, growth="10%/month", months=12,
                 cost_per_instance=100, currency="EUR")
    plan = plan_from_numbers(s, peak=10000, today=START).plan
    assert plan.scenarios["worst_case"].label == "worst case = nominal (give --worst-growth)"
    nom = plan.scenarios["nominal"]
    assert nom.total_cost == 100 * sum(r.instances for r in nom.months) == 100 * sum(
        math.ceil(10000 * 1.1 ** m / 750 - 1e-9) for m in range(1, 13))
    assert plan.currency == "EUR"
    worse = plan_from_numbers(dataclasses.replace(s, worst_growth="15%/month"), peak=10000,
                              today=START).plan
    assert worse.scenarios["worst_case"].label == "worst case"


def test_today_from_the_environment():
    assert today_utc({"CAPPLAN_TODAY": "2031-02-03"}) == dt.date(2031, 2, 3)
    assert today_utc({"SOURCE_DATE_EPOCH": "86400"}) == dt.date(1970, 1, 2)
    with pytest.raises(CapplanError, match="CAPPLAN_TODAY"):
        today_utc({"CAPPLAN_TODAY": "tomorrow"})
    with pytest.raises(CapplanError, match="SOURCE_DATE_EPOCH"):
        today_utc({"SOURCE_DATE_EPOCH": "soon"})


def test_usl_command_reads_the_objective_as_p99_and_the_unit(tmp_path):
    import json

    from typer.testing import CliRunner

    from capplan.cli import app
    from conftest import data

    def run(*args):
        result = CliRunner().invoke(app, ["usl", *map(str, args), "--no-report"])
        assert result.exit_code == 0, repr(result.exception)
        return result.output

    f = write_load_test(tmp_path)
    so = run(f, "--latency-slo", "50ms", "--out", tmp_path / "u")
    at = json.loads((tmp_path / "u" / "usl.json").read_text())["at_latency_slo"]
    # As in the plan: the measured p99 reaches 50 ms at 400 req/s (worked above).
    assert at["throughput"] == pytest.approx(400) and at["method"] == "measured"
    assert "p99" in at["statistic"] and "p99 objective 50ms" in so
    so = run(data("usl/specsdm91.csv"), "--throughput-unit", "hour", "--out", tmp_path / "h")
    u = json.loads((tmp_path / "h" / "usl.json").read_text())
    # R usl: gamma 89.9952 scripts an hour for one user -> 89.9952 / 3600 per second.
    assert u["lambda"] == pytest.approx(89.9952384 / 3600, rel=1e-3)
    assert "per hour" in so


def test_terminal_says_late_orders_events_limits_and_both_utilizations():
    from rich.console import Console

    from capplan.outputs.terminal import print_plan

    s = Settings(instances=20, growth="10%/month", months=3, zones=3, spare=1,
                 per_instance=1250, service_time="50ms", latency_slo="250ms", lead_time=14,
                 events=("sale:2026-01-02:48h:3x",), cost_per_instance=100, currency="USD")
    plan = plan_from_numbers(s, peak=10000, today=START).plan
    console = Console(record=True, width=120)
    print_plan(console, plan)
    text = " ".join(console.export_text().split())
    for words in ("order now, 20 days late", "now (passed)", "binds",
                  "after losing a zone (of 3) or the 1 spare(s)",
                  "worst case = nominal (give --worst-growth)", "USD", "sale", "in service 7 day(s) before the start"):
        assert words in text, words
    assert "2025-12-" not in text.replace("2025-12-26", "")  # no past date offered as advice


def test_the_worst_case_is_described_as_the_growth_stage_computes_it():
    # Page 1 said "the 95% quantile of each month's peak" while the growth section said the
    # quantile of each day's 28-day window peak: one quantity, one description.
    import capplan

    from conftest import ROOT

    p = capplan.forecast(ROOT / "inputs" / "nyc_taxi.csv", per_instance=1500, months=2)
    worst = p.plan.scenarios["worst_case"].assumptions[0]
    q = p.plan.forecast.worst_quantile
    assert worst.startswith(f"the {q:.0%} quantile of each day's planning peak (the highest "
                            "daily peak of the 28 days up to it)")
    growth = " ".join(p.plan.forecast.assumptions)
    assert f"worst case: the {q:.0%} quantile of that window peak" in growth
    assert "highest daily peak of the 28 days up to it" in growth
