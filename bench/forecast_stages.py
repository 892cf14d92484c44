"""Benchmark: a full `capplan forecast` of the sample, split into its stages, as the CLI runs it
(the report's browser launched first, in the background, while the plan is computed).

Run: .venv/bin/python bench/forecast_stages.py [--runs 3]
Prints wall seconds per stage (best of the runs; each run in-process after imports) and the CPU
seconds of this process; `bench/forecast_ratio.py` gives the whole-CLI figures against a bare
pandas read. The machine may be shared: the load average is printed with the figures.
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run() -> dict:
    from capplan.config import read_config
    from capplan.outputs import json as jout
    from capplan.outputs.atomic import write_set
    from capplan.outputs.report import plan_json, report_files, session
    from capplan.pipeline import Settings, forecast

    config = ROOT / "inputs" / "service.toml"
    settings = Settings.from_dict(read_config(config))
    t = {}
    cpu = time.process_time()
    s = time.perf_counter()
    with session(True) as browser:
        t["browser launch (returns at once)"] = time.perf_counter() - s
        s = time.perf_counter()
        result = forecast(str(ROOT / "inputs" / "nyc_taxi.csv"), settings)
        t["plan (ingest, load, USL, growth, plan)"] = time.perf_counter() - s
        s = time.perf_counter()
        doc = plan_json(result, settings, config)
        body = jout.dumps(doc)
        t["plan.json"] = time.perf_counter() - s
        s = time.perf_counter()
        stages = {}
        files = report_files(result, settings, doc, title="bench", argv=["capplan"],
                             timings=stages, browser=browser)
        t["reports (all)"] = time.perf_counter() - s
        t.update({f"  {k}": v for k, v in stages.items()})
        s = time.perf_counter()
        with tempfile.TemporaryDirectory() as d:
            write_set(Path(d) / "out", {"plan.json": body, **files})
        t["write (atomic set)"] = time.perf_counter() - s
        s = time.perf_counter()
    t["browser close"] = time.perf_counter() - s
    t["CPU of this process"] = time.process_time() - cpu
    return t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'stage':44s} best of {args.runs} (s)")
    for k in runs[0]:
        print(f"{k:44s} {min(r[k] for r in runs):8.3f}")


if __name__ == "__main__":
    main()
