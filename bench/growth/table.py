"""The PEERS.md table from the peers' cache and capplan's rows (run by compare.sh).

Usage: table.py PEERS_CACHE.json CAPPLAN.json [more capplan variants as NAME=FILE.json]
Over the eight PEERS series: rank and "covers" are means over series, the rest medians over series
(each series' figure being the mean over its origins, over-provision the median); "max over" is the
largest over-provision at any origin of any series. Then the per-series rows, and the series
outside PEERS.md (unranked).
"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from series import EXTRA, PEERS_SERIES, summarise  # noqa: E402

CAPPLAN = "capplan"


def load(peers_paths, capplan_paths):
    methods, versions = {}, {}
    for p in peers_paths.split(","):
        if not Path(p).exists():
            continue
        cache = json.loads(Path(p).read_text())
        versions.update(cache.get("versions", {}))
        for slot, rows in cache["rows"].items():
            method, name = slot.split("|")
            methods.setdefault(method, {})[name] = summarise(rows)
    for label, path in capplan_paths:
        rows = json.loads(Path(path).read_text())["rows"]
        methods[label] = {name: summarise(r) for name, r in rows.items()}
    return methods, versions


def pct(x, sign=True):
    return "n/a" if x is None else (f"{x:+.0%}" if sign else f"{x:.0%}")


def main(argv):
    peers_path, capplan_paths = argv[0], [(CAPPLAN, argv[1])]
    capplan_paths += [tuple(a.split("=", 1)) for a in argv[2:]]
    methods, versions = load(peers_path, capplan_paths)
    series = [s for s in PEERS_SERIES if any(s in per for per in methods.values())]
    missing = sorted(f"{m}: {s}" for m in methods for s in series if s not in methods[m])
    for m in methods:  # a (method, series) not run yet shows as such, and is not ranked
        for s in series:
            methods[m].setdefault(s, {"mase": None, "failed": 0, "origins": 0, "not_run": True})
    ranks = {m: [] for m in methods}
    for s in series:
        scores = {m: methods[m][s]["mase"] for m in methods if methods[m][s]["mase"] is not None}
        for i, m in enumerate(sorted(scores, key=scores.get)):
            ranks[m].append(i + 1)
    print(f"{len(series)} series ({', '.join(series)}); {len(methods)} methods ranked together")
    if missing:
        print("not run (left out of that series' ranking and medians): " + "; ".join(missing))
    print("| method | mean MASE rank | median MASE | median signed HP | median abs HP | upper "
          "covers HP | over-provision | max over-provision | plan's worst case (window quantile):"
          " covers / over / max | failed | median time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    out = []
    for m, per in methods.items():
        ok = [per[s] for s in series if per[s]["mase"] is not None]
        if not ok:
            continue
        med = lambda k: float(np.median([v[k] for v in ok]))  # noqa: E731
        plan = "n/a"
        if ok and "plan_covers" in ok[0]:
            plan = (f"{np.mean([v['plan_covers'] for v in ok]):.0%} / {med('plan_over'):+.0%} / "
                    f"{max(v['plan_max_over'] for v in ok):+.0%}")
        out.append((float(np.mean(ranks[m])), m, med("mase"), med("hp"), med("abs_hp"),
                    float(np.mean([v["covers"] for v in ok])), med("over"),
                    max(v["max_over"] for v in ok), plan,
                    sum(per[s].get("failed", 0) for s in series), med("seconds")))
    for r in sorted(out):
        print(f"| {r[1]} | {r[0]:.2f} | {r[2]:.2f} | {r[3]:+.0%} | {r[4]:.0%} | {r[5]:.0%} | "
              f"{r[6]:+.0%} | {r[7]:+.0%} | {r[8]} | {r[9]} | {r[10] * 1000:.0f} ms |")
    print()
    print("Per series: MASE / signed HP / upper covers / over-provision (capplan: + window quantile"
          " covers / over)")
    for s in list(series) + [e for e in EXTRA if any(e in per for per in methods.values())]:
        print(f"- {s}{' (outside PEERS.md, unranked)' if s in EXTRA else ''}:")
        for m in sorted(methods, key=lambda m: (methods[m].get(s, {}).get("mase") is None,
                                                methods[m].get(s, {}).get("mase") or 0)):
            v = methods[m].get(s, {"mase": None, "not_run": True})
            if v.get("not_run"):
                print(f"    {m}: not run")
                continue
            if v["mase"] is None:
                print(f"    {m}: failed at {v['failed']} of {v['origins']} origins")
                continue
            extra = (f"; window {v['plan_covers']:.0%} / {v['plan_over']:+.0%}"
                     if "plan_covers" in v else "")
            print(f"    {m}: {v['mase']:.2f} / {v['hp']:+.0%} / {v['covers']:.0%} / "
                  f"{v['over']:+.0%}{extra}{' (' + str(v['failed']) + ' failed)' if v['failed'] else ''}")
    if versions:
        print()
        print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
