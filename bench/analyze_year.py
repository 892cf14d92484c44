"""Benchmark: `capplan analyze` on a year of one-minute data against a bare pandas.read_csv.

Makes bench/results/year_1min.csv (525,600 rows, fixed seed), then in fresh processes times
(a) pandas.read_csv of the file (no date parsing: the floor any reader pays), (b) pandas.read_csv
with parse_dates, the target of issue 13, (c) the library call read_traffic + analyze_load, and
(d) the whole CLI `capplan analyze` against (e) a whole `python -c "import pandas; read_csv(...,
parse_dates)"` process: both include the interpreter start. Prints each one's best-of-N time and
peak resident memory, and the two ratios (target: at most 1x, under 1 GB), best to best and as
the median of the rounds' own ratios (each round runs the two back to back). The machine is
shared: figures are noisy, so compare the ratios, measured in the same run; CPU seconds
(process_time) suffer less from other processes than wall seconds.
Run: .venv/bin/python bench/analyze_year.py [--repeat 5]
"""
import argparse
import math
import os
import statistics
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


# Each child imports what it needs before the clock starts and times the call alone.
START = "t=time.perf_counter(); c=time.process_time(); "
STOP = "; el=time.perf_counter()-t; cpu=time.process_time()-c"
CHILD = {
    "pandas.read_csv (bare)": "import pandas as pd; " + START + "pd.read_csv(P)" + STOP,
    "pandas.read_csv, timestamps parsed": "import pandas as pd; " + START +
                                          "pd.read_csv(P, parse_dates=['timestamp'])" + STOP,
    "capplan read_traffic + analyze_load": "from capplan.ingest import read_traffic; "
        "from capplan.load import analyze_load; import pandas, pyarrow.csv; " + START +
        "analyze_load(read_traffic(P))" + STOP,
}
PANDAS_PROCESS = ("import pandas as pd; pd.read_csv({p!r}, parse_dates=['timestamp'])")


def child(stmt):
    code = (f"import time, resource; P={str(CSV)!r}\n{stmt}\n"
            "print(el, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    el, cpu, mem = out.stdout.split()
    return float(el), float(cpu), float(mem)


def median_interval(ratios, level=0.95):
    """A distribution-free confidence interval for the median of the paired ratios (order
    statistics and the binomial, as in the sign test): (low, high, its confidence), or None
    when there are too few rounds for one."""
    r, n = sorted(ratios), len(ratios)
    below = [sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n for k in range(n)]
    k = max((k + 1 for k in range(n) if below[k] <= (1 - level) / 2), default=0)
    if k == 0:
        return None
    return r[k - 1], r[n - k], 1 - 2 * below[k - 1]


def verdict(ratios) -> str:
    """How many rounds capplan took less time, and the median's interval against 1x."""
    faster = sum(x < 1 for x in ratios)
    ci = median_interval(ratios)
    text = f"capplan faster in {faster} of {len(ratios)} rounds"
    if ci is None:
        return text + " (too few rounds for an interval: use --repeat 9 or more)"
    low, high, conf = ci
    where = ("all below 1x: capplan takes less time" if high < 1 else
             "all above 1x: capplan takes more time" if low > 1 else
             "on both sides of 1x: no difference shown")
    return text + f"; the median ratio's {conf:.0%} interval is {low:.2f}x-{high:.2f}x, {where}"


def wall(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--make", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make:
        return make()
    if not CSV.exists():  # made in a child: a child's peak RSS would otherwise start at ours
        subprocess.run([sys.executable, __file__, "--make"], check=True)
    print(f"input: {CSV.name}, {CSV.stat().st_size / 1e6:.1f} MB, 525,600 rows; best of "
          f"{args.repeat}, runs interleaved; load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} cores (capplan uses a second core: under load the ratio rises)")
    runs = {name: [] for name in CHILD}
    for _ in range(args.repeat):
        for name, stmt in CHILD.items():
            runs[name].append(child(stmt))
    for name, got in runs.items():
        el, cpu, mem = (min(r[0] for r in got), min(r[1] for r in got), max(r[2] for r in got))
        print(f"{name:45s} {el:6.3f} s wall {cpu:6.3f} s CPU   peak RSS {mem:7.1f} MB")
    ours, theirs = runs["capplan read_traffic + analyze_load"], \
        runs["pandas.read_csv, timestamps parsed"]
    best = [min(r[k] for r in ours) / min(r[k] for r in theirs) for k in (0, 1)]
    # Each round's two children ran back to back: the median of the rounds' ratios is the figure
    # least moved by what else the machine did meanwhile.
    paired = [statistics.median(a[k] / b[k] for a, b in zip(ours, theirs)) for k in (0, 1)]
    print(f"{'in-process ratio capplan / read_csv(parse_dates)':45s} {best[0]:6.2f}x wall, "
          f"{best[1]:.2f}x CPU best to best; {paired[0]:.2f}x wall, {paired[1]:.2f}x CPU median "
          "of the rounds (target <= 1)")
    print(f"{'':45s} wall: {verdict([a[0] / b[0] for a, b in zip(ours, theirs)])}")
    exe = Path(sys.executable).with_name("capplan")
    cli, pdp = [], []
    for _ in range(args.repeat):
        cli.append(wall([str(exe), "analyze", str(CSV), "--out", str(OUT / "analyze_out")]))
        pdp.append(wall([sys.executable, "-c", PANDAS_PROCESS.format(p=str(CSV))]))
    print(f"{'capplan analyze (whole CLI, process start)':45s} {min(cli):6.3f} s")
    print(f"{'python -c pandas.read_csv(parse_dates) (same)':45s} {min(pdp):6.3f} s")
    print(f"{'whole-process ratio':45s} {min(cli) / min(pdp):6.2f}x best to best, "
          f"{statistics.median(a / b for a, b in zip(cli, pdp)):.2f}x median of the rounds "
          "(target <= 1)")
    print(f"{'':45s} {verdict([a / b for a, b in zip(cli, pdp)])}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
