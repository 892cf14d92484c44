"""Coverage of the fitted limit's 95% interval, and the flat-topping detector's hit rates.

1. Coverage: synthetic metrics with a known line (utilization = 0.1 + 0.002 x, target 0.6, so the
   true limit is 250 req/s), diurnal throughput, noise independent or AR(1); 200 seeded
   replicates per row through `resources.fit_resource`; the share of intervals that hold 250.
   Also what RLM's own covariance would give without the autocorrelation correction.
2. Flat-topping: every series in ../shared/data/traffic, original and capped at the level its
   daily peaks reach on 20% of days, plus seeded synthetic series (200 each).

Run: .venv/bin/python bench/resources_coverage.py   (about a minute on one free core)
"""
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from capplan.resources import fit_resource, limit_interval  # noqa: E402
from capplan.saturation import day_table, detect_flat_topping  # noqa: E402

A, B, TARGET = 0.1, 0.002, 0.6
TRUE_LIMIT = (TARGET - A) / B


def replicate(rng, n, rho, sd):
    i = np.arange(n)
    x = 100 + 60 * np.sin(2 * np.pi * i / max(n / 3, 10)) + rng.normal(0, 10, n)
    z = rng.normal(0, sd, n)
    e = np.empty(n)
    e[0] = z[0]
    for k in range(1, n):
        e[k] = rho * e[k - 1] + np.sqrt(1 - rho * rho) * z[k]
    return x, A + B * x + e


def coverage(n, rho, sd, reps=200, seed=0):
    rng = np.random.default_rng(seed)
    times = pd.date_range("2024-03-01", periods=n, freq="5min", tz="UTC")
    hit = raw = unbounded = 0
    for _ in range(reps):
        x, y = replicate(rng, n, rho, sd)
        f = fit_resource("cpu", "synthetic", x, y, times, TARGET)
        if f.limit_low is None:
            unbounded += 1
            hit += 1
        else:
            hit += f.limit_low <= TRUE_LIMIT <= f.limit_high
        cov = np.asarray(f.covariance) / f.interval_inflation
        _, lo, hi = limit_interval(f.intercept, f.slope, cov, TARGET, f.dof)
        raw += lo is None or lo <= TRUE_LIMIT <= hi
    return hit / reps, raw / reps, unbounded / reps


def flat_topping_real():
    from capplan.ingest import read_traffic
    from capplan.load import daily_peaks

    data = ROOT.parent / "shared" / "data" / "traffic"
    rows = []
    for path in sorted(data.iterdir()):
        columns = ["location_4", "location_41"] if "pedestrians" in path.name else [None]
        for col in columns:
            t = read_traffic(path, value_column=col)
            peaks, _ = daily_peaks(t.rate, t.interval_seconds)
            cap = float(np.percentile(peaks, 80))
            a = detect_flat_topping(t.rate, t.interval_seconds)
            b = detect_flat_topping(t.rate.clip(upper=cap), t.interval_seconds)
            rows.append((path.name + (f" [{col}]" if col else ""), a.detected, a.share_of_days,
                         b.detected, b.share_of_days))
    return rows


def flat_topping_synthetic(reps=200):
    """Hourly series, 30-120 days, random growth (-20%..+60%), day-to-day noise 3-15%."""
    rng = np.random.default_rng(7)
    quiet = fired = 0
    for _ in range(reps):
        days = int(rng.integers(30, 121))
        index = pd.date_range("2024-01-01", periods=days * 24, freq="h", tz="UTC")
        t = np.arange(index.size) / index.size
        hour = np.arange(index.size) % 24
        shape = 0.3 + 0.7 * np.exp(-((hour - rng.uniform(10, 20)) / 4.0) ** 2)
        day_level = np.repeat(rng.lognormal(0, rng.uniform(0.03, 0.15), days), 24)
        s = pd.Series(1000 * (1 + rng.uniform(-0.2, 0.6) * t) * shape * day_level
                      * rng.lognormal(0, 0.03, index.size), index)
        quiet += not detect_flat_topping(s, 3600).detected
        cap = float(np.percentile(day_table(s, 3600)["peak"], 80))
        fired += detect_flat_topping(s.clip(upper=cap), 3600).detected
    return quiet / reps, fired / reps


def main():
    t0 = time.perf_counter()
    print("Coverage of the 95% interval of the limit (true limit 250 req/s), 200 replicates each")
    print("| n | noise | sd | coverage | RLM covariance alone | unbounded |")
    print("|---:|---|---:|---:|---:|---:|")
    for n in (30, 60, 200):
        for rho in (0.0, 0.5, 0.8):
            for sd in (0.03, 0.2):
                cov, raw, unb = coverage(n, rho, sd)
                noise = "independent" if rho == 0 else f"AR(1) {rho:g}"
                print(f"| {n} | {noise} | {sd:g} | {cov:.3f} | {raw:.3f} | {unb:.3f} |")
    print("\nFlat-topping on ../shared/data/traffic (capped at the 80th percentile of daily peaks)")
    print("| series | original: detected | share | capped: detected | share |")
    print("|---|---|---:|---|---:|")
    for name, a, sa, b, sb in flat_topping_real():
        print(f"| {name} | {a} | {sa:.2f} | {b} | {sb:.2f} |")
    q, f = flat_topping_synthetic()
    print(f"\nSynthetic hourly series (200): quiet on the originals {q:.1%}, fires on the capped "
          f"copies {f:.1%}")
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
