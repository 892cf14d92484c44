"""Prophet and statsforecast (AutoARIMA, AutoETS) on the PEERS.md protocol.

Runs inside the peers' own venv (bench/.peers-venv, made by bench/growth/compare.sh): they pin
pandas<3 and must never become capplan dependencies. Writes one JSON of per-series summaries.
"""
import json
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from series import SERIES, daily_peaks, mase, origins  # noqa: E402

warnings.simplefilter("ignore")
HISTORY_CAP = 730
logging.getLogger("cmdstanpy").setLevel(logging.ERROR)
logging.getLogger("prophet").setLevel(logging.ERROR)


def sf_model(cls):
    def run(train, h):
        from statsforecast import StatsForecast

        df = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(train)), "y": train})
        sf = StatsForecast(models=[cls(season_length=7)], freq=1, n_jobs=1)
        fc = sf.forecast(df=df, h=h, level=[95])
        name = type(sf.models[0]).__name__ if hasattr(sf, "models") else cls.__name__
        cols = [c for c in fc.columns if c not in ("unique_id", "ds")]
        mean = next(c for c in cols if "-lo-" not in c and "-hi-" not in c)
        hi = next(c for c in cols if "-hi-95" in c)
        return fc[mean].to_numpy(), fc[hi].to_numpy()
    return run


def prophet(train, h, dates):
    from prophet import Prophet

    m = Prophet(interval_width=0.95, uncertainty_samples=200)
    m.fit(pd.DataFrame({"ds": dates[:len(train)], "y": train}))
    fut = pd.DataFrame({"ds": pd.date_range(dates[len(train) - 1] + pd.Timedelta(days=1),
                                            periods=h, freq="D")})
    fc = m.predict(fut)
    return fc["yhat"].to_numpy(), fc["yhat_upper"].to_numpy()


def main(out_path):
    from statsforecast.models import AutoARIMA, AutoETS

    methods = {"statsforecast AutoARIMA (season 7)": sf_model(AutoARIMA),
               "statsforecast AutoETS": sf_model(AutoETS), "Prophet on daily peaks": None}
    result = {}
    for method, fn in methods.items():
        result[method] = {}
        for name in SERIES:
            peaks = daily_peaks(name)
            h = SERIES[name][2]
            y = peaks.to_numpy(float)
            rows = []
            for o in origins(len(y), h):
                train, actual = y[:o], y[o:o + h]
                # Every method sees at most the last two years (capplan caps itself there too);
                # AutoARIMA on 2,900 points takes minutes an origin.
                start = max(0, o - HISTORY_CAP)
                t = time.perf_counter()
                try:
                    if fn is None:
                        mean, hi = prophet(train[start:], h, peaks.index[start:])
                    else:
                        mean, hi = fn(train[start:], h)
                except Exception as exc:  # noqa: BLE001
                    rows.append({"failed": str(exc)[:80]})
                    continue
                el = time.perf_counter() - t
                amax = actual.max()
                rows.append({"mase": mase(actual, mean, train), "hp": (mean.max() - amax) / amax,
                             "covers": bool(hi.max() >= amax), "over": (hi.max() - amax) / amax,
                             "seconds": el})
            ok = [r for r in rows if "failed" not in r]
            result[method][name] = {
                "mase": float(np.mean([r["mase"] for r in ok])) if ok else None,
                "hp": float(np.mean([r["hp"] for r in ok])) if ok else None,
                "abs_hp": float(np.mean([abs(r["hp"]) for r in ok])) if ok else None,
                "covers": float(np.mean([r["covers"] for r in ok])) if ok else None,
                "over": float(np.median([r["over"] for r in ok])) if ok else None,
                "seconds": float(np.median([r["seconds"] for r in ok])) if ok else None,
                "failed": len(rows) - len(ok), "origins": len(rows)}
            print(method, name, result[method][name], flush=True)
    Path(out_path).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
