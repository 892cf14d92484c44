"""statsforecast AutoETS over the fleet benchmark's daily-peak series, for comparison.

Runs inside the peers' venv (bench/.peers-venv; never a capplan dependency). Reads the same
`<name>.csv` files capplan plans (730 daily peaks each), forecasts 6 months (183 days) with
AutoETS(season_length=7), and prints one JSON line: series, seconds (JIT warm-up excluded and
reported apart), n_jobs, and the mean time a series on one core over a sample.

Run: bench/.peers-venv/bin/python bench/fleet/run_autoets.py DIR --services N --jobs 2
"""
import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--services", type=int, required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--sample", type=int, default=200, help="series timed on one core")
    a = ap.parse_args()
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    t = time.perf_counter()
    frames = []
    for i in range(a.services):
        df = pd.read_csv(a.folder / f"svc{i:05d}.csv")
        frames.append(pd.DataFrame({"unique_id": f"svc{i:05d}", "ds": pd.to_datetime(df["date"]),
                                    "y": df["value"].to_numpy(float)}))
    long = pd.concat(frames, ignore_index=True)
    read = time.perf_counter() - t
    t = time.perf_counter()
    warm = long[long["unique_id"].isin(long["unique_id"].unique()[:4])]
    StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=1).forecast(df=warm, h=183)
    warmup = time.perf_counter() - t
    k = min(a.sample, a.services)
    few = long[long["unique_id"].isin(long["unique_id"].unique()[:k])]
    t, c = time.perf_counter(), time.process_time()
    StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=1).forecast(
        df=few, h=183, level=[95])
    one_core = (time.perf_counter() - t) / k
    one_core_cpu = (time.process_time() - c) / k
    t = time.perf_counter()
    fc = StatsForecast(models=[AutoETS(season_length=7)], freq="D",
                       n_jobs=a.jobs).forecast(df=long, h=183, level=[95])
    seconds = time.perf_counter() - t
    assert fc["unique_id"].nunique() == a.services and np.isfinite(fc["AutoETS"]).all()
    print(json.dumps({"series": a.services, "seconds": seconds, "read_seconds": read,
                      "warmup_seconds": warmup, "n_jobs": a.jobs,
                      "one_core_mean_seconds": one_core, "one_core_cpu_seconds": one_core_cpu,
                      "one_core_sample": k}))


if __name__ == "__main__":
    main()
