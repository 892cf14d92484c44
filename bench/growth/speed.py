"""How fast forecast_peaks is: the median of 7 runs (after one warm-up) on each benchmark series'
full history, on two years of daily peaks (the last 730 days of the cycle hires, the last 730 of
Peyton Manning), and on 10,000 days (the fleet command's long-history worst case: capplan fits
the last two years, so this measures the cost of the history it reads but does not fit).
Timings on a shared machine are noisy: run it on a quiet one. .venv/bin/python bench/growth/speed.py
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
    forecast_peaks(peaks, months)
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        forecast_peaks(peaks, months)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


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
        print(f"{name:24s} {len(peaks):6d} days  {out[name] * 1000:6.1f} ms (median of 7, --months 12)")
    print(f"median over the {len(ALL)} benchmark series: "
          f"{statistics.median(out[n] for n in ALL) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
