"""Benchmark: `capplan forecast` on the sample, with the full report set and with --no-report,
against a bare `pandas.read_csv` of the same file, all measured in the same run (machines differ;
the ratio is the figure to compare). Targets (issue 13): the full set <= 4 s and <= 8x the bare
read; --no-report <= 1 s and <= 2x.

Run: .venv/bin/python bench/forecast_ratio.py [--runs 5]
Prints the median and best wall time of each command (each a fresh process, as a user runs it),
the ratios of the medians, and the machine's load average (a loaded machine inflates all three
alike, the ratios less so).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
EXE = str(Path(PY).with_name("capplan"))
SAMPLE = ["forecast", str(ROOT / "inputs" / "nyc_taxi.csv"), "--config",
          str(ROOT / "inputs" / "service.toml")]


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        cmds = {
            "bare pandas.read_csv": [PY, "-c", "import pandas; pandas.read_csv("
                                     "'inputs/nyc_taxi.csv')"],
            "forecast --no-report": [EXE, *SAMPLE, "--no-report", "--out", f"{d}/a"],
            "forecast (PDF, xlsx, HTML, JSON)": [EXE, *SAMPLE, "--out", f"{d}/b"],
        }
        times = {k: [] for k in cmds}
        for _ in range(args.runs):  # interleaved, so a burst of load hits all alike
            for k, cmd in cmds.items():
                times[k].append(wall(cmd))
    base = statistics.median(times["bare pandas.read_csv"])
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.runs} runs")
    print(f"{'command':36s} {'median s':>9s} {'best s':>8s} {'x bare read':>12s}")
    for k, ts in times.items():
        med = statistics.median(ts)
        print(f"{k:36s} {med:9.2f} {min(ts):8.2f} {med / base:12.1f}")


if __name__ == "__main__":
    main()
