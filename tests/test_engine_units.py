"""The engine's sentences name the traffic's unit (`--unit`): plan.json, the terminal and the page
say orders/s where the traffic is in orders/s, and req/s, word for word as before, without a unit.
A unit of another time base (hires/day) meets the per-second inputs (a load test's throughput,
Little's Law and M/M/c) through an exact factor, checked here against numbers worked by hand;
--capacity-from, whose throughput has no stated time base, is refused beside it."""
import json
import math
import re
import sys
from pathlib import Path

import pytest

from capplan.capacity import build_capacity
from capplan.errors import CapplanError
from capplan.units import RateUnit, conversion_note, fleet_in_unit, rate_unit
from capplan.usl import USL
from conftest import json_strings

INPUTS = Path(__file__).parents[1] / "inputs"
LOAD_TEST = str(INPUTS / "loadtest_specsdm91.csv")
SCALE_OUT = str(INPUTS / "scaleout_usl.csv")
ORDERS, HIRES = RateUnit("orders/s", 1.0), RateUnit("hires/day", 86400.0)


def _traffic_csv(path: Path, days: int = 35, level: float = 20000.0) -> Path:
    """Hourly rates with a daily cycle: enough days for a plan at a stated growth."""
    import numpy as np
    import pandas as pd

    t = pd.date_range("2026-01-01", periods=days * 24, freq="h")
    hour = np.asarray(t.hour)
    values = level * (0.6 + 0.4 * np.sin((hour - 6) / 24 * 2 * np.pi).clip(0))
    pd.DataFrame({"timestamp": t.strftime("%Y-%m-%d %H:%M:%S"), "value": values}).to_csv(
        path, index=False)
    return path


def _cli(monkeypatch, capsys, *args):
    """capplan in this process: (exit code, stdout, stderr)."""
    from capplan.cli import main

    monkeypatch.setenv("CAPPLAN_TODAY", "2026-03-01")
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setattr(sys, "argv", ["capplan", *map(str, args)])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


# ---- the sentences name the unit, and only it ------------------------------------------------

@pytest.mark.parametrize("flags", [
    ("--load-test", LOAD_TEST, "--service-time", "250ms", "--latency-slo", "600ms",
     "--instances", "20", "--zones", "3", "--spare", "1"),
    ("--per-instance", "1250", "--service-time", "250ms", "--latency-slo", "1500ms",
     "--instances", "30", "--spare", "3"),
    ("--instances", "30", "--utilization", "0.4", "--fleet-usl", SCALE_OUT),
], ids=["load-test", "service-time", "fleet-usl"])
def test_orders_plan_json_and_terminal_never_say_req_s(tmp_path, monkeypatch, capsys, flags):
    traffic = _traffic_csv(tmp_path / "orders.csv")
    out = tmp_path / "o"
    code, text, err = _cli(monkeypatch, capsys, "forecast", traffic, "--unit", "orders/s",
                           "--growth", "5%/month", "--months", "3", *flags, "--no-report",
                           "-o", out)
    assert code == 0, err
    doc = json.loads((out / "plan.json").read_text())
    said = [s for s in json_strings(doc) if "req/s" in s]
    assert not said, said
    assert "req/s" not in text
    cap = doc["capacity"]
    assert cap["unit"] == "orders/s" == doc["load"]["unit"]
    assert "orders/s" in cap["limit_source"] or "fleet_usl" in doc
    if "--latency-slo" in flags:
        lat = cap["limits"]["latency_slo"]
        assert "orders/s" in lat["description"] and "orders/s" in cap["limits"]["note"]
        assert "orders/s" in lat["servers_source"]
        assert all("orders/s" in line for line in doc["queueing"]["at_peak"][:4])
        assert f"latency limit: {lat['description'][:40]}" in text.replace("\n", " ")
    if "--fleet-usl" in flags:
        # a per-second unit converts nothing: no note, the fit's own lambda
        assert not [a for a in cap["assumptions"] if "converted exactly" in a]
    assert f"Capacity: {cap['limit_source'][:30]}" in text


