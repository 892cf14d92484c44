"""The PDF, the workbook and the HTML as people use them; outputs written as a set."""
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler not installed")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    code, so, se = run_cli("forecast", ROOT / "inputs" / "nyc_taxi.csv", "--config",
                           ROOT / "inputs" / "service.toml", "--out", out, "--paper", "Letter")
    assert code == 0, se
    return out


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed")
    code, so, se = run_cli("plan", "--peak", 10000, "--instances", 20, "--utilization", 0.40,
                           "--target-utilization", 0.60, "--growth", "10%/month", "--months", 12,
                           "--spare", 1, "--zones", 3, "--cost-per-instance", 100,
                           "--event", "sale:2027-03-10:48h:2x", "--out", out)
    assert code == 0, se
    return out


def pdftext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_pdf_holds_headline_numbers_and_every_chart(sample):
    plan = json.loads((sample / "plan.json").read_text())
    text = pdftext(sample / "plan.pdf")
    nom = plan["scenarios"]["nominal"]
    last = nom["months"][-1]
    assert f"{last['instances']} / {plan['scenarios']['worst_case']['months'][-1]['instances']}" in text
    assert nom["runway"] in text and nom["order_by"] in text
    assert f"{plan['planning_peak']:,.0f}" in text
    assert plan["input"]["sha256"] in text.replace("\n", "").replace(" ", "")
    for title in ("Traffic over time", "Daily peaks", "Mean rate by weekday and hour",
                  "Per-instance load test: USL fit", "Growth:", "Instances needed per month"):
        assert title in text, title
    assert "page 1 of" in text
    pages = subprocess.run(["pdfinfo", str(sample / "plan.pdf")], capture_output=True,
                           text=True).stdout
    n_pages = int(next(l for l in pages.splitlines() if l.startswith("Pages:")).split()[1])
    assert 4 <= n_pages <= 10
    assert "612 x 792" in pages  # --paper Letter


def test_html_is_one_offline_file(sample):
    page = (sample / "plan.html").read_text()
    assert '<script src="http' not in page and page.count('id="chart-') == 6
    assert "plotly" in page.lower()


def recalc(xlsx: Path, tmp: Path) -> Path:
    outdir = tmp / "recalc"
    subprocess.run(["soffice", "--headless", "--norestore",
                    f"-env:UserInstallation=file://{tmp}/lo", "--convert-to", "xlsx",
                    "--outdir", str(outdir), str(xlsx)], check=True, capture_output=True,
                   timeout=120)
    return outdir / xlsx.name


def _instances_by_hand(peak: float) -> int:
    """1,250 req/s an instance at 100%; target 0.6, survivors at 0.8 after losing one of 3 zones
    (or the spare): D = ceil(P / 1,000) survive, ceil(D / 2) a zone, 3 zones + 1 spare, raised
    to ceil(P / 750) for normal running (capacity.py's rule, worked by hand)."""
    import math

    d = math.ceil(peak / 1000 - 1e-9)
    n = math.ceil(d / 2) * 3 + 1
    b = math.ceil(peak / 750 - 1e-9)
    return n if n >= b else math.ceil((b - 1) / 3) * 3 + 1


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
@pytest.mark.xfail(strict=True, reason="the workbook's formulas still follow the old sizing rule "
                   "(survivors at the normal target) and the old event timing; the reports "
                   "helper rebuilds them against the new plan.json contract")
def test_workbook_formulas_agree_with_plan_and_follow_inputs(seed, tmp_path):
    import openpyxl

    plan = json.loads((seed / "plan.json").read_text())
    wb = openpyxl.load_workbook(recalc(seed / "plan.xlsx", tmp_path), data_only=True)
    for sheet, key in (("Nominal", "nominal"), ("Worst case", "worst_case")):
        ws = wb[sheet]
        got = [ws.cell(row=4 + i, column=6).value for i in range(12)]
        assert got == [r["instances"] for r in plan["scenarios"][key]["months"]]
    # The sale (2x for 48 h from 2027-03-10: days 106 to 108 after the frozen start 2026-11-24)
    # lands in month 4 (days 91.3 to 121.8): a step of 2 x the path's peak over its window, at
    # its end, t = 108 days = 3.548 months: 10,000 x 1.1^3.548 x 2 = 28,049 -> 46 instances.
    peak4 = 10000 * 1.1 ** (108 / 30.4375) * 2
    assert wb["Nominal"].cell(row=7, column=4).value == pytest.approx(peak4, rel=1e-9)
    assert wb["Nominal"].cell(row=7, column=6).value == _instances_by_hand(peak4) == 46
    # Finance changes the nominal growth to 5% a month and recalculates.
    src = openpyxl.load_workbook(seed / "plan.xlsx")
    src["Inputs"]["B12"] = 0.05
    edited = tmp_path / "edited" / "plan.xlsx"
    edited.parent.mkdir()
    src.save(edited)
    wb2 = openpyxl.load_workbook(recalc(edited, tmp_path), data_only=True)
    got = [wb2["Nominal"].cell(row=4 + i, column=6).value for i in range(12)]
    # Worked independently: 10,000 x 1.05^m (the sale's step in month 4), by the rule above.
    want = []
    for m in range(1, 13):
        peak = max(10000 * 1.05 ** m, 10000 * 1.05 ** (108 / 30.4375) * 2 if m == 4 else 0)
        want.append(_instances_by_hand(peak))
    assert got == want
    assert wb2["Inputs"]["B8"].value == 750  # usable = limit x target, a formula
    # Summary, recalculated, against plan.json: cost = instances x 100; total over 12 months; the
    # first month over today's 20 instances is month 2 (12,100 req/s: 13 survive, 7 a zone, 22).
    sm = wb["Summary"]
    nom = [r["instances"] for r in plan["scenarios"]["nominal"]["months"]]
    assert sm["C4"].value == nom[-1] and sm["D4"].value == nom[-1] * 100
    assert sm["E4"].value == sum(nom) * 100 == plan["scenarios"]["nominal"]["total_cost"]
    assert sm["F4"].value == 2
    assert [r["cost"] for r in plan["scenarios"]["nominal"]["months"]] == [n * 100 for n in nom]


