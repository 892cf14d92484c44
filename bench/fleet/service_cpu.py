"""Benchmark: CPU time of one service's plan without reports (read, analyze, growth, plan,
plan.json), in this process on one core, as a fleet worker runs it.

Run:  .venv/bin/python bench/fleet/service_cpu.py bench/results/fleet/services-10000 [--first 100 --count 60]
(the folder is made by `bench/fleet/run.py`, or `make_series.py`). Prints the median and p95 CPU
time: CPU time, not wall, so that a busy machine changes it little. Target (issue 14): <= 100 ms.
"""
import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # as the fleet's workers run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--first", type=int, default=100)
    ap.add_argument("--count", type=int, default=60)
    args = ap.parse_args()
    from capplan.config import read_config
    from capplan.fleet.worker import compact_json
    from capplan.outputs.report import plan_json
    from capplan.pipeline import Settings, forecast

    files = sorted(args.folder.glob("*.csv"))[args.first:args.first + args.count + 1]

    def one(csv: Path) -> None:
        toml = csv.with_suffix(".toml")
        facts = read_config(toml) if toml.exists() else {}
        settings = Settings.from_dict({**facts, "months": 6})
        compact_json(plan_json(forecast(str(csv), settings), settings))

    one(files[0])  # imports and first-call costs out
    times = []
    for csv in files[1:]:
        t = time.process_time()
        one(csv)
        times.append(time.process_time() - t)
    times.sort()
    print(f"{len(times)} services: CPU per plan median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {times[int(0.95 * (len(times) - 1))] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