def test_orders_page_and_html_never_say_req_s(tmp_path, monkeypatch, capsys):
    from capplan.outputs import charts, pdf, view

    traffic = _traffic_csv(tmp_path / "orders.csv")
    out = tmp_path / "o"
    code, _, err = _cli(monkeypatch, capsys, "forecast", traffic, "--unit", "orders/s",
                        "--growth", "5%/month", "--months", "3", "--load-test", LOAD_TEST,
                        "--service-time", "250ms", "--latency-slo", "600ms", "--instances", "20",
                        "--spare", "4", "--no-report", "-o", out)
    assert code == 0, err
    doc = json.loads((out / "plan.json").read_text())
    page = pdf.render_html(doc, charts.report_figures(doc), title="t", paper="A4",
                           generated="2026-03-01", command="capplan forecast", versions="v",
                           mode="image")
    assert "req/s" not in page
    p = view.page_one(doc)
    assert p["limit_source"] == doc["capacity"]["limit_source"]
    assert "X(N*) = 1,883.9 orders/s at N* = 96.5" in p["limit_source"]
    assert "X(N*) = 1,883.9 orders/s at N* = 96.5" in page


def test_capacity_from_sentences_name_the_unit(tmp_path, monkeypatch, capsys):
    code, text, err = _cli(monkeypatch, capsys, "forecast", INPUTS / "oracledb_txn_13weeks.csv.gz",
                           "--unit", "orders/s", "--months", "3", "--growth", "4%/month",
                           "--instances", "1", "--capacity-from",
                           Path(__file__).parents[2] / "shared" / "data" / "usl" / "oracledb.csv",
                           "--throughput", "txn_rate", "--resource", "cpu=cpu_util",
                           "--no-report", "-o", tmp_path / "o")
    if code == 2 and "no such file" in err:
        pytest.skip("../shared/data is not here")
    assert code == 0, err
    doc = json.loads((tmp_path / "o" / "plan.json").read_text())
    assert not [s for s in json_strings(doc) if "req/s" in s]
    assert "req/s" not in text
    assert re.search(r"cpu binds at [\d.,]+ orders/s per instance", doc["capacity"]["limit_source"])
    assert doc["capacity"]["plan_limit"]["source"] == doc["capacity"]["limit_source"]
    assert "points per orders/s per instance" in " ".join(doc["capacity"]["assumptions"])


# ---- with no unit: the sentences as they were --------------------------------------------------

def test_default_sentences_word_for_word():
    from capplan import limits
    from capplan.queueing import worksheet

    given = build_capacity(planning_peak=10000, per_instance=1250)
    assert given.limit_source == "given: 1,250 req/s per instance at 100%"
    derived = build_capacity(planning_peak=10000, instances=20, utilization=0.4)
    assert derived.limit_source == ("derived from the current fleet: 10,000 req/s on 20 instances "
                                    "at 40% utilization -> 1,250 req/s per instance at 100%")
    lat = limits.for_service_time(1250, 0.25, 1.2)
    assert lat.servers_source == ("Little's Law: the per-instance limit x the service time = "
                                  "1,250 req/s x 250 ms = 312.5 requests in service at 100%")
    w = worksheet(mean_rate=5000, peak_rate=10000, service_time=0.25, instances=20,
                  target_utilization=0.6)
    assert w.at_peak[0] == ("at the peak, 10,000 req/s x 250 ms = 2,500 requests in service at "
                            "once (Little's Law): size thread and connection pools above this")
    # The same sentences in orders/s differ by the label and the word for what is counted
    # alone: a per-second unit converts nothing.
    in_orders = build_capacity(planning_peak=10000, instances=20, utilization=0.4,
                               unit="orders/s")
    assert in_orders.limit_source == derived.limit_source.replace("req/s", "orders/s")
    assert limits.for_service_time(1250, 0.25, 1.2, ORDERS).description == \
        lat.description.replace("req/s", "orders/s")
    w2 = worksheet(mean_rate=5000, peak_rate=10000, service_time=0.25, instances=20,
                   target_utilization=0.6, unit=ORDERS)
    assert w2.at_peak == tuple(s.replace("req/s", "orders/s").replace("requests", "orders")
                               for s in w.at_peak)
    assert conversion_note(ORDERS, load_test=True, queueing=True) == ()


