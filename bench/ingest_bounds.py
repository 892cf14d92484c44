"""Bounded memory and time in ingest (issue 11): a 5-million-row CSV, and the hostile files.

Each input is read by `read_traffic` in a fresh process that reports its wall time and peak RSS
(ru_maxrss), so the figures are the reader's own. Targets: the 5-million-row CSV under 1 GB RSS;
each hostile file refused within 60 s and 2 GB. Inputs are generated into bench/results/ (not
committed; tests/hostile_files.py makes them). Timing on a shared 2-core machine is noisy: the
best of --repeat runs is printed.
Run: .venv/bin/python bench/ingest_bounds.py [--rows 5000000] [--repeat 3]
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results"
sys.path.insert(0, str(HERE.parent / "tests"))

import hostile_files as hf  # noqa: E402

CHILD = """
import resource, sys, time
from capplan.errors import CapplanError
from capplan.ingest import read_traffic
import pandas, pyarrow.csv, openpyxl  # imported before the clock starts: the reader is timed
t = time.perf_counter()
try:
    tr = read_traffic(sys.argv[1])
    outcome = f"read {len(tr.rate):,} rows"
except CapplanError as exc:
    outcome = "refused: " + str(exc)[len(sys.argv[1]) + 2:][:110]
el = time.perf_counter() - t
print(el, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, outcome, sep="\\t")
"""


def make(rows: int) -> list[tuple[str, Path, str]]:
    OUT.mkdir(exist_ok=True)
    big = OUT / f"rows_{rows}.csv"
    if not big.exists():
        hf.rows_csv(big, rows)
    files = [(f"{rows:,}-row CSV", big, "< 1 GB")]
    for name, fn, label in (("dimension.xlsx", hf.dimension_xlsx, "xlsx declaring A1:XFD1048576"),
                            ("zip_bomb.xlsx", hf.zip_bomb_xlsx, "xlsx zip bomb"),
                            ("gzip_bomb.csv.gz", hf.gzip_bomb_csv, ".csv.gz bomb")):
        p = OUT / name
        if not p.exists():
            p.write_bytes(fn())
        files.append((label, p, "refused, < 60 s, < 2 GB"))
    return files


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"{'input':32s} {'size':>10s} {'best s':>7s} {'peak RSS MB':>12s}  target; outcome")
    for label, path, target in make(args.rows):
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                                 text=True, timeout=600)
            if out.returncode:
                print(f"{label}: child failed: {out.stderr[-300:]}")
                break
            el, rss, outcome = out.stdout.strip().split("\t")
            runs.append((float(el), float(rss), outcome, time.perf_counter() - t))
        if not runs:
            continue
        best = min(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        size = path.stat().st_size
        print(f"{label:32s} {size / 1e6:8.1f}MB {best:7.2f} {rss:12.0f}  {target}; {runs[0][2]}")


if __name__ == "__main__":
    main()
