"""Benchmark: `capplan analyze` on a year of one-minute data against a bare pandas.read_csv.

Makes bench/results/year_1min.csv (525,600 rows, fixed seed), then in fresh processes times
(a) pandas.read_csv of the file (no date parsing: the floor any reader pays), (b) the library
call read_traffic + analyze_load, (c) the whole CLI `capplan analyze`, and prints each one's peak
resident memory. Run: .venv/bin/python bench/analyze_year.py
"""
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "results"
CSV = OUT / "year_1min.csv"


def make():
    OUT.mkdir(exist_ok=True)
    if CSV.exists():
        return
    idx = pd.date_range("2025-01-01", periods=525_600, freq="min")
    rng = np.random.default_rng(1)
    t = np.arange(idx.size)
    diurnal = 1 + 0.6 * np.sin(2 * np.pi * (t / 1440 - 0.3))
    trend = np.exp(t / idx.size * np.log(1.5))
    v = 1000 * diurnal * trend * rng.lognormal(0, 0.05, idx.size)
    pd.DataFrame({"timestamp": idx.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": v.round(2)}).to_csv(
        CSV, index=False)


CHILD = {
    "pandas.read_csv (bare)": "import pandas as pd; t=time.perf_counter(); pd.read_csv(P); "
                              "el=time.perf_counter()-t",
    "pandas.read_csv, timestamps parsed": "import pandas as pd; t=time.perf_counter(); "
                                          "pd.read_csv(P, parse_dates=['timestamp']); "
                                          "el=time.perf_counter()-t",
    "capplan read_traffic + analyze_load": "from capplan.ingest import read_traffic; "
        "from capplan.load import analyze_load; import pandas; t=time.perf_counter(); "
        "analyze_load(read_traffic(P)); el=time.perf_counter()-t",
}


def child(stmt):
    code = (f"import time, resource; P={str(CSV)!r}\n{stmt}\n"
            "print(el, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    el, mem = out.stdout.split()
    return float(el), float(mem)


def main():
    make()
    print(f"input: {CSV.name}, {CSV.stat().st_size / 1e6:.1f} MB, 525,600 rows")
    for name, stmt in CHILD.items():
        runs = [child(stmt) for _ in range(3)]
        best = min(r[0] for r in runs)
        mem = max(r[1] for r in runs)
        print(f"{name:40s} best of 3: {best:6.3f} s   peak RSS {mem:7.1f} MB")
    exe = Path(sys.executable).with_name("capplan")
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([str(exe), "analyze", str(CSV), "--out", str(OUT / "analyze_out")],
                       capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    print(f"{'capplan analyze (whole CLI, interpreter start included)':40s} best of 3: "
          f"{min(times):6.3f} s")


if __name__ == "__main__":
    main()
