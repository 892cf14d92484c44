"""Benchmark: a full `capplan forecast` on the sample input, split into its stages.

Run: .venv/bin/python bench/forecast_stages.py   (prints seconds per stage, best of 3 runs; each
run in-process after imports, plus one whole-CLI run for the wall time a user sees)
"""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run():
    from capplan.config import read_config
    from capplan.growth import forecast_peaks
    from capplan.ingest import read_traffic
    from capplan.load import analyze_load
    from capplan.outputs import json as jout
    from capplan.outputs.atomic import write_set
    from capplan.outputs.report import plan_json, report_files
    from capplan.pipeline import ForecastResult, Settings, _capacity, load_events
    from capplan.plan import build_plan

    settings = Settings.from_dict(read_config(ROOT / "inputs" / "service.toml"))
    t = {}
    s = time.perf_counter()
    traffic = read_traffic(ROOT / "inputs" / "nyc_taxi.csv")
    t["ingest"] = time.perf_counter() - s
    s = time.perf_counter()
    load = analyze_load(traffic)
    t["load"] = time.perf_counter() - s
    s = time.perf_counter()
    capacity, usl_fit, fleet = _capacity(settings, load.planning_peak.value)
    t["capacity (USL fit)"] = time.perf_counter() - s
    s = time.perf_counter()
    fc = forecast_peaks(load.daily_peaks, settings.months)
    t["growth (backtest, simulation)"] = time.perf_counter() - s
    s = time.perf_counter()
    plan = build_plan(start=fc.start.date(), planning_peak=load.planning_peak.value,
                      capacity=capacity, forecast=fc, events=load_events(settings),
                      months=settings.months, lead_time_days=settings.lead_time,
                      cost_per_instance=settings.cost_per_instance)
    t["plan"] = time.perf_counter() - s
    result = ForecastResult(traffic, load, plan, usl_fit, fleet, None)
    s = time.perf_counter()
    doc = plan_json(result)
    body = jout.dumps(doc)
    t["json"] = time.perf_counter() - s
    stages = {}
    files = report_files(result, settings, doc, title="bench", argv=["capplan"], timings=stages)
    t.update({f"report: {k}": v for k, v in stages.items()})
    s = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        write_set(Path(d) / "out", {"plan.json": body, **files})
    t["write (atomic set)"] = time.perf_counter() - s
    return t


def main():
    runs = [one_run() for _ in range(3)]
    print("stage                              best of 3 (s)")
    total = 0.0
    for k in runs[0]:
        best = min(r[k] for r in runs)
        total += best
        print(f"{k:34s} {best:8.3f}")
    print(f"{'sum of stages':34s} {total:8.3f}")
    exe = Path(sys.executable).with_name("capplan")
    with tempfile.TemporaryDirectory() as d:
        s = time.perf_counter()
        subprocess.run([str(exe), "forecast", str(ROOT / "inputs" / "nyc_taxi.csv"), "--config",
                        str(ROOT / "inputs" / "service.toml"), "--out", d], check=True,
                       capture_output=True)
        print(f"{'whole CLI (imports, browser start)':34s} {time.perf_counter() - s:8.3f}")


if __name__ == "__main__":
    main()
