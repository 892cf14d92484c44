"""The CLI as a user meets it: help, the worked example, bad input, real files, config files."""
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, TODAY, data, run_cli


def test_help_is_fast_and_imports_nothing_heavy():
    code = ("import sys, time; t = time.time(); import capplan.cli; "
            "heavy = [m for m in ('statsmodels', 'weasyprint', 'pandas', 'scipy', 'kaleido', "
            "'pydantic') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "[]"
    t = time.time()
    code_, so, _ = run_cli("--help")
    assert code_ == 0 and "forecast" in so
    assert time.time() - t < 3  # well under a second of our own; interpreter start included


def test_seed_example_through_the_cli(tmp_path):
    code, so, se = run_cli("plan", "--peak", 10000, "--instances", 20, "--utilization", 0.40,
                           "--target-utilization", 0.60, "--growth", "10%/month", "--months", 12,
                           "--out", tmp_path, "--no-report")
    assert code == 0, se
    p = json.loads((tmp_path / "plan.json").read_text())
    months = {r["month"]: r for r in p["scenarios"]["nominal"]["months"]}
    assert round(months[5]["peak"]) == 16105 and months[5]["instances"] == 22
    assert round(months[12]["peak"]) == 31384 and months[12]["instances"] == 42
    assert p["capacity"]["per_instance_limit"] == 1250 and p["capacity"]["usable_per_instance"] == 750
    # ceil(10,000 / 750) = 14 needed today; 20 x 750 = 15,000 carried.
    assert p["capacity"]["instances_needed_today"] == 14
    assert p["capacity"]["current_fleet_carries"] == 15000
    assert p["scenarios"]["nominal"]["runway_months"] == pytest.approx(4.254, abs=1e-3)
    assert "16,105" in so and "42" in so


@pytest.mark.parametrize("args,words", [
    (["--months", "0"], "--months 0"),
    (["--utilization", "1.5", "--instances", "3"], "--utilization 1.5"),
])
def test_bad_flags_exit_2_nothing_written(tmp_path, args, words):
    out = tmp_path / "out"
    code, so, se = run_cli("forecast", data("traffic/nab_elb_request_count_8c0756.csv"),
                           "--out", out, *args)
    assert code == 2 and words in se and "Traceback" not in se + so
    assert len(se.strip().splitlines()) == 1
    assert not out.exists()


def test_forecast_real_file_writes_contract(tmp_path):
    code, so, se = run_cli("forecast", data("traffic/nab_nyc_taxi.csv"), "--months", 6,
                           "--instances", 20, "--utilization", 0.4, "--spare", 1,
                           "--out", tmp_path, "--no-report")
    assert code == 0, se
    p = json.loads((tmp_path / "plan.json").read_text())
    for key in ("path", "sha256", "rows", "first", "last", "interval_seconds"):
        assert key in p["input"]
    for key in ("mean", "peak", "peak_to_mean", "p50", "p95", "p99", "p999", "unit"):
        assert key in p["load"]
    for key in ("per_instance_limit", "target_utilization", "usable_per_instance",
                "current_instances", "spare", "zones"):
        assert key in p["capacity"]
    assert {"model", "monthly_growth", "backtest", "forecast"} <= set(p["growth"])
    for s in ("nominal", "worst_case"):
        rows = p["scenarios"][s]["months"]
        assert [r["month"] for r in rows] == [1, 2, 3, 4, 5, 6]
        assert all(isinstance(r["instances"], int) for r in rows)
    assert p["input"]["rows"] == 10320


def test_short_form_without_capacity_flags(tmp_path):
    code, so, se = run_cli("forecast", data("traffic/nab_elb_request_count_8c0756.csv"),
                           "--months", 2, "--out", tmp_path, "--no-report")
    assert code == 0, se
    assert "--per-instance" in so  # says which flags turn the load plan into instances
    p = json.loads((tmp_path / "plan.json").read_text())
    assert p["scenarios"]["nominal"]["months"][0]["instances"] is None


def test_config_file_and_flag_override(tmp_path):
    cfg = tmp_path / "svc.toml"
    cfg.write_text('service = "t"\n[capacity]\nper_instance = 100\ntarget_utilization = 0.5\n'
                   '[growth]\nmonths = 2\n')
    code, _, se = run_cli("plan", "--peak", 1000, "--config", cfg, "--out", tmp_path / "a",
                          "--no-report")
    assert code == 0, se
    p = json.loads((tmp_path / "a" / "plan.json").read_text())
    assert p["months"] == 2 and p["capacity"]["usable_per_instance"] == 50
    assert p["scenarios"]["nominal"]["months"][0]["instances"] == 20
    code, _, se = run_cli("plan", "--peak", 1000, "--config", cfg, "--target-utilization", 0.8,
                          "--out", tmp_path / "b", "--no-report")
    p = json.loads((tmp_path / "b" / "plan.json").read_text())
    assert p["capacity"]["target_utilization"] == 0.8
    bad = tmp_path / "bad.toml"
    bad.write_text("spare = 'two'\n")
    code, _, se = run_cli("plan", "--peak", 1, "--config", bad, "--out", tmp_path / "c")
    assert code == 2 and "spare" in se and not (tmp_path / "c").exists()


def test_analyze_writes_analysis_json(tmp_path):
    code, so, se = run_cli("analyze", data("excel/tfl-daily-cycle-hires.xlsx"), "--out", tmp_path)
    assert code == 0, se
    a = json.loads((tmp_path / "analysis.json").read_text())
    assert a["input"]["sheet"] == "Data" and a["load"]["peak"] == 73094  # README: max 73,094
    assert {"input", "quality", "load"} <= set(a)


def test_usl_svg_is_the_same_every_run(tmp_path):
    # The command line draws with the browser it starts before the fit, the library with one of
    # its own: the same bytes, with no random trace names (plotly.js names each trace's group
    # after its uid, random unless given).
    code, so, se = run_cli("usl", data("usl/specsdm91.csv"), "--out", tmp_path / "cli", "-q")
    assert code == 0, se
    import capplan

    capplan.fit_usl(data("usl/specsdm91.csv")).write(tmp_path / "lib")
    svg = (tmp_path / "cli" / "usl.svg").read_bytes()
    assert svg == (tmp_path / "lib" / "usl.svg").read_bytes()
    assert not re.search(rb"trace[0-9a-f]{6}", svg) and b"trace0" in svg


def test_usl_cli_and_what_if(tmp_path):
    code, so, se = run_cli("usl", data("usl/specsdm91.csv"), "--out", tmp_path / "u")
    assert code == 0, se
    u = json.loads((tmp_path / "u" / "usl.json").read_text())
    assert u["sigma"] == pytest.approx(0.0277285, rel=1e-3)
    assert set(u["ci"]) == {"sigma", "kappa", "lambda"} and u["n_star"] == pytest.approx(96.52, rel=1e-3)
    assert (tmp_path / "u" / "usl.svg").read_bytes().startswith(b"<svg")
    code, so, se = run_cli("usl", "--sigma", 0.05, "--kappa", 0.001, "--lambda", 100,
                           "--out", tmp_path / "w")
    assert code == 0, se
    w = json.loads((tmp_path / "w" / "usl.json").read_text())
    # N* = sqrt(0.95 / 0.001) = 30.82; Amdahl ceiling 100 / 0.05 = 2000.
    assert w["n_star"] == pytest.approx(30.8221, rel=1e-4) and w["amdahl_ceiling"] == 2000
    few = tmp_path / "few.csv"
    few.write_text("users,throughput\n1,10\n2,20\n")
    code, so, se = run_cli("usl", few, "--out", tmp_path / "x")
    assert code == 2 and "at least 6" in se and not (tmp_path / "x").exists()


def test_fleet_usl_never_past_n_star(tmp_path):
    scale = tmp_path / "scale.csv"
    scale.write_text("instances,throughput\n1,1000\n2,1900\n4,3400\n8,5200\n16,6100\n24,5600\n"
                     "32,4900\n")
    code, so, se = run_cli("plan", "--peak", 3000, "--fleet-usl", scale, "--growth", "20%/month",
                           "--months", 6, "--out", tmp_path / "o", "--no-report")
    assert code == 0, se
    p = json.loads((tmp_path / "o" / "plan.json").read_text())
    n_star = p["fleet_usl"]["n_star"]
    rows = p["scenarios"]["nominal"]["months"]
    for r in rows:
        assert isinstance(r["instances"], int) and r["cost"] is None  # no --cost-per-instance
        if r["beyond_fleet_limit"]:
            assert r["cells"] >= 2 and r["cell_size"] <= n_star
            assert r["instances"] == r["cells"] * r["cell_size"]
        else:
            assert r["instances"] <= n_star and r["cells"] is None
    assert any(r["beyond_fleet_limit"] for r in rows)
    assert any("kappa" in n and "cells" in n for n in p["notes"])
    assert any("contended resource" in n for n in p["notes"])


def test_sample_inputs_plan(tmp_path):
    code, so, se = run_cli("forecast", ROOT / "inputs" / "nyc_taxi.csv", "--config",
                           ROOT / "inputs" / "service.toml", "--out", tmp_path, "--no-report")
    assert code == 0, se
    p = json.loads((tmp_path / "plan.json").read_text())
    assert p["usl"]["n_star"] == pytest.approx(96.52, rel=1e-3)
    assert p["capacity"]["per_instance_limit"] == pytest.approx(p["usl"]["x_max"])


def test_events_file_and_bad_events(tmp_path):
    import datetime as dt

    today = dt.date.fromisoformat(TODAY)  # `plan` starts on the frozen day: events inside
    a, b = today + dt.timedelta(days=40), today + dt.timedelta(days=70)
    ev = tmp_path / "events.csv"
    ev.write_text(f"name,start,duration,multiplier\nlaunch,{a},48h,3x\nsale,{b},1d,1.5\n")
    code, so, se = run_cli("plan", "--peak", 1000, "--per-instance", 100, "--months", 3,
                           "--events", ev, "--out", tmp_path / "o", "--no-report")
    assert code == 0, se
    p = json.loads((tmp_path / "o" / "plan.json").read_text())
    assert [e["name"] for e in p["events"]] == ["launch", "sale"]
    peaks = [r["peak"] for r in p["scenarios"]["nominal"]["months"]]
    assert max(peaks) == pytest.approx(3000)  # flat growth: the 3x launch sets its month
    bad = tmp_path / "bad.csv"
    bad.write_text("name,start,duration\nx,2027-01-01,1h\n")
    code, so, se = run_cli("plan", "--peak", 1000, "--per-instance", 100, "--events", bad,
                           "--out", tmp_path / "b")
    assert code == 2 and "multiplier" in se and not (tmp_path / "b").exists()


def registered_commands() -> list[str]:
    import typer

    from capplan.cli import app

    return sorted(typer.main.get_command(app).commands)


@pytest.mark.parametrize("command", registered_commands())
def test_every_help_example_runs(command, tmp_path):
    import re
    import shlex

    code, so, _ = run_cli(command, "--help")
    assert code == 0
    flat = " ".join(so.split())
    m = re.search(r"Example: (capplan .+?)(?: ╭|$| Options| Arguments)", flat)
    assert m, so
    args = shlex.split(m.group(1))[1:]
    extra = ["--out", str(tmp_path)] + (["--no-report"] if command != "analyze" else [])
    code, so, se = run_cli(*args, *extra, cwd=ROOT)
    assert code == 0, se


def test_all_zero_series_names_the_file(tmp_path):
    f = tmp_path / "zero.csv"
    f.write_text("timestamp,value\n" + "".join(f"2024-01-{d:02d} 12:00,0\n" for d in range(1, 21)))
    code, so, se = run_cli("forecast", f, "--per-instance", 10, "--out", tmp_path / "o")
    assert code == 2 and str(f) in se and "zero" in se and not (tmp_path / "o").exists()
