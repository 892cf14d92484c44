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
