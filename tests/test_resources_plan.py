"""The plan on a limit fitted from production metrics (issue 15, phase 2): `forecast
--capacity-from`. Every number is checked against a hand computation of the documented rules
(instances at both ends of the limit's interval, the outlook on today's fleet) or an independent
numpy fit; the refusals are one line, exit 2, nothing written."""
import gzip
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, data, run_cli
from capplan.capacity import build_capacity
from capplan.errors import CapplanError
from capplan.pipeline import Settings, forecast

TARGET = 0.6
# Fleet-wide metrics of 4 instances: cpu = 10% + 0.4 points per req/s per instance (limit at 60%:
# 125 req/s), memory = 30% + 0.15 points (limit 200): cpu binds.
TRUTH = {"cpu": (0.10, 0.004), "mem": (0.30, 0.0015)}
FLEET = 4


def write_metrics(path, n=200, seed=1):
    rng = np.random.default_rng(seed)
    t = pd.date_range("2024-03-01", periods=n, freq="5min")
    per = rng.uniform(20, 110, n)
    frame = {"timestamp": t.strftime("%Y-%m-%d %H:%M:%S"), "rps": per * FLEET}
    for name, (a, b) in TRUTH.items():
        frame[name] = 100 * (a + b * per + rng.normal(0, 0.03, n))
    pd.DataFrame(frame).to_csv(path, index=False)
    return per


