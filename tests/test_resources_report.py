"""The fitted limit in the reports (issue 15, phase 2): plan.xlsx's Resources sheet recalculated by
LibreOffice equals plan.json and, edited, moves the plan as a hand computation says; the PDF shows
the Resources section and the flat-topping warning on page 1."""
import json
import math
import shutil

import pytest

from test_resources_plan import FLEET, TARGET, by_hand, files, run  # noqa: F401 (fixture)

soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")


def _named_cell(wb, name):
    sheet, ref = wb.defined_names[name].attr_text.split("!")
    return wb[sheet][ref.replace("$", "")]


@soffice
def test_resources_sheet_recalculates_to_plan_json_and_edits_move_the_plan(files, tmp_path):
    import openpyxl

    from capplan.outputs import report, workbook
    from test_workbook import _table, mismatches, recalc

    res = run(files, zones=3, spare=1)
    doc = json.loads(json.dumps(report.plan_json(res)))
    (tmp_path / "fit.xlsx").write_bytes(workbook.build(doc, "fit"))
    # The edit: cpu's slope 25% steeper (a heavier request mix), everything else as fitted.
    wb = openpyxl.load_workbook(tmp_path / "fit.xlsx")
    ws = wb["Resources"]
    cpu_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "cpu")
    ws.cell(row=cpu_row, column=3).value = doc["capacity"]["resources"][0]["slope"] * 1.25
    wb.save(tmp_path / "edited.xlsx")
    got = recalc(tmp_path, ["fit", "edited"])

    wb = got["fit"]
    assert mismatches(doc, wb) == []  # the whole plan still agrees with plan.json
    ws = wb["Resources"]
    c = doc["capacity"]
    for r in c["resources"]:
        row = next(i for i in range(1, ws.max_row + 1) if ws.cell(row=i, column=1).value ==
                   r["name"])
        assert ws.cell(row=row, column=4).value == pytest.approx(r["limit"], rel=1e-9)
        assert ws.cell(row=row, column=4).value == pytest.approx(
            (c["target_utilization"] - r["intercept"]) / r["slope"], rel=1e-12)
    assert _named_cell(wb, "resources_binding").value == c["binding"] == "cpu"
    assert _named_cell(wb, "resources_plan_limit").value == pytest.approx(
        c["per_instance_limit"], rel=1e-9)
    assert _named_cell(wb, "per_instance_limit").value == pytest.approx(
        c["per_instance_limit"], rel=1e-9)

    # Edited: cpu's limit is (target - a) / (1.25 b); it still binds (mem's is higher); the
    # months are sized by hand on the new limit.
    cpu = c["resources"][0]
    mem = c["resources"][1]
    new = (TARGET - cpu["intercept"]) / (1.25 * cpu["slope"])
    assert new < mem["limit"]
    wb = got["edited"]
    assert _named_cell(wb, "resources_binding_limit").value == pytest.approx(new, rel=1e-9)
    assert _named_cell(wb, "per_instance_limit").value == pytest.approx(new / TARGET, rel=1e-9)
    rows = _table(wb["Nominal"], 5)
    months = doc["scenarios"]["nominal"]["months"]
    changed = 0
    for m, row in zip(months, rows):
        want = by_hand(m["peak"], new / TARGET, zones=3, spare=1)
        assert row["instances"] == want, m["month"]
        changed += want != m["instances"]
    assert changed > 0  # the edit moved the plan


