"""Output defects from a fresh-eyes trial: error values in a recalculated scale-out workbook,
shown month costs that do not add up to the shown total, numbers cut off in terminal tables,
headers broken inside a word, the PDF month table's blank-versus-dash, and the usl summary's
throughputs without a unit."""
import datetime as dt
import json
import math
import shutil
from pathlib import Path

import pytest

from conftest import ROOT

TODAY = dt.date(2026, 11, 24)
ERRORS = ("#VALUE!", "#DIV/0!", "#NAME?", "#REF!", "#N/A", "#NUM!", "#NULL!", "Err:")
soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")


def _usl_x(n, sigma=0.05, kappa=0.001, lam=100.0):
    return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))


# ---- 1. no error values in a recalculated workbook ---------------------------------------------

@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The trial's scale-out plan (the peak past what one fleet of N* carries from month 1, no
    cell alternative in month 1) and plans of other shapes, recalculated in one call."""
    from test_workbook import recalc, what_if

    tmp = tmp_path_factory.mktemp("o7books")
    usl = str(ROOT / "inputs" / "scaleout_usl.csv")
    docs = {
        "scaleout": what_if(tmp, "scaleout", peak=586, fleet_usl=usl, growth="5%/month",
                            cost_per_instance=100, currency="EUR", months=24, instances=8),
        # no fleet today, no cost: every cell fed by them is blank
        "bare_usl": what_if(tmp, "bare_usl", peak=586, fleet_usl=usl, growth="5%/month",
                            months=6, events=("sale:2027-02-10:24h:3x",)),
        "bare": what_if(tmp, "bare", peak=1000, per_instance=100, growth="5%/month", months=6,
                        events=("sale:2027-02-10:24h:3x", "gone:2020-01-01:24h:2x")),
        "redundant": what_if(tmp, "redundant", peak=586, fleet_usl=usl, growth="8%/month",
                             months=12, instances=14, zones=3, spare=1, cost_per_instance=99.99,
                             events=("promo:2027-03-01:24h:2x",)),
    }
    return docs, recalc(tmp, list(docs))


@soffice
@pytest.mark.parametrize("name", ["scaleout", "bare_usl", "bare", "redundant"])
def test_no_cell_of_a_recalculated_workbook_is_an_error(books, name):
    _, got = books
    bad = [f"{ws.title}!{c.coordinate}={c.value}" for ws in got[name] for row in ws.iter_rows()
           for c in row if isinstance(c.value, str) and c.value.startswith(ERRORS)]
    assert bad == []


@soffice
def test_the_alternative_cells_that_apply_agree_with_plan_json_and_by_hand(books):
    from test_workbook import _table

    docs, got = books
    for key, label in (("nominal", "Nominal"), ("worst_case", "Worst case")):
        months = docs["scaleout"]["scenarios"][key]["months"]
        rows = _table(got["scaleout"][label], 5)
        for m, row in zip(months, rows):
            alt = m["cell_alternative"]
            want = (None, None, None) if alt is None else (alt["cell_size"], alt["instances"],
                                                           alt["saving"])
            have = (row["alternative: cell size"], row["alternative: instances"],
                    row["alternative: saving"])
            assert have[:2] == want[:2] and (want[2] is None) == (have[2] is None), m["month"]
            if want[2] is not None:
                assert math.isclose(have[2], want[2], rel_tol=1e-9)
    rows = _table(got["scaleout"]["Nominal"], 5)
    # By hand, on the test's USL (sigma 0.05, kappa 0.001, lambda 100), target 60%, one zone:
    # month 12's peak 586 x 1.05^12 = 1,052.4; one instance carries 0.6 x 100 = 60, so 18
    # cells of 1; two cells of 23 carry it (X(22) = 875.8 < 1,052.4 / 2 / 0.6 = 877.0 <=
    # X(23) = 882.6): 46 instances, a saving of 1 - 18 / 46.
    peak12 = 586 * 1.05 ** 12
    assert math.ceil(peak12 / 60) == 18
    assert _usl_x(22) < peak12 / 2 / 0.6 <= _usl_x(23)
    assert rows[11]["alternative: instances"] == 18 and rows[11]["instances"] == 46
    assert math.isclose(rows[11]["alternative: saving"], 1 - 18 / 46, rel_tol=1e-6)
    # Month 1: 615.3 / 60 = 10.3, 11 cells of 1 against 2 x 7 = 14 saves 21%, under 25%: blank.
    assert _usl_x(6) < 615.3 / 2 / 0.6 <= _usl_x(7)
    assert rows[0]["instances"] == 14 and rows[0]["alternative: instances"] is None
    assert rows[0]["alternative: cell size"] is None


# ---- 2. shown month costs add up to the shown total ----------------------------------------------

def _plan(**flags):
    """A what-if plan and its plan.json, in-process (no browser)."""
    from capplan.outputs import report
    from capplan.pipeline import Settings, plan_from_numbers

    peak = flags.pop("peak")
    result = plan_from_numbers(Settings(**flags), peak=peak, today=TODAY)
    return result, json.loads(json.dumps(report.plan_json(result, Settings(**flags))))


# By hand: 1,000 req/s growing 10% a month, 100 req/s an instance at the 60% target (60 usable),
# one zone, no spare: month m's peak is 1,000 x 1.1^m, so 1,100 / 60 = 18.3 -> 19, 1,210 / 60 =
# 20.2 -> 21, 1,331 / 60 = 22.2 -> 23 instances; at 99.99 GBP: 1,899.81, 2,099.79, 2,299.77,
# which add to 6,299.37. Whole pounds (1,900 + 2,100 + 2,300 = 6,300) would not add to the total.
CENTS = dict(peak=1000, per_instance=100, growth="10%/month", months=3, cost_per_instance=99.99,
             currency="GBP")
MONTH_COSTS = ("1,899.81", "2,099.79", "2,299.77")
TOTAL = "6,299.37"


def _terminal(result, width=200) -> str:
    import io

    from rich.console import Console

    from capplan.outputs.terminal import print_plan

    buf = io.StringIO()
    print_plan(Console(file=buf, width=width, color_system=None), result.plan)
    return buf.getvalue()


def test_costs_are_shown_to_the_cent_when_any_is_not_whole_in_the_terminal():
    result, _ = _plan(**CENTS)
    text = _terminal(result)
    for cost in MONTH_COSTS:
        assert cost in text
    assert f"nominal {TOTAL} GBP" in text and "99.99 GBP an instance" in text
    assert "1,900" not in text and "6,299 " not in text


def test_costs_are_shown_to_the_cent_on_the_page_and_add_up():
    from capplan.outputs import pdf
    from capplan.outputs.view import page_one

    _, doc = _plan(**CENTS)
    view = page_one(doc)
    shown = [r["nominal"]["cost"] for r in view["months"]]
    assert shown == list(MONTH_COSTS)
    total = view["scenarios"][0]["total_cost"]
    assert total == f"{TOTAL} GBP"
    assert math.isclose(sum(float(c.replace(",", "")) for c in shown),
                        float(total.split()[0].replace(",", "")), abs_tol=1e-9)
    assert f"over 3 months {TOTAL} GBP nominal" in view["cost"]
    page = pdf.render_html(doc, {}, title="t", paper="A4", generated="g", command="c",
                           versions="v", mode="print")
    for cost in (*MONTH_COSTS, f"{TOTAL} GBP"):
        assert cost in page
    assert ">1,900<" not in page and "6,299 GBP" not in page


def test_whole_costs_stay_whole():
    result, doc = _plan(**{**CENTS, "cost_per_instance": 100})
    from capplan.outputs.view import page_one

    # 19 + 21 + 23 = 63 instance-months at 100 GBP
    assert [r["nominal"]["cost"] for r in page_one(doc)["months"]] == ["1,900", "2,100", "2,300"]
    assert page_one(doc)["scenarios"][0]["total_cost"] == "6,300 GBP"
    assert "nominal 6,300 GBP" in _terminal(result)


def test_the_workbook_formats_costs_to_the_cent_when_any_is_not_whole():
    import io

    import openpyxl

    from capplan.outputs import workbook

    for cost, fmt in ((99.99, '#,##0.00" GBP"'), (100, '#,##0" GBP"')):
        _, doc = _plan(**{**CENTS, "cost_per_instance": cost})
        wb = openpyxl.load_workbook(io.BytesIO(workbook.build(doc, "t")))
        ws = wb["Nominal"]
        col = next(c for c in range(1, ws.max_column + 1) if ws.cell(row=5, column=c).value == "cost")
        assert {ws.cell(row=r, column=col).number_format for r in (6, 7, 8)} == {fmt}
        dest = wb.defined_names["cost_per_instance"].attr_text.split("!")[1].replace("$", "")
        assert wb["Inputs"][dest].number_format == fmt
        sm = wb["Summary"]
        cells = [c for row in sm.iter_rows() for c in row if c.value == "total cost"]
        below = sm.cell(row=cells[0].row + 1, column=cells[0].column)
        assert below.number_format == fmt


# ---- 5. the PDF month table: blank where a month orders nothing ---------------------------------

def test_the_page_leaves_order_by_blank_wherever_a_month_orders_nothing():
    """Flat at 1,000 req/s, 60 usable an instance: every month needs ceil(1,000 / 60) = 17.
    With 12 today every month adds 5 but only month 1 orders them (later months have nothing
    new to order: blank, as the months that add nothing at all are); with 17 today nothing is
    added or ordered."""
    from capplan.outputs.view import page_one

    for today, adds in ((12, 5), (17, 0)):
        _, doc = _plan(peak=1000, per_instance=100, growth="0%/month", months=6, instances=today)
        months = doc["scenarios"]["nominal"]["months"]
        assert [m["instances"] for m in months] == [17] * 6 and [m["add"] for m in months] == \
            [adds] * 6
        shown = [r["nominal"]["order_by"] for r in page_one(doc)["months"]]
        assert shown[1:] == [""] * 5
        assert (shown[0] != "") == (adds > 0)


# ---- 3. numbers are never cut in a terminal table; counts carry separators ------------------------

def _render(printer, width: int) -> str:
    import io

    from rich.console import Console

    buf = io.StringIO()
    printer(Console(file=buf, width=width, color_system=None, highlight=False))
    return buf.getvalue()


@pytest.mark.parametrize("width", [40, 80, 160])
def test_the_load_table_shows_every_digit_at_any_width(width):
    import numpy as np
    import pandas as pd

    import capplan
    from capplan.outputs.terminal import print_load

    # 28 days hourly of 2.6e9 + 1e8 sin(day phase): mean 2,600,000,000 (whole cycles), peak
    # 2,700,000,000 at 06:00 (sin = 1 at a quarter day)
    t = pd.date_range("2026-01-01", periods=28 * 24, freq="h", tz="UTC")
    v = 2.6e9 + 1e8 * np.sin(np.arange(len(t)) / 24 * 2 * np.pi)
    load = capplan.analyze(pd.DataFrame({"time": t, "value": v})).load
    text = _render(lambda c: print_load(c, load), width)
    table = text.split("peak at")[0]
    assert table.count("2,600,000,000") == 2 and table.count("2,700,000,000") >= 3
    assert "…" not in text


@pytest.mark.parametrize("width", [60, 80, 200])
def test_huge_instance_counts_have_separators_and_every_digit(width):
    from capplan.outputs.terminal import print_plan

    # 999,999,999,999 req/s x 1.05 at month 1's end = 1,049,999,999,998.95; at 0.001 req/s an
    # instance and the 60% target, 0.0006 usable: ceil(1.05e12 / 0.0006) = 1,749,999,999,998,251
    # (float arithmetic of the product, checked below); 8 today, so add 1,749,999,999,998,243.
    peak1 = 999_999_999_999 * 1.05
    need = math.ceil(peak1 / (0.001 * 0.6) - 1e-9)
    result, doc = _plan(peak=999_999_999_999, per_instance=0.001, growth="5%/month", months=2,
                        instances=8, events=("sale:2027-01-10:24h:2x",))
    assert doc["scenarios"]["nominal"]["months"][0]["instances"] == need
    text = _render(lambda c: print_plan(c, result.plan), width)
    assert f"{need:,}" in text and f"{need - 8:,}" in text
    assert str(need) not in text.replace(",", ";")  # never without separators
    ev = doc["events"][0]["scenarios"]["nominal"]
    assert f"{ev['instances']:,}" in text and f"{ev['peak']:,.0f}" in text
    assert "…" not in text


# ---- 4. header words are not broken at 80 columns ---------------------------------------------------

def test_the_event_and_month_tables_keep_header_words_whole_at_80_columns():
    from capplan.outputs.terminal import _event_table, _month_table

    result, _ = _plan(peak=30000, per_instance=20000, growth="5%/month", worst_growth="8%/month",
                      months=3, instances=3, zones=2, cost_per_instance=99.99, currency="GBP",
                      events=("sale:2027-01-10:24h:2x", "black-friday-weekend-sale:"
                              "2027-02-10:24h:2x"))
    plan = result.plan

    def both(c):
        _event_table(c, plan, "hires/day")
        _month_table(c, plan, plan.scenarios["nominal"], plan.scenarios["worst_case"], "hires/day")

    text = _render(both, 80)
    words = {w for line in text.splitlines() for w in line.split()}
    for head in ("scenario", "nominal", "(hires/day)", "service", "instances", "worst", "event",
                 "month", "starts", "window"):
        assert head in words, head
    for broken in ("scenar", "nomina", "(hires/da", "servic", "instanc"):
        assert broken not in words
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    assert "…" not in text


# ---- 6. the usl summary names the unit of every throughput ------------------------------------------

def test_the_usl_summary_gives_the_unit_of_every_throughput():
    from capplan import api
    from capplan.outputs.terminal import print_usl

    # sigma 0.05, kappa 0.001, lambda 100: N* = sqrt(0.95 / 0.001) = 30.82; X(N*) = 903.8 -> 904;
    # the Amdahl ceiling lambda / sigma = 2,000.
    n_star = math.sqrt(0.95 / 0.001)
    assert round(_usl_x(n_star)) == 904
    fit = api.usl_what_if(0.05, 0.001, 100).fit
    text = _render(lambda c: print_usl(c, fit), 120)
    assert "X(N*) = 904 req/s at N* = 30.82" in text
    assert "lambda/sigma = 2,000 req/s" in text
    assert "lambda (X of one, req/s)" in text
    text = _render(lambda c: print_usl(c, fit, unit="hires/s"), 120)
    assert "X(N*) = 904 hires/s" in text and "2,000 hires/s" in text
    # An objective no rate meets: with lambda 0.5/s, R(1) is 2 s and the p99 of M/M/c already
    # passes 500 ms unloaded. Said in words, not "up to 0 req/s an instance".
    slow = api.usl_what_if(0.05, 0.001, 0.5).fit
    text = _render(lambda c: print_usl(c, slow, "500ms"), 160)
    assert "p99 objective 500ms: not met at any rate" in text and "up to 0 " not in text


# ---- 2 (fleet). the fleet's costs follow the same rule ------------------------------------------

def test_the_fleets_costs_are_shown_to_the_cent_when_any_is_not_whole(tmp_path):
    """Flat services at the 60% target, no growth: api 500 req/s at 100 an instance (60 usable)
    needs ceil(8.33) = 9 at 20 = 180.00; web 1,200 at 50 (30 usable) needs 40 at 7.5 = 300.00;
    db 100 at 100 needs ceil(1.67) = 2 at 99.99 = 199.98. A month of the fleet: 679.98, not 680."""
    import openpyxl

    from conftest import daily_csv, run_cli

    folder = tmp_path / "services"
    folder.mkdir()
    for name, peak, per, cost in (("api", 500, 100, 20), ("web", 1200, 50, 7.5),
                                  ("db", 100, 100, 99.99)):
        daily_csv(folder / f"{name}.csv", [float(peak)] * 30)
        (folder / f"{name}.toml").write_text(f"per_instance = {per}\ncost_per_instance = {cost}\n")
    out = tmp_path / "out"
    code, so, se = run_cli("fleet", folder, "--growth", "0%/month", "--months", 2, "--out", out,
                           "--jobs", 1)
    assert code == 0, se
    assert 180 + 300 + 199.98 == pytest.approx(679.98)
    assert so.count("679.98") == 4 and "680" not in so  # 2 months x 2 scenarios
    html = (out / "fleet.html").read_text()
    for shown in ("679.98", "180.00", "300.00", "199.98"):
        assert shown in html
    wb = openpyxl.load_workbook(out / "fleet.xlsx")
    heads = [c.value for c in wb["Months"][1]]
    col = heads.index("nominal cost") + 1
    assert wb["Months"].cell(row=2, column=col).number_format == "#,##0.00"