def write_traffic(path, days=60, peak=420.0, seed=2):
    """Hourly fleet demand with a daily shape whose busiest hour reaches about `peak`."""
    rng = np.random.default_rng(seed)
    t = pd.date_range("2024-01-01", periods=days * 24, freq="h")
    shape = 0.55 + 0.45 * np.sin(np.pi * (t.hour.to_numpy() - 4) / 16).clip(0)
    v = peak * shape * rng.uniform(0.97, 1.0, t.size)
    pd.DataFrame({"timestamp": t.strftime("%Y-%m-%d %H:%M:%S"), "rps": v}).to_csv(path,
                                                                                   index=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("metrics")
    write_metrics(d / "metrics.csv")
    write_traffic(d / "traffic.csv")
    return d


def run(files, **kw):
    base = dict(capacity_from=str(files / "metrics.csv"), throughput="rps",
                resources=("cpu=cpu", "mem=mem"), instances=FLEET, growth="5%/month", months=8,
                target_utilization=TARGET)
    return forecast(str(files / "traffic.csv"), Settings(**{**base, **kw}))


def by_hand(peak, limit100, target=TARGET, zones=1, spare=0, degraded=0.8):
    """README's sizing rule, written out again: normal running at limit x target; after losing a
    zone or the spares the survivors at limit x degraded."""
    normal = max(1, math.ceil(peak / (limit100 * target) - 1e-9))
    if zones == 1 and spare == 0:
        return normal
    d = max(1, math.ceil(peak / (limit100 * degraded) - 1e-9))
    z = math.ceil(d / (zones - 1)) if zones > 1 else d
    n = zones * z + spare
    if n < normal:
        n = zones * math.ceil((normal - spare) / zones) + spare
    return n


def test_fits_match_an_independent_fit_and_the_truth(files):
    r = run(files).resources
    assert r.binding == "cpu"
    d = pd.read_csv(files / "metrics.csv")
    per = d["rps"].to_numpy() / FLEET
    for name, (a, b) in TRUTH.items():
        f = r.fit(name)
        ols_b, ols_a = np.polyfit(per, d[name].to_numpy() / 100, 1)  # no outliers: Huber ~ OLS
        assert f.intercept == pytest.approx(ols_a, abs=0.003)
        assert f.slope == pytest.approx(ols_b, rel=0.01)
        assert f.slope == pytest.approx(b, rel=0.03) and f.intercept == pytest.approx(a, abs=0.01)
        assert f.limit == pytest.approx((TARGET - f.intercept) / f.slope, rel=1e-12)


def test_plan_limit_times_target_is_the_fitted_limit(files):
    res = run(files)
    c, cpu = res.plan.capacity, res.resources.fit("cpu")
    assert c.per_instance_limit * TARGET == pytest.approx(cpu.limit, rel=1e-12)
    assert c.usable_per_instance == pytest.approx(cpu.limit, rel=1e-12)
    assert c.limit_range[0] * TARGET == pytest.approx(cpu.limit_low, rel=1e-12)
    assert c.limit_range[1] * TARGET == pytest.approx(cpu.limit_high, rel=1e-12)
    assert "cpu binds at" in c.limit_source and "mem at" in c.limit_source
    assert c.current_instances == FLEET and c.current_utilization is None


@pytest.mark.parametrize("zones,spare", [(1, 0), (3, 1), (2, 0), (1, 2)])
def test_month_instances_and_their_range_by_hand(files, zones, spare):
    res = run(files, zones=zones, spare=spare)
    cpu = res.resources.fit("cpu")
    for s in res.plan.scenarios.values():
        for r in s.months:
            assert r.instances == by_hand(r.peak, cpu.limit / TARGET, zones=zones, spare=spare)
            assert r.instances_low == by_hand(r.peak, cpu.limit_high / TARGET, zones=zones,
                                              spare=spare)
            assert r.instances_high == by_hand(r.peak, cpu.limit_low / TARGET, zones=zones,
                                               spare=spare)
            assert r.instances_low <= r.instances <= r.instances_high
    rows = [r for s in res.plan.scenarios.values() for r in s.months]
    if zones == 1:  # whole zones round the interval away with 3 zones
        assert any(r.instances_low < r.instances_high for r in rows)  # the interval matters


def test_outlook_on_todays_fleet_by_hand(files):
    res = run(files)
    p0 = res.plan.planning_peak
    for name, rows in res.resource_outlook.items():
        months = res.plan.scenarios[name].months
        for o in rows:
            f = res.resources.fit(o.name)
            per = p0 / FLEET
            assert o.per_instance_peak == pytest.approx(per)
            assert o.utilization_today == pytest.approx(f.intercept + f.slope * per)
            assert o.headroom_today == pytest.approx(f.limit / per)
            first = next((m.month for m in months if m.peak / FLEET > f.limit), None)
            assert o.crosses_target_month == first
        # Coherence: without zones or spares the binding resource crosses its target in the
        # month the plan first needs more than today's fleet.
        cpu = rows[[o.name for o in rows].index("cpu")]
        first_add = next((m.month for m in months if m.instances > FLEET), None)
        assert cpu.crosses_target_month == first_add is not None


def test_plan_json_carries_the_resources(files):
    from capplan.outputs.report import plan_json

    res = run(files)
    doc = json.loads(json.dumps(plan_json(res)))
    c = doc["capacity"]
    assert c["binding"] == "cpu" and [r["name"] for r in c["resources"]] == ["cpu", "mem"]
    cpu = c["resources"][0]
    assert cpu["binding"] is True and c["resources"][1]["binding"] is False
    assert c["plan_limit"]["limit"] == pytest.approx(c["per_instance_limit"], rel=1e-12)
    assert c["plan_limit"]["limit"] * c["target_utilization"] == pytest.approx(cpu["limit"])
    assert cpu["utilization_today"] == pytest.approx(
        cpu["intercept"] + cpu["slope"] * doc["planning_peak"] / FLEET)
    assert set(cpu["crosses_target_month"]) == {"nominal", "worst_case"}
    assert c["metrics"]["aligned_points"] == 200 and c["metrics"]["inputs"][0]["role"] == \
        "throughput"
    for s in doc["scenarios"].values():
        for m in s["months"]:
            assert m["instances_low"] <= m["instances"] <= m["instances_high"]
    # Without --capacity-from the new fields are there, null.
    plain = run(files, capacity_from=None, throughput=None, resources=(), per_instance=300.0)
    doc = json.loads(json.dumps(plan_json(plain)))
    assert doc["capacity"]["resources"] is None and doc["capacity"]["plan_limit"] is None
    assert all(m["instances_low"] is None and m["instances_high"] is None
               for m in doc["scenarios"]["nominal"]["months"])


def test_the_instance_count_column_divides_and_gives_todays_fleet(files, tmp_path):
    d = pd.read_csv(files / "metrics.csv")
    d["n"] = FLEET
    d.loc[150:, "n"] = 5  # a scale-out late in the export: today's fleet is 5
    d.loc[150:, "rps"] = d.loc[150:, "rps"] * 5 / FLEET
    d.to_csv(tmp_path / "m.csv", index=False)
    res = run(files, capacity_from=str(tmp_path / "m.csv"), instances=None,
              instances_column="n")
    assert res.plan.capacity.current_instances == 5
    assert any("the last count" in a for a in res.plan.capacity.assumptions)
    assert res.resources.fit("cpu").slope == pytest.approx(TRUTH["cpu"][1], rel=0.03)
    assert "instance count" in res.resources.instances_note
    stated = run(files, capacity_from=str(tmp_path / "m.csv"), instances=7,
                 instances_column="n")
    assert stated.plan.capacity.current_instances == 7  # --instances is today's fleet


@settings(max_examples=150, deadline=None, derandomize=True)
@given(limit=st.floats(1, 1e4), low_share=st.floats(0.0, 1.0), high_share=st.floats(1.0, 3.0),
       peak=st.floats(0.1, 1e6), zones=st.integers(1, 5), spare=st.integers(0, 3),
       target=st.floats(0.05, 1.0), degraded=st.floats(0.05, 1.0),
       unbounded=st.sampled_from(["none", "low", "high", "both"]))
def test_range_brackets_the_instances(limit, low_share, high_share, peak, zones, spare, target,
                                      degraded, unbounded):
    low = None if unbounded in ("low", "both") else limit * low_share
    high = None if unbounded in ("high", "both") else limit * high_share
    c = build_capacity(planning_peak=peak, per_instance=limit, target_utilization=target,
                       zones=zones, spare=spare, degraded_utilization=degraded,
                       per_instance_range=(low, high))
    n = c.instances_for(peak)
    fewest, most = c.instance_range(peak)
    assert fewest is None if high is None else fewest <= n
    assert most is None if (low is None or low == 0) else most >= n
    if fewest is not None:
        assert fewest == by_hand(peak, high, target, zones, spare, degraded)
    if most is not None:
        assert most == by_hand(peak, low, target, zones, spare, degraded)


# ---- the command line --------------------------------------------------------------------------


ORACLE_ARGS = ["--capacity-from", "ORACLE", "--throughput", "txn_rate", "--resource",
               "cpu=cpu_util"]


def oracle_args():
    return [str(data("usl/oracledb.csv")) if a == "ORACLE" else a for a in ORACLE_ARGS]


def test_forecast_on_oracledb_end_to_end(tmp_path, cli):
    out = tmp_path / "o"
    code, so, se = cli("forecast", ROOT / "inputs" / "oracledb_txn_13weeks.csv.gz", "--months",
                       "12", "--growth", "4%/month", "--instances", "1", *oracle_args(),
                       "--no-report", "--out", out)
    assert code == 0, se
    doc = json.loads((out / "plan.json").read_text())
    c = doc["capacity"]
    (cpu,) = c["resources"]
    # The fit is capplan capacity's (checked against statsmodels and numpy in test_resources).
    assert c["binding"] == "cpu" and 7.0 < cpu["limit"] < 7.3
    assert c["per_instance_limit"] * c["target_utilization"] == pytest.approx(cpu["limit"],
                                                                             rel=1e-12)
    for s in doc["scenarios"].values():
        for m in s["months"]:
            assert m["instances"] == max(1, math.ceil(m["peak"] / cpu["limit"] - 1e-9))
            assert m["instances_low"] == max(1, math.ceil(m["peak"] / cpu["limit_high"] - 1e-9))
            assert m["instances_high"] == max(1, math.ceil(m["peak"] / cpu["limit_low"] - 1e-9))
    worst = doc["scenarios"]["worst_case"]["months"]
    assert any(m["instances_low"] < m["instances_high"] for m in worst)  # the CI matters here
    # The terminal shows the same numbers: the resources table, the range column, the outlook.
    assert f"{cpu['limit']:.2f}" in so and "95% range" in so and "binding resource: cpu" in so
    crosses = cpu["crosses_target_month"]["worst_case"]
    assert f"worst case month {crosses}" in " ".join(so.split())


@pytest.mark.parametrize("extra,words", [
    (["--per-instance", "500"], "and --per-instance 500: both give"),
    (["--load-test", "inputs/loadtest_specsdm91.csv"],
     "and --load-test inputs/loadtest_specsdm91.csv: both give"),
    (["--fleet-usl", "inputs/scaleout_usl.csv"], "and --fleet-usl inputs/scaleout_usl.csv: both"),
    (["--utilization", "0.4"], "fitted line"),
])
def test_other_limits_refused_beside_capacity_from(tmp_path, cli, monkeypatch, extra, words):
    monkeypatch.chdir(ROOT)
    code, so, se = cli("forecast", "inputs/nyc_taxi.csv", *oracle_args(), *extra,
                       "--out", tmp_path / "o")
    assert code == 2 and words in se and "--capacity-from " in se, se
    assert len(se.strip().splitlines()) == 1 and "Traceback" not in so + se
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args,words", [
    (["--capacity-from", "M", "--resource", "cpu=cpu"], "needs --throughput"),
    (["--capacity-from", "M", "--throughput", "rps"], "needs at least one --resource"),
    (["--resource", "cpu=cpu"], "--resource needs --capacity-from"),
    (["--throughput", "rps"], "--throughput needs --capacity-from"),
    (["--capacity-from", "M", "--throughput", "rps", "--resource", "cpu=cpu", "--warm-up",
      "2d"], "--warm-up"),
    (["--capacity-from", "M", "--throughput", "rps", "--resource", "cpu=cpu", "--resource",
      "cpu=mem"], "given twice"),
    (["--capacity-from", "M", "--throughput", "rps", "--resource", "throughput=cpu"],
     "reserved"),
    (["--capacity-from", "M", "--throughput", "rps", "--resource", "cpu=cpu",
      "--utilization-unit", "pct"], "--utilization-unit"),
    (["--capacity-from", "M", "--throughput", "rps", "--resource", "cpu=cpu", "--deploy",
      "yesterday"], "--deploy"),
    (["--capacity-from", "nope.csv", "--throughput", "rps", "--resource", "cpu=cpu"],
     "no such file"),
    (["--capacity-from", "M", "--throughput", "rps", "--resource", "cpu=cpu=nope.csv"],
     "no such file"),
])
def test_bad_metrics_flags_one_line_before_any_work(tmp_path, cli, files, args, words):
    args = [str(files / "metrics.csv") if a == "M" else a for a in args]
    code, so, se = cli("forecast", files / "traffic.csv", *args, "--out", tmp_path / "o")
    assert code == 2 and words in se, se
    assert len(se.strip().splitlines()) == 1 and "Traceback" not in so + se
    assert not (tmp_path / "o").exists()


