"""Benchmark: the fixed cost of the `capplan` command line around the work itself (issue 13).

Times, each in fresh processes, best of N, runs interleaved:
- `capplan --help` and `capplan analyze YEAR -o DIR`, whole processes (interpreter start included);
- in a child that has imported pandas, pyarrow.csv and capplan.cli first (those imports timed
  apart): `capplan.cli.main()` for `analyze YEAR -o DIR` alone, and with --json;
- in a child that has imported pandas and pyarrow.csv: importing capplan.ingest and capplan.load,
  then `analyze_load(read_traffic(YEAR))`, the work the command does, timed apart; main() minus
  work and imports is the shell's own cost (flags, settings, progress, summary, writing).
YEAR is bench/results/year_1min.csv (made by bench/analyze_year.py when missing). The machine is
shared: the figures are noisy, compare those measured in the same run; the load average is printed.
The children may write bytecode (as an ordinary install has it) and one untimed round runs first,
so that no figure includes compiling capplan's sources (PYTHONDONTWRITEBYTECODE is dropped).
Run: .venv/bin/python bench/cli_overhead.py [--repeat 7]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSV = HERE / "results" / "year_1min.csv"
CAPPLAN = str(Path(sys.executable).with_name("capplan"))
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

IMPORTS = "import time; t0=time.perf_counter(); import pandas, pyarrow.csv; t1=time.perf_counter(); "
MAIN = ("import capplan.cli; t2=time.perf_counter()\n"
        "import sys, io, contextlib; sys.argv=['capplan', 'analyze', P, '-o', OUT, *FLAGS]\n"
        "t=time.perf_counter()\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        capplan.cli.main()\n"
        "    except SystemExit as e:\n        assert not e.code, e.code\n"
        "el=time.perf_counter()-t\n")
WORK = ("from capplan.ingest import read_traffic; from capplan.load import analyze_load; "
        "t=time.perf_counter(); analyze_load(read_traffic(P)); el=time.perf_counter()-t\n"
        "t2=t\n")  # t2-t1: importing the reading and analysing modules


def child(stmt, out, flags=()):
    code = f"P={str(CSV)!r}; OUT={out!r}; FLAGS={list(flags)!r}\n{IMPORTS}{stmt}print(t1-t0, t2-t1, el)"
    # Run from the output folder: `python -c` puts the working directory first on sys.path, so
    # from a checkout the child would import that checkout's capplan, not this interpreter's.
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=ENV, cwd=out)
    return tuple(float(x) for x in res.stdout.split())


def wall(cmd, cwd):
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True, env=ENV, cwd=cwd)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    if not CSV.exists():
        subprocess.run([sys.executable, str(HERE / "analyze_year.py"), "--make"], check=True)
    out = tempfile.mkdtemp(prefix="capplan-bench-")
    runs = {k: [] for k in ("help", "analyze", "main", "work", "work_imp", "imp_pandas",
                                "imp_cli", "main_json")}
    load = os.getloadavg()[0]
    for _ in range(args.repeat + 1):  # the first round untimed: bytecode written, caches warm
        runs["help"].append(wall([CAPPLAN, "--help"], out))
        runs["analyze"].append(wall([CAPPLAN, "analyze", str(CSV), "-o", out], out))
        pd_imp, cli_imp, el = child(MAIN, out)
        runs["main"].append(el)
        runs["imp_pandas"].append(pd_imp)
        runs["imp_cli"].append(cli_imp)
        runs["main_json"].append(child(MAIN, out, ["--json"])[2])
        _, work_imp, work = child(WORK, out)
        runs["work"].append(work)
        runs["work_imp"].append(work + work_imp)
    best = {k: min(v[1:]) for k, v in runs.items()}
    where = subprocess.run([sys.executable, "-c", "import capplan; print(capplan.__file__)"],
                           capture_output=True, text=True, check=True, cwd=out).stdout.strip()
    print(f"capplan measured: {Path(where).parent}")
    print(f"input: {CSV.name}; best of {args.repeat}; load average {load:.2f} -> "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"  capplan --help (whole process)             {best['help']:6.3f} s")
    print(f"  capplan analyze YEAR -o DIR (whole process) {best['analyze']:6.3f} s")
    print(f"  import pandas, pyarrow.csv                  {best['imp_pandas']:6.3f} s")
    print(f"  import capplan.cli                          {best['imp_cli']:6.3f} s")
    print(f"  main() analyze, in process                  {best['main']:6.3f} s")
    print(f"  main() analyze --json, in process           {best['main_json']:6.3f} s")
    print(f"  analyze_load(read_traffic(YEAR)) alone      {best['work']:6.3f} s")
    print(f"  the same with importing ingest and load     {best['work_imp']:6.3f} s")
    print(f"  main() - work                               {best['main'] - best['work']:6.3f} s")
    print(f"  main() - work with its imports (the shell)  {best['main'] - best['work_imp']:6.3f} s")


if __name__ == "__main__":
    main()