def test_resources_sheet_lists_each_months_instance_range_as_plan_json_and_by_hand(files,
                                                                                    tmp_path):
    """The range the PDF and plan.json give (instances at the two ends of the limit's 95%
    interval) is in the workbook too, and each end is the sizing rule at that limit."""
    import io

    import openpyxl

    from capplan.outputs import report, workbook

    res = run(files, zones=3, spare=1)
    doc = json.loads(json.dumps(report.plan_json(res)))
    wb = openpyxl.load_workbook(io.BytesIO(workbook.build(doc, "fit")))
    ws = wb["Resources"]
    head = next(r for r in range(1, ws.max_row + 1)
                if ws.cell(row=r, column=1).value == "month")
    pl = doc["capacity"]["plan_limit"]
    assert pl["limit_low"] < pl["limit"] < pl["limit_high"]
    checked = 0
    for i, (n, w) in enumerate(zip(doc["scenarios"]["nominal"]["months"],
                                   doc["scenarios"]["worst_case"]["months"])):
        got = [ws.cell(row=head + 1 + i, column=c).value for c in range(1, 8)]
        assert got == [n["month"], n["instances"], n["instances_low"], n["instances_high"],
                       w["instances"], w["instances_low"], w["instances_high"]]
        for m in (n, w):
            assert m["instances_low"] == by_hand(m["peak"], pl["limit_high"], zones=3, spare=1)
            assert m["instances_high"] == by_hand(m["peak"], pl["limit_low"], zones=3, spare=1)
            assert m["instances_low"] <= m["instances"] <= m["instances_high"]
            checked += 1
    assert checked == 16


# ---- the PDF ---------------------------------------------------------------------------------

pdf_tools = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler not installed")


@pytest.fixture(scope="module")
def oracle_pdf(tmp_path_factory):
    from conftest import ROOT, data, run_cli

    out = tmp_path_factory.mktemp("oracle")
    code, so, se = run_cli("forecast", ROOT / "inputs" / "oracledb_txn_13weeks.csv.gz",
                           "--months", "12", "--growth", "4%/month", "--instances", "1",
                           "--capacity-from", data("usl/oracledb.csv"), "--throughput",
                           "txn_rate", "--resource", "cpu=cpu_util", "--out", out)
    assert code == 0, se
    return out


@pdf_tools
def test_pdf_resources_section_against_plan_json(oracle_pdf):
    from capplan.outputs import fmt
    from test_reports import flat, pdftext

    doc = json.loads((oracle_pdf / "plan.json").read_text())
    c = doc["capacity"]
    (cpu,) = c["resources"]
    text = flat(pdftext(oracle_pdf / "plan.pdf", layout=False))  # reading order
    assert "Resources: the limit fitted from production metrics" in text
    section = text[text.index("Resources: the limit"):text.index("Instances with the limit")]
    for value in ("cpu (binding)", f"{cpu['intercept']:.1%}", f"{100 * cpu['slope']:.3g}",
                  f"{cpu['r_squared']:.2f}", "no (concave)", fmt.rate(cpu["limit"]),
                  f"{fmt.rate(cpu['limit_low'])}–{fmt.rate(cpu['limit_high'])}",
                  fmt.rate(cpu["peak_throughput"]), f"{cpu['utilization_today']:.0%}",
                  f"{cpu['headroom_today']:.2f}×"):
        assert value in section, value
    crosses = cpu["crosses_target_month"]
    assert f"month {crosses['nominal']} month {crosses['worst_case']}" in section
    # The instance range per month, both scenarios, as plan.json holds it.
    lines = [flat(l) for l in pdftext(oracle_pdf / "plan.pdf").splitlines()]
    for n, w in zip(doc["scenarios"]["nominal"]["months"],
                    doc["scenarios"]["worst_case"]["months"]):
        def rng(m):
            lo, hi = m["instances_low"], m["instances_high"]
            return str(lo) if lo == hi else f"{lo}–{hi}"
        row = f"{n['month']} {n['instances']} {rng(n)} {w['instances']} {rng(w)}"
        assert row in lines, row
    # The binding resource's chart, highlighted in its title.
    assert f"cpu - BINDING: {cpu['limit']:,.4g} req/s per instance" in text
    # The metrics file is among the hashed inputs.
    assert any(i["role"].startswith("metrics") and i["path"].endswith("oracledb.csv")
               for i in doc["inputs"])


