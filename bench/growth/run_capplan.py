"""capplan's chosen model on the PEERS.md protocol; prints one row a series and the summary.
Run: .venv/bin/python bench/growth/run_capplan.py [--json OUT]"""
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from series import SERIES, daily_peaks, mase, origins  # noqa: E402

from capplan.growth import DAYS_PER_MONTH, forecast_peaks, window_peak  # noqa: E402


def evaluate(name):
    peaks = daily_peaks(name)
    h = SERIES[name][2]
    y = peaks.to_numpy(float)
    rows = []
    for o in origins(len(y), h):
        train = peaks.iloc[:o]
        actual = y[o:o + h]
        t = time.perf_counter()
        fc = forecast_peaks(train, max(1, math.ceil(h / DAYS_PER_MONTH)))
        el = time.perf_counter() - t
        path = fc.path["nominal"].to_numpy()[:h]
        nominal_hp, upper_hp = window_peak(fc, h)
        amax = actual.max()
        rows.append({"mase": mase(actual, path, y[:o]), "hp": (nominal_hp - amax) / amax,
                     "covers": upper_hp >= amax, "over": (upper_hp - amax) / amax,
                     "seconds": el, "model": fc.model})
    return rows


def summarise(rows):
    return {"mase": float(np.mean([r["mase"] for r in rows])),
            "hp": float(np.mean([r["hp"] for r in rows])),
            "abs_hp": float(np.mean([abs(r["hp"]) for r in rows])),
            "covers": float(np.mean([r["covers"] for r in rows])),
            "over": float(np.median([r["over"] for r in rows])),
            "seconds": float(np.median([r["seconds"] for r in rows])),
            "origins": len(rows), "models": sorted({r["model"] for r in rows})}


def main():
    out = {}
    for name in SERIES:
        s = summarise(evaluate(name))
        out[name] = s
        print(f"{name:8s} MASE {s['mase']:.3f}  HP {s['hp']:+.1%}  covers {s['covers']:.0%}  "
              f"over {s['over']:+.0%}  {s['seconds'] * 1000:.0f} ms  {s['origins']} origins  "
              f"{', '.join(s['models'])}")
    print(f"median MASE {np.median([s['mase'] for s in out.values()]):.3f}; median signed HP "
          f"{np.median([s['hp'] for s in out.values()]):+.1%}; median abs HP "
          f"{np.median([s['abs_hp'] for s in out.values()]):.1%}; mean covers "
          f"{np.mean([s['covers'] for s in out.values()]):.0%}; median over-provision "
          f"{np.median([s['over'] for s in out.values()]):+.0%}; median time "
          f"{np.median([s['seconds'] for s in out.values()]) * 1000:.0f} ms")
    if "--json" in sys.argv:
        Path(sys.argv[sys.argv.index("--json") + 1]).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
