"""`capplan fleet` as a user runs it: exit status, the files, the workbook recalculated by
LibreOffice against sums worked out here, the PDF and HTML, the services' own reports."""
import datetime as dt
import json
import math
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from test_fleet import daily_csv

HAVE_SOFFICE = shutil.which("soffice") is not None
HAVE_POPPLER = shutil.which("pdftotext") is not None


def flat_services(folder: Path, broken: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    daily_csv(folder / "api.csv", [500.0] * 30)
    (folder / "api.toml").write_text("per_instance = 100\ninstances = 10\ncost_per_instance = 20\n"
                                     "lead_time = 10\n")
    daily_csv(folder / "web.csv", [1200.0] * 30)
    (folder / "web.toml").write_text("per_instance = 50\ninstances = 50\n"
                                     "cost_per_instance = 7.5\n")
    daily_csv(folder / "batch.csv", [80.0] * 30)
    if broken:
        (folder / "broken.csv").write_text("date,value\n")
    return folder


@pytest.fixture(scope="module")
def fleet_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("fleetcli")
    services = flat_services(base / "services")
    out = base / "out"
    code, so, se = run_cli("fleet", services, "--growth", "10%/month", "--out", out, "--jobs", 1)
    return code, so, se, out


def test_some_failed_is_exit_1_and_every_file_is_written(fleet_run):
    code, so, se, out = fleet_run
    assert code == 1, se
    assert "1 of 4 services failed" in se and "broken" in so
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
        ["fleet.html", "fleet.json", "fleet.pdf", "fleet.xlsx"]
    doc = json.loads((out / "fleet.json").read_text())
    assert doc["services_failed"] == 1 and doc["failed"][0]["name"] == "broken"
    assert "At risk" in so and "api" in so


def recalc(xlsx: Path, tmp: Path) -> Path:
    outdir = tmp / "recalc"
    subprocess.run(["soffice", "--headless", "--norestore",
                    f"-env:UserInstallation=file://{tmp}/lo-fleet", "--convert-to", "xlsx",
                    "--outdir", str(outdir), str(xlsx)], check=True, capture_output=True,
                   timeout=180)
    return outdir / xlsx.name


@pytest.mark.skipif(not HAVE_SOFFICE, reason="LibreOffice not installed")
def test_workbook_totals_recalculated_equal_the_sum_of_the_plans(fleet_run, tmp_path):
    import openpyxl

    _, _, _, out = fleet_run
    doc = json.loads((out / "fleet.json").read_text())
    plans = [s["plan"] for s in doc["services"] if "plan" in s]
    wb = openpyxl.load_workbook(recalc(out / "fleet.xlsx", tmp_path), data_only=True)
    assert wb.sheetnames == ["Services", "Months", "Totals", "Failed"]
    tot = wb["Totals"]
    for i in range(6):
        row = [tot.cell(row=5 + i, column=c).value for c in range(1, 9)]
        want = [i + 1, doc["rollup"]["nominal"]["months"][i]["date"]]
        for scenario in ("nominal", "worst_case"):
            months = [p["scenarios"][scenario]["months"][i] for p in plans]
            sized = [m for m in months if m["instances"] is not None]
            want += [sum(m["instances"] for m in sized), sum(m["add"] for m in sized),
                     sum(m["cost"] for m in sized)]
        assert row[0] == want[0] and row[1].date().isoformat() == want[1]  # a date cell
        assert row[2:] == pytest.approx(want[2:])
    # By hand, month 6: api ceil(500 x 1.1^6 / 60) = 15, web ceil(1200 x 1.1^6 / 30) = 71.
    assert tot["C10"].value == 15 + 71 and tot["E10"].value == pytest.approx(15 * 20 + 71 * 7.5)
    assert tot["B3"].value == 60  # instances today: 10 + 50
    assert wb["Failed"]["A2"].value == "broken" and "no data rows" in wb["Failed"]["D2"].value
    services = {r[0].value: r for r in wb["Services"].iter_rows(min_row=2)}
    assert set(services) == {"api", "batch", "web"}
    assert services["api"][8].value == 15 and services["batch"][8].value is None
    # Finance edits a month in Months: the totals follow it.
    src = openpyxl.load_workbook(out / "fleet.xlsx")
    months = src["Months"]
    row = next(r for r in months.iter_rows(min_row=2) if r[0].value == "api" and r[1].value == 6)
    row[4].value = 100
    edited = tmp_path / "edited" / "fleet.xlsx"
    edited.parent.mkdir()
    src.save(edited)
    wb2 = openpyxl.load_workbook(recalc(edited, tmp_path / "e"), data_only=True)
    assert wb2["Totals"]["C10"].value == 100 + 71


MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()  # not the locale's


def pdftext(path: Path, layout: bool = True) -> str:
    return subprocess.run(["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout.replace("\u00a0", " ")


def human(iso: str) -> str:
    """2024-02-29 as the PDF writes it: 29 Feb 2024."""
    import datetime as dt

    d = dt.date.fromisoformat(iso)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


@pytest.mark.skipif(not HAVE_POPPLER, reason="poppler not installed")
def test_pdf_pages_at_risk_first_then_each_service_then_all_then_appendix(fleet_run):
    _, _, _, out = fleet_run
    doc = json.loads((out / "fleet.json").read_text())
    pages = pdftext(out / "fleet.pdf").split("\f")
    pages = [p for p in pages if p.strip()]
    first = pages[0]
    assert "Services at risk" in first and "Fleet totals by month" in first
    # Ranked by runway: api (1.91 months) before web (2.34 months).
    assert first.index("api") < first.index("web")
    for r in doc["rollup"]["nominal"]["months"]:  # ISO in fleet.json, as people write it here
        assert human(r["date"]) in first
    assert f"{doc['rollup']['nominal']['months'][-1]['instances']}" in first
    # One compact page per service at risk, in runway order.
    assert re.search(r"^\s*api\s*$", pages[1], re.M)
    api = next(s["plan"] for s in doc["services"] if s["name"] == "api")
    assert human(api["scenarios"]["nominal"]["runway"]) in pages[1]
    assert human(api["scenarios"]["nominal"]["order_by"]) in pages[1]  # runway - 10 days' lead
    assert re.search(r"^\s*web\s*$", pages[2], re.M)
    assert "All services" in pages[3] and "batch" in pages[3]
    appendix = "".join(pages[4:])
    raw = pdftext(out / "fleet.pdf", layout=False).split("\f")
    flat = "".join(raw[4:]).replace("\n", "").replace(" ", "")
    for i in doc["inputs"]:
        assert i["sha256"] in flat
    assert "no data rows" in appendix and len(pages) == 5


def test_html_is_one_offline_interactive_file(fleet_run):
    _, _, _, out = fleet_run
    page = (out / "fleet.html").read_text()
    assert '<script src="http' not in page and "plotly" in page.lower()
    assert page.count('id="chart-') == 3  # totals, api, web
    assert 'oninput="filterRows(this)"' in page and "broken" in page


def test_none_planned_is_exit_2_and_nothing_written(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.csv").write_text("date,value\n")
    (tmp_path / "s" / "b.csv").write_text("garbage")
    code, so, se = run_cli("fleet", tmp_path / "s", "--out", tmp_path / "o")
    assert code == 2 and not (tmp_path / "o").exists()
    assert "no service could be planned (2 failed" in se and len(se.strip().splitlines()) == 1


def test_all_planned_exit_0_quiet_and_json_only(tmp_path):
    services = flat_services(tmp_path / "s", broken=False)
    code, so, se = run_cli("fleet", services, "--growth", "1%", "--no-report", "--quiet",
                           "--out", tmp_path / "o", "--jobs", 2)
    assert code == 0, se
    assert so == "" and se == ""
    assert sorted(p.name for p in (tmp_path / "o").iterdir() if not p.name.startswith(".")) == \
        ["fleet.json"]


def test_json_prints_fleet_json_and_nothing_else(tmp_path):
    services = flat_services(tmp_path / "s", broken=False)
    code, so, se = run_cli("fleet", services, "--growth", "1%", "--no-report", "--json",
                           "-o", tmp_path / "o", "--jobs", 1)
    assert code == 0, se
    assert so == (tmp_path / "o" / "fleet.json").read_text()  # byte for byte
    assert len(json.loads(so)["services"]) == 3 and se == ""


def test_bad_flags_fail_before_any_work(tmp_path):
    services = flat_services(tmp_path / "s", broken=False)
    for args, words in ((("--jobs", 0), "--jobs 0"), (("--months", 61), "--months 61"),
                        (("--target-utilization", 60), "--target-utilization 60"),
                        (("--scheduler", "nowhere"), "--scheduler nowhere"),
                        (("--service-column", "svc"), "applies to one long file")):
        code, so, se = run_cli("fleet", services, *args, "--out", tmp_path / "o")
        assert code == 2 and words in se and len(se.strip().splitlines()) == 1, se
        assert not (tmp_path / "o").exists()
    code, so, se = run_cli("fleet", services, "--out", services)
    assert code == 2 and "is the services folder" in se
    assert sorted(p.suffix for p in services.iterdir()) == [".csv"] * 3 + [".toml"] * 2


def test_help_example_runs(tmp_path):
    code, so, _ = run_cli("fleet", "--help")
    assert code == 0
    flat = " ".join(so.split())
    m = re.search(r"Example: (capplan .+?)(?: ╭|$| Options| Arguments)", flat)
    assert m, so
    code, so, se = run_cli(*shlex.split(m.group(1))[1:], "--out", tmp_path, "--no-report",
                           cwd=ROOT)
    assert code == 0, se
    doc = json.loads((tmp_path / "fleet.json").read_text())
    assert [s["name"] for s in doc["services"]] == ["location_4", "location_41"]


def readme_fleet_examples():
    text = (ROOT / "README.md").read_text()
    section = text.split("### `capplan fleet", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, re.S)
    return [ln.split("#")[0].strip() for b in blocks for ln in b.splitlines()
            if ln.startswith("capplan fleet")]


@pytest.mark.parametrize("line", readme_fleet_examples())
def test_readme_examples_run(line, tmp_path):
    args = shlex.split(line)[1:]
    code, so, se = run_cli(*args, "--out", tmp_path / "o", "--no-report", cwd=ROOT)
    assert code in (0, 1), se  # 1: an example folder holds a file that is not one service
    assert (tmp_path / "o" / "fleet.json").exists()


def test_progress_bar_only_on_a_terminal(tmp_path):
    import os
    import pty
    import sys

    services = flat_services(tmp_path / "s", broken=False)
    exe = str(Path(sys.executable).with_name("capplan"))
    args = [exe, "fleet", str(services), "--growth", "1%", "--no-report", "--jobs", "1"]
    piped = subprocess.run([*args, "--out", str(tmp_path / "a")], capture_output=True, text=True)
    assert piped.returncode == 0 and "planning on" not in piped.stderr
    # On a terminal the bar draws (rich writes it to stderr, here the pty).
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(exe, [*args, "--out", str(tmp_path / "b")])
    seen = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.waitpid(pid, 0)
    assert b"planning on this process" in seen


@pytest.mark.skipif(not HAVE_POPPLER, reason="poppler not installed")
def test_reports_write_each_service_plan_with_one_browser(tmp_path, monkeypatch):
    """--reports: every planned service's own PDF, workbook, HTML and JSON (what `capplan
    forecast` writes), the pages of all of them printed by one browser for the run."""
    from typer.testing import CliRunner

    from capplan.cli import app
    from capplan.outputs import browser

    services = tmp_path / "s"
    services.mkdir()
    daily_csv(services / "api.csv", [500.0] * 30)
    (services / "api.toml").write_text("per_instance = 100\ninstances = 10\n")
    daily_csv(services / "db.csv", [90.0] * 30)
    (services / "db.toml").write_text("per_instance = 100\ninstances = 2\n")
    starts = []
    real = browser.Browser.launch.__func__

    def counted(cls, reusable=False):
        starts.append(reusable)
        return real(cls, reusable)

    monkeypatch.setattr(browser.Browser, "launch", classmethod(counted))
    r = CliRunner().invoke(app, ["fleet", str(services), "--growth", "10%", "--jobs", "1",
                                 "--reports", str(tmp_path / "plans"), "--out",
                                 str(tmp_path / "o"), "--quiet", "--no-report"])
    assert r.exit_code == 0, r.output
    assert starts == [True]  # one browser, kept for every service's page
    names = sorted(p.name for p in (tmp_path / "plans").iterdir() if not p.name.startswith("."))
    assert names == ["api.html", "api.json", "api.pdf", "api.xlsx",
                     "db.html", "db.json", "db.pdf", "db.xlsx"]
    fleet = json.loads((tmp_path / "o" / "fleet.json").read_text())
    api = next(s["plan"] for s in fleet["services"] if s["name"] == "api")
    assert json.loads((tmp_path / "plans" / "api.json").read_text()) == api
    text = pdftext(tmp_path / "plans" / "api.pdf")
    runway = dt.date.fromisoformat(api["scenarios"]["nominal"]["runway"])
    assert f"{runway.day} {runway:%b %Y}" in text  # as page 1 writes a date
    assert f"{math.ceil(500 * 1.1 ** 6 / 60)} / " in text  # month 6 nominal / worst


def test_readme_fleet_toml_plans(tmp_path):
    from capplan.fleet import FleetSettings, LocalExecutor, plan_fleet, read_sources

    text = (ROOT / "README.md").read_text().split("### `capplan fleet", 1)[1]
    block = re.search(r"```toml\n(.*?)```", text, re.S).group(1)
    (tmp_path / "shared").symlink_to(ROOT.parent / "shared")  # its paths are ../shared/...
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / "fleet.toml").write_text(block)
    result = plan_fleet(read_sources(tmp_path / "wt" / "fleet.toml"),
                        FleetSettings(flags=(("growth", "0%"), ("months", 1))), LocalExecutor(1))
    assert [s.name for s in result.planned] == ["pedestrians-4", "taxi"], result.failed
    ped = next(s for s in result.planned if s.name == "pedestrians-4").plan()
    assert ped["input"]["series"] == "location_4" and ped["capacity"]["per_instance_limit"] == 150
    assert ped["cost_per_instance"] == 250 and ped["lead_time_days"] == 30  # from [defaults]


def test_a_fleet_without_capacity_facts_is_told_every_way_to_give_them(tmp_path):
    """A single export of several services has no TOML beside each service: the advice names
    --per-instance and fleet.toml too, not a per-service TOML alone."""
    folder = tmp_path / "services"
    folder.mkdir()
    daily_csv(folder / "api.csv", [500.0] * 30)
    daily_csv(folder / "web.csv", [900.0] * 30)
    code, so, se = run_cli("fleet", folder, "--no-report", "--out", tmp_path / "out", "--jobs", 1)
    assert code == 0, se
    text = " ".join(so.split())
    assert "No service has capacity facts" in text
    for way in ("--per-instance", "fleet.toml", "beside its export"):
        assert way in text, way