def test_default_plan_notes_word_for_word():
    from capplan.pipeline import Settings, plan_from_numbers

    r = plan_from_numbers(Settings(per_instance=1000, spare=3, months=1), peak=10000,
                          today=__import__("datetime").date(2026, 1, 1))
    # 10,000 at 600 usable: 17 instances; losing the 3 spares leaves 14, 10,000 / 14,000 = 71%.
    assert ("N+3 is within the target's headroom: 17 instances, 14 after losing the 3 spare(s), "
            "carry the planning peak 10,000 req/s at 71% (at most 80% allowed), so the 60% "
            "target, not the loss, sets the count") in r.plan.notes
    assert r.plan.capacity.unit == "req/s"


# ---- another time base: converted exactly ------------------------------------------------------

def test_rate_unit_time_bases():
    assert rate_unit(None) == RateUnit("req/s", 1.0)
    assert rate_unit("hires/day").seconds == 86400 and rate_unit("hires/d").seconds == 86400
    assert rate_unit("jobs/min").seconds == 60 and rate_unit("msgs/hours").seconds == 3600
    assert rate_unit("x/week").seconds == 604800 and rate_unit("orders/s").seconds == 1
    assert rate_unit("hires/day").per_second == "hires/s"
    assert rate_unit("orders/s").per_second == "orders/s"
    assert rate_unit("hires/fortnight").seconds is None


def test_mm1_latency_limit_in_hires_per_day_by_hand():
    """M/M/1: the response time is exponential with rate mu - lambda, so its p99 is
    ln(100) / (mu - lambda); with s = 0.1 s (mu = 10/s) and a 1 s objective, lambda = 10 -
    ln(100) = 5.394830/s = 466,113.30 hires/day. 864,000 hires/day is 10/s: c = 10 x 0.1 = 1."""
    from capplan import limits

    lat = limits.for_service_time(864_000, 0.1, 1.0, HIRES)
    assert lat.servers_per_instance == 1
    assert lat.rate == pytest.approx((10 - math.log(100)) * 86400, rel=1e-7)
    assert "10 hires/s (864,000 hires/day / 86,400)" in lat.servers_source
    assert lat.servers_source.endswith("x 100 ms = 1 hires in service at 100%")
    assert "466,113 hires/day (x 86,400 seconds a day)" in lat.description
    assert "req/s" not in lat.description + lat.servers_source


def test_measured_latency_limit_in_hires_per_day_by_hand():
    """Steps (N, X/s, p99): (1, 10, 0.1 s), (2, 20, 0.2 s), (3, 30, 0.4 s); a 0.3 s objective is
    crossed halfway from step 2 to step 3: 25/s, 2,160,000 hires/day."""
    from capplan import limits

    lat = limits.from_measured([1, 2, 3], [10, 20, 30], [0.1, 0.2, 0.4], 0.3, "test", "p99",
                               HIRES)
    assert lat.rate == pytest.approx(25 * 86400)
    assert "(20 hires/s, 200 ms) and N = 3 (30 hires/s, 400 ms): 25 hires/s" in lat.description
    assert lat.description.endswith("; 2,160,000 hires/day (x 86,400 seconds a day)")
    same = limits.from_measured([1, 2, 3], [10, 20, 30], [0.1, 0.2, 0.4], 0.3, "test", "p99")
    assert same.rate == 25 and same.description == lat.description.split("; 2,160,000")[0] \
        .replace("hires/s", "req/s")


