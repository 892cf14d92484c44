"""The worst case's trade-off on the PEERS.md protocol: coverage against over-provision as the
worst quantile (`--worst-quantile`, default 0.95) moves. capplan only, about 5 s a quantile.

Issue 10 asks for a worst case that covers the horizon peak at >= 95% of origins (the mean over
the eight series, as PEERS.md scores it) with a median over-provision <= 30%. This prints, for
each quantile, what the plan's worst case gives on the 48 origins, and the per-series figures, so
that the distance to that corner can be read off rather than argued.

Usage: .venv/bin/python -W ignore bench/growth/frontier.py [q ...]   (default 0.9 0.95 0.975 0.99)
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_capplan  # noqa: E402
from series import SERIES, summarise  # noqa: E402

from capplan.growth import forecast_peaks  # noqa: E402


def at_quantile(q: float) -> tuple[dict, float, float, float]:
    run_capplan.forecast_peaks = (lambda train, months, model=None:
                                  forecast_peaks(train, months, model=model, worst_quantile=q))
    per = {name: summarise(run_capplan.evaluate(name)) for name in SERIES}
    covers = float(np.mean([s["covers"] for s in per.values()]))
    over = float(np.median([s["over"] for s in per.values()]))
    worst = float(max(s["max_over"] for s in per.values()))
    return per, covers, over, worst


def main(quantiles: list[float]) -> None:
    print("| worst quantile | upper covers HP (mean of 8) | over-provision (median of 8) | max "
          "over-provision | per series: covers / over |")
    print("|---|---|---|---|---|")
    for q in quantiles:
        per, covers, over, worst = at_quantile(q)
        detail = ", ".join(f"{k} {s['covers']:.0%}/{s['over']:+.0%}" for k, s in per.items())
        print(f"| {q:g} | {covers:.1%} | {over:+.0%} | {worst:+.0%} | {detail} |", flush=True)


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [0.9, 0.95, 0.975, 0.99])