def test_seed_plan_json_by_hand(seed):
    """The same plan's JSON, by hand: the rule, the sale's step, the costs, the order dates."""
    import datetime as dt

    plan = json.loads((seed / "plan.json").read_text())
    nom = plan["scenarios"]["nominal"]
    assert plan["start"] == "2026-11-24"
    want = [_instances_by_hand(max(10000 * 1.1 ** m,
                                   10000 * 1.1 ** (108 / 30.4375) * 2 if m == 4 else 0))
            for m in range(1, 13)]
    assert [r["instances"] for r in nom["months"]] == want
    assert nom["total_cost"] == sum(want) * 100
    # Month 2 is the first over today's 20; the path crosses what 20 carry (6 a zone: 12 x 1,000
    # = 12,000 after the loss) at 1.1^t = 1.2, t = 1.913 months = 58.2 days: 2027-01-21.
    t = math.log(1.2) / math.log(1.1) * 30.4375
    runway = dt.date(2026, 11, 24) + dt.timedelta(days=math.floor(t))
    assert nom["runway"] == runway.isoformat() == "2027-01-21"
    assert nom["months"][1]["order_by"] == runway.isoformat()  # no lead time
    ev = plan["events"][0]["scenarios"]["nominal"]
    assert ev["in_service_by"] == "2027-03-03" and ev["instances"] == 46


def test_workbook_writes_input_text_as_text(tmp_path):
    import openpyxl

    code, _, se = run_cli("plan", "--peak", 100, "--per-instance", 50, "--title", "=1+1",
                          "--event", "=cmd|x:2030-01-01:1h:2x", "--months", 2,
                          "--out", tmp_path)
    assert code == 0, se
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert wb["Inputs"]["A1"].value == "=1+1" and wb["Inputs"]["A1"].data_type == "s"


def test_failed_run_leaves_earlier_set_untouched(seed, tmp_path):
    target = tmp_path / "keep"
    shutil.copytree(seed, target, symlinks=True)  # the set as written: links and version folder

    def files():  # every entry, hidden ones too: a failed run must not touch any
        return {p.relative_to(target): p.read_bytes() if p.is_file() else
                os.readlink(p) if p.is_symlink() else "folder" for p in sorted(target.rglob("*"))}

    before = files()
    code, _, se = run_cli("plan", "--peak", 100, "--per-instance", 50, "--paper", "A7",
                          "--out", target)
    assert code == 2 and "--paper" in se
    assert files() == before
    # A successful run replaces the whole set: the JSON and the workbook come from one run.
    code, _, se = run_cli("plan", "--peak", 100, "--per-instance", 50, "--months", 2,
                          "--out", target)
    assert code == 0, se
    plan = json.loads((target / "plan.json").read_text())
    assert plan["months"] == 2 and sorted(p.name for p in target.iterdir()
                                          if not p.name.startswith(".")) == [
        "plan.html", "plan.json", "plan.pdf", "plan.xlsx"]
    # The --no-report run that follows leaves plan.json alone: no stale PDF beside it.
    code, _, se = run_cli("plan", "--peak", 100, "--per-instance", 50, "--months", 3,
                          "--no-report", "--out", target)
    assert code == 0, se
    assert sorted(p.name for p in target.iterdir() if not p.name.startswith(".")) == ["plan.json"]


def test_same_flags_same_files(tmp_path):
    import hashlib

    args = ("plan", "--peak", 1000, "--per-instance", 100, "--months", 2, "--growth", "5%",
            "--out", tmp_path / "o")
    digests = []
    for _ in range(2):
        code, _, se = run_cli(*args)
        assert code == 0, se
        digests.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted((tmp_path / "o").iterdir()) if not p.name.startswith(".")})
    assert digests[0] == digests[1] and len(digests[0]) == 4