def test_worksheet_in_hires_per_day_by_hand():
    """Little's Law at the peak: 864,000 hires/day = 10/s, x 0.25 s = 2.5 in service; 4 instances
    of c = round(216,000 / 86,400 x 0.25) = round(0.625) = 1 server carry 4/s at 100% each, so
    the target 60% allows 2.4/s = 207,360 hires/day an instance."""
    from capplan.queueing import worksheet

    w = worksheet(mean_rate=432_000, peak_rate=864_000, service_time=0.25, instances=4,
                  target_utilization=0.6, servers_per_instance=1, unit=HIRES)
    assert w.in_flight_peak == pytest.approx(2.5) and w.in_flight_mean == pytest.approx(1.25)
    assert w.peak_rate == 864_000 and w.mean_rate == 432_000
    assert w.utilization_rate_per_instance == pytest.approx(0.6 * 4 * 86400)
    assert w.rate_limit_per_instance == pytest.approx(207_360)
    # per instance 2.5/s against 4/s at 100%: M/M/1 at rho = 0.625, Lq = rho^2 / (1 - rho)
    assert w.queue_peak == pytest.approx(0.625 ** 2 / 0.375)
    assert w.at_peak[0].startswith("the worksheet runs per second") and "86,400" in w.at_peak[0]
    # what is in service is named in the traffic's own word, not "requests"
    assert w.at_peak[1].startswith("at the peak, 10 hires/s x 250 ms = 2.5 hires in service")
    assert not [s for s in w.at_peak if "req/s" in s]


def test_fleet_usl_in_hires_per_day_by_hand():
    """X(10) = 100 x 10 / (1 + 0.02 x 9 + 0.0001 x 90) = 1000 / 1.189 a second; N* is unchanged."""
    u = USL(0.02, 0.0001, 100.0)
    day = fleet_in_unit(u, HIRES)
    assert day.throughput(10) == pytest.approx(1000 / 1.189 * 86400, rel=1e-12)
    assert day.n_star == pytest.approx(u.n_star) and day.n_max() == u.n_max()
    assert fleet_in_unit(u, ORDERS) is u


def test_load_test_plan_in_hires_per_day(tmp_path):
    """The per-instance limit is the fit's X(N*) (per second, from its own coefficients:
    N* = sqrt((1 - sigma) / kappa)) x 86,400; the plan says so in one note."""
    import capplan

    traffic = _traffic_csv(tmp_path / "hires.csv", level=2e8)
    r = capplan.forecast(str(traffic), unit="hires/day", growth="5%/month", months=2,
                         load_test=LOAD_TEST, latency_slo="600ms", spare=1)
    doc = json.loads(r.to_json())
    m = r.result.usl.model
    n_star = math.sqrt((1 - m.sigma) / m.kappa)
    x_star = m.lambda_ * n_star / (1 + m.sigma * (n_star - 1) + m.kappa * n_star * (n_star - 1))
    cap = doc["capacity"]
    assert cap["per_instance_limit"] == pytest.approx(x_star * 86400, rel=1e-9)
    assert cap["unit"] == "hires/day"
    assert f"{x_star:,.6g} hires/s" in cap["limit_source"]
    assert f"{x_star * 86400:,.0f} hires/day (x 86,400 seconds a day)" in cap["limit_source"]
    notes = [a for a in cap["assumptions"] if "converted exactly" in a]
    assert notes == ["the traffic is in hires/day; converted exactly from per second to "
                     "hires/day (x 86,400 seconds a day): the load test's throughput "
                     "(--load-test), Little's Law and M/M/c (--service-time, --latency-slo)"]
    # the latency limit (M/M/c on the fit, per second) is in hires/day too, below the limit
    lat = cap["limits"]["latency_slo"]
    assert 0 < lat["rate"] <= cap["per_instance_limit"] * (1 + 1e-9)
    assert "hires/day" in lat["description"]
    assert not [s for s in json_strings(doc) if "req/s" in s]
    # the page: the load test's own figures per second (hires/s), the plan's per day
    from capplan.outputs import charts, fmt, pdf

    figs = charts.report_figures(doc)
    page = pdf.render_html(doc, figs, title="t", paper="A4", generated="2026-03-01",
                           command="capplan forecast", versions="v", mode="image")
    assert f"X(N*) = {fmt.rate(x_star)} hires/s" in page and "req/s" not in page
    lines = {t["name"] for t in figs["usl"]["data"] if t.get("name")}
    util = cap["limits"]["utilization"]["rate"]
    assert any(n.startswith(f"utilization target 60%: {fmt.rate(util / 86400)} hires/s")
               for n in lines), lines
    # the month rows size the per-day peaks against the per-day limit
    row = doc["scenarios"]["nominal"]["months"][0]
    usable = cap["usable_per_instance"]
    assert row["instances"] >= math.ceil(row["peak"] / usable - 1e-9)