def test_service_file_keys_with_paths_relative_to_it(tmp_path, cli, files):
    folder = tmp_path / "svc"
    folder.mkdir()
    (folder / "m.csv").write_bytes((files / "metrics.csv").read_bytes())
    (folder / "service.toml").write_text(
        'capacity_from = "m.csv"\nthroughput = "rps"\nresources = ["cpu=cpu", "mem=mem=m.csv"]\n'
        'warm_up = "0"\nexclude = ["2024-03-01T00:00/2024-03-01T00:30"]\n'
        '[capacity]\ninstances = 4\n')
    code, _, se = cli("forecast", files / "traffic.csv", "--config", folder / "service.toml",
                      "--growth", "5%/month", "--no-report", "--out", tmp_path / "a")
    assert code == 0, se
    from_file = json.loads((tmp_path / "a" / "plan.json").read_text())["capacity"]
    code, _, se = cli("forecast", files / "traffic.csv", "--capacity-from", files / "metrics.csv",
                      "--throughput", "rps", "--resource", "cpu=cpu", "--resource", "mem=mem",
                      "--warm-up", "0", "--exclude", "2024-03-01T00:00/2024-03-01T00:30",
                      "--instances", "4", "--growth", "5%/month", "--no-report",
                      "--out", tmp_path / "b")
    assert code == 0, se
    from_flags = json.loads((tmp_path / "b" / "plan.json").read_text())["capacity"]
    assert from_file["per_instance_limit"] == from_flags["per_instance_limit"]
    assert len(from_file["metrics"]["excluded"]) == 7  # 00:00 to 00:30 every 5 minutes
    # A service file's load test beside --capacity-from on the line: refused, the file named.
    (folder / "lt.toml").write_text('load_test = "../../x.csv"\n')
    (tmp_path / "x.csv").write_text("n,x\n1,1\n")
    code, _, se = cli("forecast", files / "traffic.csv", "--config", folder / "lt.toml",
                      "--capacity-from", files / "metrics.csv", "--throughput", "rps",
                      "--resource", "cpu=cpu", "--out", tmp_path / "c")
    assert code == 2 and "lt.toml: load_test" in se and len(se.strip().splitlines()) == 1
    assert not (tmp_path / "c").exists()


