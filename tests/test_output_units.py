"""The unit the traffic was read in (`--unit`, plan.json's `load.unit`) is the unit of every rate
the outputs print: page 1, the month table, the charts, the workbook, the terminal and the fleet's
files. req/s only when no unit was given. And the fleet's order-by dates say how late an order
already is, as each service's own plan does."""
import datetime as dt
import io
import json
import re

import pytest

from capplan.outputs import charts, fmt, view
from conftest import daily_csv, json_strings

UNIT = "hires/day"


def _frame(days=120, level=20000.0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    t = np.arange(days)
    return pd.DataFrame({"day": pd.date_range("2024-01-01", periods=days, freq="D"),
                         "hires": level + 1000 * np.sin(t / 7 * 2 * np.pi)
                         + rng.normal(0, 300, days)})


@pytest.fixture(scope="module")
def hires():
    """A plan of daily hires with --unit hires/day: its result and its plan.json document."""
    import capplan

    r = capplan.forecast(_frame(), unit=UNIT, months=3, instances=8, utilization=0.55, spare=2,
                         growth="5%/month", lead_time=30, latency_slo="250ms",
                         service_time="50ms")
    return r, json.loads(r.to_json())


def test_plan_json_carries_the_unit_given(hires):
    _, doc = hires
    assert doc["load"]["unit"] == UNIT and fmt.unit(doc) == UNIT
    assert fmt.unit({"load": None}) == "req/s" and fmt.unit({}) == "req/s"


def test_page_one_speaks_the_unit(hires):
    _, doc = hires
    p = view.page_one(doc)
    texts = list(json_strings(p))
    assert not [t for t in texts if "req/s" in t], [t for t in texts if "req/s" in t]
    # the sentences with their numbers, as plan.json holds them
    assert p["utilization"].startswith(f"Sized for today's planning peak "
                                       f"({fmt.rate(doc['planning_peak'])} {UNIT}: ")
    util = doc["capacity"]["limits"]["utilization"]
    assert p["limits"][0].startswith(f"Binding limit: the utilization target "
                                     f"{fmt.pct(util['target_utilization'])} of "
                                     f"{fmt.rate(util['per_instance_limit'])} = "
                                     f"{fmt.rate(util['rate'])} {UNIT} an instance")
    # the engine's own sentences name the unit already: plan.json and page 1 say the same
    assert not [t for t in json_strings(doc) if "req/s" in t]
    assert p["limit_source"] == doc["capacity"]["limit_source"]
    assert "per instance at 100%" in p["limit_source"] and UNIT in p["limit_source"]
    assert f"Planning peak: {fmt.rate(doc['planning_peak'])} {UNIT}" in " ".join(p["assumptions"])


def test_charts_label_rates_in_the_unit(hires):
    _, doc = hires
    figs = charts.report_figures(doc)
    assert figs["growth"]["layout"]["yaxis"]["title"]["text"] == f"peak ({UNIT})"
    names = [t.get("name") or "" for t in figs["growth"]["data"]]
    assert f"planning peak {fmt.rate(doc['planning_peak'])} {UNIT}" in names
    assert "req/s" not in json.dumps(figs)


def test_pdf_page_headers_and_texts_in_the_unit(hires):
    _, doc = hires
    from capplan.outputs import pdf

    page = pdf.render_html(doc, {}, title="t", paper="A4", generated="2026-11-26",
                           command="capplan forecast", versions="v", mode="image")
    text = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    assert "req/s" not in text
    assert f"<th>peak ({UNIT})</th>" in text and f"Peak ({UNIT}): the demand" in text
    assert f"carry {fmt.rate(doc['capacity']['current_fleet_carries'])} {UNIT}" in text


def test_workbook_labels_in_the_unit(hires):
    _, doc = hires
    from openpyxl import load_workbook

    from capplan.outputs import workbook

    wb = load_workbook(io.BytesIO(workbook.build(doc, "t")))
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert not [c for c in cells if "req/s" in c]
    assert f"Planning peak ({UNIT})" in cells and f"Today's fleet carries ({UNIT})" in cells
    inputs = wb["Inputs"]
    rows = [[c.value for c in r] for r in inputs.iter_rows()]
    peak = next(r for r in rows if "Planning peak today" in r)
    assert UNIT in peak


def test_terminal_plan_in_the_unit(hires):
    r, doc = hires
    from rich.console import Console

    from capplan.outputs.terminal import print_plan

    console = Console(file=io.StringIO(), width=200, color_system=None)
    print_plan(console, r.result.plan, unit=doc["load"]["unit"])
    out = console.file.getvalue()
    assert "req/s" not in out
    assert f"planning peak of {fmt.rate(doc['planning_peak'])} {UNIT} needs" in out
    assert f"peak ({UNIT})" in out


def test_no_unit_given_reads_req_per_second():
    from capplan.outputs.report import plan_json
    from capplan.pipeline import Settings, plan_from_numbers

    s = Settings(instances=20, utilization=0.4, growth="10%/month", months=3)
    doc = json.loads(json.dumps(plan_json(plan_from_numbers(s, peak=10000,
                                                            today=dt.date(2026, 11, 24)), s)))
    p = view.page_one(doc)
    assert p["unit"] == "req/s" and "(10,000 req/s: " in p["utilization"]
    assert charts.demand_figure(doc)["layout"]["yaxis"]["title"]["text"] == "peak (req/s)"


# ---- the fleet ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def short_fleet(tmp_path_factory):
    """Two services short today (each needs 10 instances: 600 / (100 x 0.6), and has 5), with a
    30-day lead time: in service now, so each order is 30 days late. `hires` reads hires/day."""
    from capplan.fleet import FleetSettings, LocalExecutor, plan_fleet, read_sources

    d = tmp_path_factory.mktemp("short")
    for name in ("a", "b"):
        daily_csv(d / f"{name}.csv", [600] * 20)
    (d / "fleet.toml").write_text(
        '[defaults]\nper_instance = 100\ninstances = 5\ntarget_utilization = 0.6\n'
        'growth = "0%/month"\nlead_time = 30\n\n'
        '[[service]]\nname = "hires"\nfile = "a.csv"\nunit = "hires/day"\n\n'
        '[[service]]\nname = "plain"\nfile = "b.csv"\n')
    return plan_fleet(read_sources(d / "fleet.toml"), FleetSettings(), LocalExecutor(1))


def test_fleet_at_risk_says_how_late_the_order_is(short_fleet):
    from capplan.outputs import fleet_json
    from capplan.outputs.fleet_pdf import at_risk_rows

    result = short_fleet
    rows = at_risk_rows(result)
    assert {(r["name"], r["scenario"]) for r in rows} >= {("hires", "nominal"),
                                                          ("plain", "nominal")}
    for r in rows:
        plan = next(s for s in result.planned if s.name == r["name"]).plan()
        # by hand: short on day 0, in service by the start, ordered 30 days before it
        assert plan["scenarios"][r["scenario"]]["order_late_days"] == 30
        assert r["order_late_days"] == 30 and r["order_text"] == "now: 30 days late"
    doc = json.loads(fleet_json.dumps(result))
    assert {a["order_late_days"] for a in doc["at_risk"]} == {30}


def test_fleet_terminal_and_pdf_never_advise_a_past_date(short_fleet):
    from rich.console import Console

    from capplan.outputs import fleet_html, fleet_pdf
    from capplan.outputs.fleet_terminal import print_fleet

    console = Console(file=io.StringIO(), width=200, color_system=None)
    print_fleet(console, short_fleet)
    out = console.file.getvalue()
    start = short_fleet.planned[0].summary.start
    at_risk = out[out.index("At risk"):]
    assert "now: 30 days late" in at_risk and start not in at_risk.split("runway", 1)[1] \
        .replace(f"{start} │ now", "")
    v = fleet_pdf.view(short_fleet, "t")
    pages = [fleet_pdf.risk_page(s, s.plan(), "") for s in fleet_pdf.at_risk_services(short_fleet)]
    page = fleet_pdf.render_html(v, {}, pages, paper="A4", command="c", versions="v")
    assert page.count("now: 30 days late") >= 4  # page-1 table, each risk page, the services
    assert "Order by <b>" not in page
    assert "now: 30 days late" in fleet_html.render(short_fleet, "t").decode()


def test_fleet_outputs_read_each_services_unit(short_fleet):
    from openpyxl import load_workbook

    from capplan.outputs import fleet_charts, fleet_workbook
    from capplan.outputs.fleet_pdf import service_unit

    by = {s.name: s for s in short_fleet.planned}
    assert service_unit(by["hires"]) == by["hires"].plan()["load"]["unit"] == "hires/day"
    assert service_unit(by["plain"]) == "req/s"
    fig = fleet_charts.service_figure("hires", by["hires"].plan())
    assert fig.layout.yaxis.title.text == "peak (hires/day)"
    wb = load_workbook(io.BytesIO(fleet_workbook.build(short_fleet, "t")))
    months = list(wb["Months"].iter_rows(values_only=True))
    unit = months[0].index("peak unit")
    assert {(r[0], r[unit]) for r in months[1:]} == {("hires", "hires/day"), ("plain", "req/s")}
    services = list(wb["Services"].iter_rows(values_only=True))
    head = services[0]
    late = head.index("order days late (nominal)")
    assert {r[0]: r[late] for r in services[1:]} == {"hires": 30, "plain": 30}
