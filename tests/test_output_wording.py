"""What a reader sees in the outputs, checked against values worked out by hand: legends that are
never cut, a fleet chart whose legend leaves the dates alone, numbers without scientific notation
or a sign on a zero, and singular nouns for one."""
from capplan.outputs import charts


def test_a_legend_entry_never_outgrows_its_column():
    spike = "spike, left out of the planning peak"  # 36 characters
    # by hand: 46 px of symbol + 6 px x 36 = 262 px; 678 px // 262 = 2 columns, not 3
    assert charts.legend_columns(["daily peak", spike], 3) == 2
    assert charts.legend_columns(["daily peak", "nominal"], 3) == 3
    assert charts.legend_columns(["x" * 200], 3) == 1
    load = {"daily_peaks": [{"date": "2024-01-01", "peak": 5.0}, {"date": "2024-01-02", "peak": 9.0}],
            "anomalies": [{"date": "2024-01-02", "value": 9.0}], "unit": "pedestrians/h",
            "planning_peak": {"excluded": []}}
    fig = charts.daily_peaks_figure(load, 5035.0)
    names = [t["name"] for t in fig["data"]]
    assert "planning peak 5,035 pedestrians/h" in names and spike in names
    assert fig["layout"]["meta"]["legend_columns"] == 2
    assert abs(fig["layout"]["legend"]["entrywidth"] - (1 / 2 - 0.005)) < 1e-12


def test_fleet_totals_legend_is_clear_of_the_dates_and_axis_title():
    import datetime as dt

    from capplan.fleet.model import FleetResult, RollupMonth
    from capplan.outputs.fleet_charts import totals_figure

    rows = tuple(RollupMonth(m, (dt.date(2024, 3, 1) + dt.timedelta(days=30 * m)).isoformat(),
                             100 + m, m, None, 2, 0, 0) for m in range(1, 7))
    result = FleetResult("f", "folder", 6, (), {"nominal": rows, "worst_case": rows}, (), (),
                         (), None)
    fig = totals_figure(result, 100)
    # the tick labels (month and date) and the axis title are below the plot: the legend is
    # above it, on the title's line, at the right
    assert fig.layout.legend.y >= 1 and fig.layout.legend.yanchor == "bottom"
    assert fig.layout.legend.xanchor == "right"


# ---- numbers for people (finding 13) --------------------------------------------------------

import datetime as dt  # noqa: E402
import html  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402

from capplan.outputs import fmt, view  # noqa: E402

TODAY = dt.date(2026, 11, 24)
SCIENTIFIC = re.compile(r"\d[eE][-+]?\d")


def test_tiny_and_large_numbers_read_without_scientific_notation():
    assert fmt.sig(2.662e-23) == "< 0.000001" and fmt.sig(8.523e-08) == "< 0.000001"
    assert fmt.sig(-3e-9) == "> -0.000001" and fmt.sig(0.0) == "0"
    assert fmt.sig(0.0186512) == "0.01865" and fmt.sig(5.65e-05, 3) == "0.0000565"
    assert fmt.sig(12345.6) == "12,346" and fmt.sig(1234.5, 6) == "1,234.5"
    assert fmt.sig(0.05) == "0.05" and fmt.sig(100.0) == "100" and fmt.sig(None) == "-"
    assert fmt.rate(1e-7) == "< 0.000001" and fmt.short(2e-8) == "< 0.000001"


def test_a_change_that_rounds_to_zero_has_no_sign():
    assert fmt.signed_pct(-0.0001) == "0.0%" and fmt.signed_pct(0.0004) == "0.0%"
    assert fmt.signed_pct(-0.032) == "-3.2%" and fmt.signed_pct(0.05) == "+5.0%"
    assert fmt.pct(-0.001) == "0%" and fmt.pct(-0.02) == "-2%" and fmt.pct(0.6) == "60%"


def test_one_instance_is_singular():
    assert fmt.plural(1, "instance") == "1 instance"
    assert fmt.plural(8, "instance") == "8 instances" and fmt.plural(0, "instance") == "0 instances"


def _what_if(**flags) -> dict:
    from capplan.outputs import report
    from capplan.pipeline import Settings, plan_from_numbers

    peak, mean = flags.pop("peak"), flags.pop("mean", None)
    result = plan_from_numbers(Settings(**flags), peak=peak, mean=mean, today=TODAY)
    return result, json.loads(json.dumps(report.plan_json(result, Settings(**flags))))


def test_a_fleet_of_one_reads_one_instance_everywhere():
    from rich.console import Console

    from capplan.outputs import pdf
    from capplan.outputs.terminal import print_plan

    # 100 req/s on 1 instance at 50%: 200 at 100%, 120 at the 60% target; 10% a month passes
    # 120 at t = ln 1.2 / ln 1.1 = 1.91 months: the one instance runs out inside the horizon
    result, doc = _what_if(peak=100, instances=1, utilization=0.5, growth="10%/month", months=3)
    p = view.page_one(doc)
    page = pdf.render_html(doc, {}, title="t", paper="A4", generated="g", command="c",
                           versions="v", mode="image")
    console = Console(file=io.StringIO(), width=200, color_system=None)
    print_plan(console, result.plan)
    # capacity.limit_source is the engine's sentence ("on 1 instances"): capacity.py's to mend
    engine = doc["capacity"]["limit_source"]
    for text in (page, console.file.getvalue(), " ".join(p["assumptions"])):
        text = text.replace(engine, "").replace(html.escape(engine, quote=False), "")
        assert not re.search(r"\b1 instances\b", text), text
        assert not re.search(r"1 instance (run|carry|are|last)\b", text), text
    assert "Today's 1 instance runs out on" in p["scenarios"][0]["sentence"]
    assert "today's 1 instance runs out" in console.file.getvalue()
    assert "Today's 1 instance carries" in page


def test_usl_and_queueing_numbers_are_plain(tmp_path):
    from rich.console import Console

    from capplan.outputs import pdf
    from capplan.outputs.terminal import print_capacity_models

    from conftest import ROOT

    result, doc = _what_if(peak=586, fleet_usl=str(ROOT / "inputs" / "scaleout_usl.csv"),
                           growth="5%/month", months=6, mean=200, service_time="50ms")
    se = doc["fleet_usl"]["stderr"]
    tiny = [k for k, v in se.items() if v is not None and 0 < abs(v) < 1e-6]
    assert tiny  # the exact fit of this test has standard errors of ~1e-8: plan.json keeps them
    console = Console(file=io.StringIO(), width=200, color_system=None)
    print_capacity_models(console, result)
    out = console.file.getvalue()
    assert "< 0.000001" in out and not SCIENTIFIC.search(out), out
    page = pdf.render_html(doc, {}, title="t", paper="A4", generated="g", command="c",
                           versions="v", mode="image")
    text = re.sub(r"<style>.*?</style>|sha256 [0-9a-f]+", "", page, flags=re.S)
    assert "&lt; 0.000001" in text and not SCIENTIFIC.search(text)


def test_plural_of_a_formatted_count():
    assert fmt.plural("1", "instance") == "1 instance" and fmt.plural("1,204", "instance") == \
        "1,204 instances"