@pdf_tools
def test_pdf_page_one_warns_of_flat_topping_and_shows_both(tmp_path):
    from capplan.outputs import fmt
    from conftest import run_cli
    from test_reports import flat, pdftext
    import numpy as np
    import pandas as pd
    from capplan.ingest import read_traffic
    from capplan.load import daily_peaks
    from conftest import data

    t = read_traffic(data("traffic/nab_nyc_taxi.csv"))
    peaks, _ = daily_peaks(t.rate, t.interval_seconds)
    clipped = t.rate.clip(upper=float(np.percentile(peaks.to_numpy(), 80)))
    f = tmp_path / "taxi_clipped.csv"
    pd.DataFrame({"timestamp": clipped.index.strftime("%Y-%m-%d %H:%M:%S"),
                  "value": clipped.to_numpy()}).to_csv(f, index=False)
    out = tmp_path / "o"
    code, so, se = run_cli("forecast", f, "--months", "6", "--per-instance", "2000",
                           "--instances", "10", "--out", out)
    assert code == 0, se
    doc = json.loads((out / "plan.json").read_text())
    ft, u = doc["load"]["flat_topping"], doc["growth"]["unclipped"]
    page1 = flat(pdftext(out / "plan.pdf", 1, layout=False))
    assert "Warning: Flat-topping" in page1 and "understates demand" in page1
    assert f"estimated at {fmt.rate(ft['unclipped_peak'])} against " \
           f"{fmt.rate(ft['observed_peak'])} observed" in page1
    last, plan_last = u["months"][-1], doc["scenarios"]["nominal"]["months"][-1]
    assert (f"month 6's nominal peak would be {fmt.rate(last['nominal_peak'])} req/s against "
            f"the plan's {fmt.rate(plan_last['peak'])}, needing {last['nominal_instances']} "
            f"instances against {plan_last['instances']}") in page1
    text = flat(pdftext(out / "plan.pdf"))
    assert "Demand hidden by a ceiling: observed and unclipped" in text  # the chart
    w, plan_w = u["months"][-1], doc["scenarios"]["worst_case"]["months"][-1]
    assert (f"worst case 6 {fmt.rate(plan_w['peak'])} {fmt.rate(w['worst_case_peak'])} "
            f"{plan_w['instances']} {w['worst_case_instances']}") in text
    # Without a ceiling: no warning.
    plain = tmp_path / "plain"
    code, _, se = run_cli("forecast", data("traffic/nab_nyc_taxi.csv"), "--months", "3",
                          "--per-instance", "2000", "--out", plain)
    assert code == 0, se
    assert "Flat-topping" not in flat(pdftext(plain / "plan.pdf", 1, layout=False))


def test_the_resources_view_orders_binding_first_and_says_unbounded():
    from capplan.outputs.resources_view import flat_topping_text, view

    def res(name, binding, limit, low, high, crosses):
        return {"name": name, "binding": binding, "intercept": 0.1, "slope": 0.004,
                "r_squared": 0.9, "linear": True, "curvature": None, "limit": limit,
                "limit_low": low, "limit_high": high, "peak_throughput": 100.0,
                "utilization_today": 0.5, "headroom_today": 1.25, "warnings": [],
                "crosses_target_month": crosses}

    month = {"month": 1, "instances": 3, "instances_low": 2, "instances_high": None}
    doc = {"months": 6, "load": None, "growth": {"unclipped": None},
           "capacity": {"binding": "cpu", "target_utilization": 0.6, "current_instances": 2,
                        "plan_limit": {"source": "fitted"}, "metrics": {},
                        "resources": [res("mem", False, 300.0, 250.0, 350.0,
                                          {"nominal": None, "worst_case": 5}),
                                      res("cpu", True, 125.0, 110.0, None,
                                          {"nominal": 2, "worst_case": 1})]},
           "scenarios": {"nominal": {"months": [month]},
                         "worst_case": {"months": [{**month, "instances_low": 3,
                                                    "instances_high": 3}]}}}
    v = view(doc)
    assert [r["name"] for r in v["resources"]] == ["cpu", "mem"]
    cpu, mem = v["resources"]
    assert cpu["ci"] == "unbounded" and mem["ci"] == "250–350"
    assert (cpu["nominal"], cpu["worst_case"]) == ("month 2", "month 1")
    assert (mem["nominal"], mem["worst_case"]) == ("after month 6", "month 5")
    assert v["ranges"] == [{"month": 1, "nominal": "3", "nominal_range": "2–unbounded",
                            "worst_case": "3", "worst_case_range": "3"}]
    assert v["warning"] is None and flat_topping_text({"detected": False}) is None