# ---- refused: no time base to convert by ---------------------------------------------------------

def test_capacity_from_with_a_per_day_unit_is_refused_by_the_cli(tmp_path, monkeypatch, capsys):
    traffic = _traffic_csv(tmp_path / "hires.csv")
    out = tmp_path / "o"

    def forbidden(*a, **k):
        raise AssertionError("the refused flags reached the work")

    import capplan.pipeline

    monkeypatch.setattr(capplan.pipeline, "forecast", forbidden)
    code, text, err = _cli(monkeypatch, capsys, "forecast", traffic, "--unit", "hires/day",
                           "--capacity-from", traffic, "--throughput", "value",
                           "--resource", "cpu=value", "--no-report", "-o", out)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.strip() == (
        "capplan: error: --capacity-from reads the metrics' throughput per second, but --unit "
        "hires/day is per day: the metrics' time base is unknown; read the traffic per second "
        "(--unit hires --per-interval) or give --per-instance in hires/day instead of "
        "--capacity-from")
    assert not out.exists()
    # a per-second unit is not refused
    from capplan.validation import check_metrics_settings

    check_metrics_settings({"unit": "orders", "capacity_from": "m.csv", "throughput": "x",
                            "resources": ["cpu=c"]})


def test_a_unit_without_a_known_time_base_is_refused_beside_a_load_test(tmp_path):
    """Only a Traffic made by hand can carry such a label (--unit refuses it)."""
    import dataclasses

    import capplan
    from capplan.pipeline import Settings, forecast_traffic

    t = capplan.read_traffic(str(_traffic_csv(tmp_path / "x.csv")))
    odd = dataclasses.replace(t, unit="hires/fortnight")
    with pytest.raises(CapplanError, match=r"--load-test is per second, but the traffic's unit "
                                           r"'hires/fortnight' states no time base"):
        forecast_traffic(odd, Settings(load_test=LOAD_TEST, growth="5%/month", months=1))
    with pytest.raises(CapplanError, match="--service-time is per second"):
        forecast_traffic(odd, Settings(per_instance=100, service_time="50ms",
                                       latency_slo="500ms", growth="5%/month", months=1))


def test_capacity_from_refused_for_a_per_day_traffic_made_in_code(tmp_path):
    """A Traffic made in code may carry hires/day without any --unit flag: the pipeline asks the
    traffic's own unit, before any metrics file is read."""
    import dataclasses

    import capplan
    from capplan.pipeline import Settings, forecast_traffic

    t = capplan.read_traffic(str(_traffic_csv(tmp_path / "x.csv")))
    per_day = dataclasses.replace(t, unit="hires/day")
    with pytest.raises(CapplanError, match=r"--capacity-from reads the metrics' throughput per "
                                           r"second, but --unit hires/day is per day"):
        forecast_traffic(per_day, Settings(capacity_from=str(tmp_path / "absent.csv"),
                                           throughput="value", resources=("cpu=value",),
                                           growth="5%/month", months=1))