def test_flat_topping_warned_in_analyze_and_forecast(tmp_path, cli):
    from capplan.ingest import read_traffic
    from capplan.load import daily_peaks

    t = read_traffic(data("traffic/nab_nyc_taxi.csv"))
    peaks, _ = daily_peaks(t.rate, t.interval_seconds)
    cap = float(np.percentile(peaks.to_numpy(), 80))  # reached on 20% of days
    clipped = t.rate.clip(upper=cap)
    f = tmp_path / "taxi_clipped.csv"
    pd.DataFrame({"timestamp": clipped.index.strftime("%Y-%m-%d %H:%M:%S"),
                  "value": clipped.to_numpy()}).to_csv(f, index=False)
    for args in (["analyze", f], ["forecast", f, "--growth", "2%/month", "--no-report"]):
        code, so, se = cli(*args, "--out", tmp_path / args[0])
        assert code == 0, se
        text = " ".join(so.split())
        assert "flat-topping" in text and "understates demand" in text, so
    code, so, _ = cli("analyze", data("traffic/nab_nyc_taxi.csv"), "--out", tmp_path / "plain")
    assert code == 0 and "understates demand" not in " ".join(so.split())


def test_the_sample_demand_file_is_what_its_script_writes():
    import importlib.util

    data("usl/oracledb.csv")
    spec = importlib.util.spec_from_file_location("make", ROOT / "inputs" / "make_oracledb_txn.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    s = make.series()
    committed = pd.read_csv(gzip.open(ROOT / "inputs" / "oracledb_txn_13weeks.csv.gz"))
    assert len(committed) == len(s) == 91 * 720
    assert np.allclose(committed["txn_rate"].to_numpy(), s.to_numpy(), atol=5e-5)
    assert (committed["timestamp"].iloc[[0, -1]] == ["2012-01-23 00:00:00",
                                                    "2012-04-22 23:58:00"]).all()


@pytest.fixture(scope="module")
def clipped_taxi(tmp_path_factory):
    """The real taxi series capped at a level its daily peaks reach on 20% of days."""
    from capplan.ingest import read_traffic
    from capplan.load import daily_peaks

    t = read_traffic(data("traffic/nab_nyc_taxi.csv"))
    peaks, _ = daily_peaks(t.rate, t.interval_seconds)
    cap = float(np.percentile(peaks.to_numpy(), 80))
    clipped = t.rate.clip(upper=cap)
    f = tmp_path_factory.mktemp("clipped") / "taxi_clipped.csv"
    pd.DataFrame({"timestamp": clipped.index.strftime("%Y-%m-%d %H:%M:%S"),
                  "value": clipped.to_numpy()}).to_csv(f, index=False)
    return f, cap


def test_unclipped_demand_forecast_by_hand(clipped_taxi):
    from capplan.outputs.report import plan_json

    f, cap = clipped_taxi
    g, limit, target = 0.02, 2000.0, 0.6
    res = forecast(str(f), Settings(growth="2%/month", months=6, per_instance=limit,
                                    instances=10))
    ft, u = res.load.flat_topping, res.unclipped
    assert ft.detected and u is not None
    # The unclipped planning peak: the highest estimated day of the last 28, recomputed here
    # from the estimate (Gilgur's rule itself is checked in test_saturation).
    est = ft.unclipped_daily_peaks
    recent = est[est.index >= est.index[-1] - pd.Timedelta(days=27)]
    assert u.planning_peak == pytest.approx(float(recent.max()))
    assert u.planning_peak > cap * 1.02  # the estimate sees past the ceiling
    assert u.observed_planning_peak == res.plan.planning_peak
    doc = json.loads(json.dumps(plan_json(res)))["growth"]["unclipped"]
    for m, row in zip(u.months, doc["months"]):
        peak = u.planning_peak * (1 + g) ** m.month  # a stated rate grows monotonically
        assert m.nominal_peak == pytest.approx(peak, rel=1e-9)
        assert m.worst_case_peak >= m.nominal_peak
        assert m.nominal_instances == max(1, math.ceil(peak / (limit * target) - 1e-9))
        assert m.worst_case_instances == max(1, math.ceil(m.worst_case_peak / (limit * target)
                                                          - 1e-9))
        assert row["nominal_peak"] == m.nominal_peak and row["month"] == m.month
    assert doc["planning_peak"] == u.planning_peak and len(doc["forecast"]) == 6 * 30 + 1
    # Without a ceiling there is nothing hidden: null.
    plain = forecast(str(data("traffic/nab_nyc_taxi.csv")), Settings(growth="2%/month", months=6))
    assert plain.unclipped is None
    assert json.loads(json.dumps(plan_json(plain)))["growth"]["unclipped"] is None


def test_unclipped_demand_shown_in_the_terminal(clipped_taxi, tmp_path, cli):
    f, _ = clipped_taxi
    code, so, se = cli("forecast", f, "--growth", "2%/month", "--months", "6", "--per-instance",
                       "2000", "--instances", "10", "--no-report", "--out", tmp_path / "o")
    assert code == 0, se
    u = json.loads((tmp_path / "o" / "plan.json").read_text())["growth"]["unclipped"]
    text = " ".join(so.split())
    last = u["months"][-1]
    assert "Unclipped demand" in text
    assert f"month 6: {last['nominal_peak']:,.0f} unclipped" in text
    assert f"{last['nominal_instances']} instances against" in text


def test_the_library_call_plans_on_the_same_fitted_limit(files):
    import capplan

    p = capplan.forecast(files / "traffic.csv", capacity_from=files / "metrics.csv",
                         throughput="rps", resources=["cpu=cpu", "mem=mem"], instances=FLEET,
                         growth=0.05, months=8, target_utilization=TARGET)
    same = run(files)
    doc = json.loads(p.to_json())
    assert doc["capacity"]["per_instance_limit"] == same.plan.capacity.per_instance_limit
    assert doc["capacity"]["binding"] == "cpu"
    assert [m["instances_high"] for m in doc["scenarios"]["worst_case"]["months"]] == \
        [m.instances_high for m in same.plan.scenarios["worst_case"].months]
    with pytest.raises(CapplanError, match=r"--capacity-from \S+ and --per-instance 100: both give"):
        capplan.forecast(files / "traffic.csv", capacity_from=files / "metrics.csv",
                         throughput="rps", resources=["cpu=cpu"], per_instance=100.0)
