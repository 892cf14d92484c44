"""How fast forecast_peaks is: the median of 7 runs (after one warm-up) on each benchmark series'
full history, on two years of daily peaks (the last 730 days of the cycle hires, the last 730 of
Peyton Manning), and on 10,000 days (the fleet command's long-history worst case: capplan fits
the last two years, so this measures the cost of the history it reads but does not fit).
Timings on a shared machine are noisy: it prints the wall time and the process's CPU time (the
steadier one there); run it on a quiet machine for the wall figure. .venv/bin/python bench/growth/speed.py
"""
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from series import ALL, daily_peaks  # noqa: E402

from capplan.growth import forecast_peaks  # noqa: E402


def timed(peaks, months=12, runs=7):
    """(median wall time, median CPU time of this process): on a shared machine the CPU time is
    the steadier figure (the wall time includes waiting for a core)."""
    forecast_peaks(peaks, months)
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        forecast_peaks(peaks, months)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def main():
    cases = {name: daily_peaks(name) for name in ALL}
    cases["cycles, last 730 days"] = daily_peaks("cycles").iloc[-730:]
    cases["peyton, last 730 days"] = daily_peaks("peyton").iloc[-730:]
    rng = np.random.default_rng(1)
    idx = pd.date_range("1999-01-01", periods=10_000, freq="D")
    cases["synthetic, 10,000 days"] = pd.Series(
        1000 * np.exp(0.0005 * np.arange(idx.size) + rng.normal(0, 0.1, idx.size)), index=idx)
    out = {}
    for name, peaks in cases.items():
        out[name] = timed(peaks)
        print(f"{name:24s} {len(peaks):6d} days  wall {out[name][0] * 1000:6.1f} ms  CPU "
              f"{out[name][1] * 1000:6.1f} ms (medians of 7, --months 12)")
    print(f"median over the {len(ALL)} benchmark series: wall "
          f"{statistics.median(out[n][0] for n in ALL) * 1000:.1f} ms, CPU "
          f"{statistics.median(out[n][1] for n in ALL) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
