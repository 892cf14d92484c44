"""capplan on many more origins than PEERS.md's six: a check that a change to the worst case is
not tuned to the benchmark's 48 origins. capplan only (the peers would take hours).

Origins: every step from the 8th day on the short series (ELB and EC2 as PEERS.md: their 4;
pedestrians and Twitter every day), every 2nd day of the taxi series, every 7th day of the last
two years of Peyton Manning and cycle hires; the PEERS.md horizon of each series. Per series: the
share of origins the plan's worst case covers (its max over the horizon's grid days against the
actual horizon max), the median and largest over-provision, the median signed error of the nominal
window peak. Usage: .venv/bin/python -W ignore bench/growth/dense.py [OUT.json] [series ...]
"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from series import ALL, daily_peaks, horizon, origins  # noqa: E402

from capplan.growth import forecast_peaks, window_peak  # noqa: E402


def dense_origins(name: str, n: int, h: int) -> list[int]:
    if n < 20:
        return origins(n, h)
    if n > 1000:
        return list(range(n - h - 728, n - h + 1, 7))
    step = 2 if n > 100 else 1
    return list(range(8, n - h + 1, step))


def evaluate(name: str) -> list[dict]:
    peaks = daily_peaks(name)
    h = horizon(name)
    y = peaks.to_numpy(float)
    rows = []
    for o in dense_origins(name, len(y), h):
        fc = forecast_peaks(peaks.iloc[:o], 1)
        amax = float(y[o:o + h].max())
        worst = float(fc.worst_case[fc.grid_days <= h + 1e-9].max())
        nominal = window_peak(fc, h)[0]
        rows.append({"origin": str(peaks.index[o].date()), "actual": amax, "worst": worst,
                     "nominal": nominal, "covers": worst >= amax, "over": worst / amax - 1,
                     "hp": nominal / amax - 1})
    return rows


def main(argv):
    out = argv[0] if argv and argv[0].endswith(".json") else None
    names = [a for a in argv if not a.endswith(".json")] or list(ALL)
    result = {}
    for name in names:
        rows = evaluate(name)
        result[name] = rows
        over = [r["over"] for r in rows]
        print(f"{name:8s} {len(rows):4d} origins  covers {np.mean([r['covers'] for r in rows]):5.1%}"
              f"  over median {np.median(over):+5.0%} max {np.max(over):+6.0%}"
              f"  nominal HP median {np.median([r['hp'] for r in rows]):+5.1%}", flush=True)
    if out:
        Path(out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
