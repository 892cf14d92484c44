"""The worst case far past the backtest's 61 days, where it is an extrapolation: does each plan
month's worst case cover that month's actual highest daily peak (spikes in), months 3 to 12 of a
12-month plan? capplan only; origins every 61 days over the four years before the last one, on
the long daily series of PEERS.md (cycle hires, Peyton Manning). About 20 s a series.

Usage: .venv/bin/python -W ignore bench/growth/long_horizon.py [series ...]   (default cycles peyton)
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from series import daily_peaks  # noqa: E402

from capplan.growth import forecast_peaks  # noqa: E402
from capplan.growth.values import DAYS_PER_MONTH, GRID_PER_MONTH  # noqa: E402


def check(name: str) -> str:
    peaks = daily_peaks(name)
    y = peaks.to_numpy(float)
    n = len(y)
    covered, over = [], []
    for o in range(max(400, n - 365 - 4 * 365), n - 365, 61):
        fc = forecast_peaks(peaks.iloc[:o], 12)
        for m in range(3, 13):
            lo, hi = int((m - 1) * DAYS_PER_MONTH), int(m * DAYS_PER_MONTH)
            actual = float(np.nanmax(y[o + lo:o + hi]))
            worst = float(fc.worst_case[(m - 1) * GRID_PER_MONTH:m * GRID_PER_MONTH].max())
            covered.append(worst >= actual)
            over.append(worst / actual - 1)
    return (f"{name:8s} months 3-12 of {len(covered) // 10} origins: worst case covers "
            f"{np.mean(covered):.1%} of {len(covered)} plan months, median over-provision "
            f"{np.median(over):+.0%}, max {np.max(over):+.0%}")


if __name__ == "__main__":
    for series in sys.argv[1:] or ["cycles", "peyton"]:
        print(check(series), flush=True)
