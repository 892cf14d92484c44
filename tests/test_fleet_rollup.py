"""The roll-up and the at-risk list (pure) under hypothesis: sums computed here independently,
worst case >= nominal when each service's is, never negative, never NaN, every runway listed
once and in order."""
import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.fleet.model import MonthSummary, ScenarioSummary, ServiceResult, ServiceSummary
from capplan.fleet.rollup import at_risk, rollup
from capplan.outputs import fleet_json

MONTHS = 4
DATES = ["2024-02-01", "2024-03-02", "2024-04-01", "2024-05-02"]


@st.composite
def service(draw, i):
    sized = draw(st.booleans())
    current = draw(st.one_of(st.none(), st.integers(1, 500))) if sized else None
    cost = draw(st.one_of(st.none(), st.floats(0, 1000))) if sized else None
    nominal = draw(st.lists(st.integers(0, 800), min_size=MONTHS, max_size=MONTHS))
    extra = draw(st.lists(st.integers(0, 50), min_size=MONTHS, max_size=MONTHS))
    shift = draw(st.integers(0, 3))  # data ending a few days apart
    scen = {}
    for name, inst in (("nominal", nominal), ("worst_case", [n + e for n, e in
                                                             zip(nominal, extra)])):
        rows = tuple(MonthSummary(month=m + 1, date=DATES[m][:-1] + str(int(DATES[m][-1]) + shift),
                                  peak=float(v) * 10, instances=v if sized else None,
                                  add=max(v - current, 0) if sized and current else None,
                                  cost=v * cost if sized and cost is not None else None)
                     for m, v in enumerate(inst))
        runway = draw(st.one_of(st.none(), st.sampled_from(DATES))) if sized else None
        scen[name] = ScenarioSummary(runway=runway, runway_months=None if runway is None else 1.0,
                                     order_by=runway, months=rows)
    ok = draw(st.booleans()) or i == 0
    summary = ServiceSummary(start="2024-01-01", planning_peak=10.0, model="m",
                             monthly_growth=0.0, worst_monthly_growth=0.0, sized=sized,
                             current_instances=current, instances_needed_today=None,
                             cost_per_instance=cost, scenarios=scen)
    return ServiceResult(name=f"s{i:03d}", path="x", series=None, config=None,
                         summary=summary if ok else None, error=None if ok else "bad file",
                         plan_z=None)


fleets = st.integers(1, 12).flatmap(lambda n: st.tuples(*[service(i) for i in range(n)]))


@settings(max_examples=60, deadline=None)
@given(fleets)
def test_rollup_is_the_sum_and_worst_is_never_below_nominal(services):
    out = rollup(services, MONTHS)
    planned = [s.summary for s in services if s.ok]
    for name in ("nominal", "worst_case"):
        for m, row in enumerate(out[name]):
            cells = [p.scenarios[name].months[m] for p in planned]
            inst = [c.instances for c in cells if c.instances is not None]
            assert row.instances == (sum(inst) if inst else None)
            adds = [c.add for c in cells if c.add is not None]
            assert row.add == (sum(adds) if adds else None)
            costs = [c.cost for c in cells if c.cost is not None]
            assert (row.cost is None) == (not costs)
            if costs:
                assert math.isclose(row.cost, math.fsum(costs), rel_tol=1e-9, abs_tol=1e-6)
            assert row.date == max(c.date for c in cells) if cells else row.date == ""
            for v in (row.instances, row.add, row.cost):
                assert v is None or (v >= 0 and math.isfinite(v))
    for n, w in zip(out["nominal"], out["worst_case"]):
        assert (n.instances or 0) <= (w.instances or 0)


@settings(max_examples=60, deadline=None)
@given(fleets)
def test_at_risk_lists_every_runway_once_earliest_first(services):
    risk = at_risk(services)
    want = {(s.name, name) for s in services if s.ok
            for name in ("nominal", "worst_case") if s.summary.scenarios[name].runway}
    assert {(a.name, a.scenario) for a in risk} == want and len(risk) == len(want)
    assert [a.runway for a in risk] == sorted(a.runway for a in risk)


@settings(max_examples=25, deadline=None)
@given(fleets)
def test_fleet_json_parses_and_holds_the_rollup(services):
    import dataclasses
    import zlib

    from capplan.fleet.rollup import assemble
    from capplan.fleet.sources import FleetSource

    services = [dataclasses.replace(s, plan_z=zlib.compress(json.dumps({"of": s.name}).encode()))
                if s.ok else s for s in services]
    result = assemble(FleetSource("x", "folder", ()), MONTHS, services[::-1])
    doc = json.loads(fleet_json.dumps(result))
    assert [s["name"] for s in doc["services"]] == sorted(s.name for s in services)
    assert all(s["plan"] == {"of": s["name"]} for s in doc["services"] if "plan" in s)
    assert doc["services_failed"] == sum(1 for s in services if not s.ok)
    for name in ("nominal", "worst_case"):
        assert [r["instances"] for r in doc["rollup"][name]["months"]] == \
            [r.instances for r in result.rollup[name]]
