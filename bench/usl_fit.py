"""Benchmark: the time of one USL fit on 10 and on 10,000 measurements (best of 5, after a warm-up
that pays scipy's import). Run: .venv/bin/python bench/usl_fit.py"""
import time

import numpy as np

from capplan.usl import USL, fit_usl


def measurements(count, seed=3):
    true = USL(0.03, 0.0002, 100.0)
    rng = np.random.default_rng(seed)
    n = rng.uniform(1, 120, count)
    n[:3] = [1, 2, 4]
    x = np.array([true.throughput(v) for v in n]) * (1 + rng.normal(0, 0.02, count))
    return n, x


def main():
    fit_usl(*measurements(10))
    for count in (10, 10_000):
        n, x = measurements(count)
        times = []
        for _ in range(5):
            t = time.perf_counter()
            f = fit_usl(n, x)
            times.append(time.perf_counter() - t)
        m = f.model
        print(f"{count:6d} measurements: best {min(times) * 1000:7.2f} ms, median "
              f"{sorted(times)[2] * 1000:7.2f} ms; sigma {m.sigma:.5f} kappa {m.kappa:.6f} "
              f"lambda {m.lambda_:.3f} (true 0.03, 0.0002, 100)")


if __name__ == "__main__":
    main()
