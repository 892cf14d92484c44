"""Print the PEERS.md table for the peers' JSON and capplan's JSON (run by compare.sh)."""
import json
import sys

import numpy as np


def main(peers_path, capplan_path):
    methods = json.load(open(peers_path))
    methods["capplan (chosen model, calibrated)"] = json.load(open(capplan_path))
    series = list(next(iter(methods.values())))
    ranks = {m: [] for m in methods}
    for s in series:
        scores = {m: methods[m][s]["mase"] for m in methods if methods[m][s]["mase"] is not None}
        for i, m in enumerate(sorted(scores, key=scores.get)):
            ranks[m].append(i + 1)
    print("| method | mean MASE rank | median MASE | median signed HP | median abs HP | upper covers"
          " HP | over-provision | failed | median time |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for m, per in methods.items():
        ok = [v for v in per.values() if v["mase"] is not None]
        med = lambda k: float(np.median([v[k] for v in ok]))  # noqa: E731
        rows.append((np.mean(ranks[m]), m, med("mase"), med("hp"), med("abs_hp"),
                     float(np.mean([v["covers"] for v in ok])), med("over"),
                     sum(v.get("failed", 0) for v in per.values()), med("seconds")))
    for r in sorted(rows):
        print(f"| {r[1]} | {r[0]:.1f} | {r[2]:.2f} | {r[3]:+.0%} | {r[4]:.0%} | {r[5]:.0%} | "
              f"{r[6]:+.0%} | {r[7]} | {r[8] * 1000:.0f} ms |")
    print()
    print("per series (MASE / signed HP / covers):")
    for s in series:
        cells = [f"{m.split(' (')[0][:22]}: {methods[m][s]['mase']:.2f} / {methods[m][s]['hp']:+.0%} / "
                 f"{methods[m][s]['covers']:.0%}" for m in methods if methods[m][s]["mase"] is not None]
        print(f"  {s}: " + "; ".join(cells))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
