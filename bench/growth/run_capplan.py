"""capplan on the PEERS.md protocol (series.py): forecast_peaks on each origin's history, as a
user's daily peaks would reach it. Writes the per-origin rows to a JSON and prints one line a
series. Run with capplan's venv: .venv/bin/python bench/growth/run_capplan.py OUT.json [--model M]

Per origin:
- MASE on the central daily forecast (`PeakForecast.point`);
- the horizon-peak error of the nominal window peak (`window_peak`: the median forecast of the
  peak over the horizon's days, the quantity the plan sizes for);
- "upper" = the plan's worst case over the horizon: the max of the `worst_case` demand path over
  the horizon's grid days (what a plan made at the origin sizes for: the planning peak as it will
  stand, so it includes the observed days still in the 28-day window);
- "plan" = the worst window quantile of the horizon's own days (future days only).
"""
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from series import ALL, daily_peaks, horizon, origin_metrics, origins  # noqa: E402

from capplan.growth import forecast_peaks, window_peak  # noqa: E402


def evaluate(name, model=None):
    peaks = daily_peaks(name)
    h = horizon(name)
    y = peaks.to_numpy(float)
    rows = []
    for o in origins(len(y), h):
        train, actual = peaks.iloc[:o], y[o:o + h]
        t = time.perf_counter()
        fc = forecast_peaks(train, 1, model=model)
        el = time.perf_counter() - t
        nominal_hp, window_worst = window_peak(fc, h)
        plan_worst = float(fc.worst_case[fc.grid_days <= h + 1e-9].max())
        row = origin_metrics(actual, fc.point[:h], [plan_worst], y[:o], el, window_worst)
        amax = float(actual.max())
        row["hp_point"] = row["hp"]
        row["hp"] = (nominal_hp - amax) / amax
        row["model"] = fc.model
        rows.append(row)
    return rows


def main(out, model=None):
    from series import summarise

    result = {"rows": {}}
    for name in ALL:
        rows = evaluate(name, model)
        result["rows"][name] = rows
        s = summarise(rows)
        print(f"{name:8s} MASE {s['mase']:.3f}  HP {s['hp']:+.1%}  plan covers {s['covers']:.0%} "
              f"(over {s['over']:+.0%}, max {s['max_over']:+.0%})  window covers "
              f"{s['plan_covers']:.0%} (over {s['plan_over']:+.0%}, max {s['plan_max_over']:+.0%})  "
              f"{s['seconds'] * 1000:.0f} ms  {sorted({r['model'] for r in rows})}", flush=True)
    Path(out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    args = sys.argv[1:]
    model = args[args.index("--model") + 1] if "--model" in args else None
    main(args[0], model)
