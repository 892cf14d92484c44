"""The peers of PEERS.md on its protocol: statsforecast (AutoARIMA, AutoTheta, AutoETS, naive,
seasonal naive, drift), Prophet on daily peaks, statsmodels ETS (M,Ad,M) and (A,Ad,A).

Runs inside the peers' own venv (bench/.peers-venv, made by compare.sh): they are never capplan
dependencies. Slow on two shared cores (AutoARIMA on the full Peyton Manning and cycle-hire
histories takes minutes an origin), so the per-origin rows are cached in a JSON keyed by the
protocol (series.protocol_key) and each (method, series) is run once; a rerun only fills gaps.

Usage: run_peers.py CACHE.json [--only TEXT]   (--only: the methods whose name contains TEXT)
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
from series import ALL, daily_peaks, horizon, origin_metrics, origins, protocol_key  # noqa: E402

warnings.simplefilter("ignore")
logging.getLogger("cmdstanpy").setLevel(logging.ERROR)
logging.getLogger("prophet").setLevel(logging.ERROR)


def sf_model(make):
    def run(train, h, dates):
        from statsforecast import StatsForecast

        df = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(train)), "y": train})
        sf = StatsForecast(models=[make()], freq=1, n_jobs=1)
        fc = sf.forecast(df=df, h=h, level=[95])
        cols = [c for c in fc.columns if c not in ("unique_id", "ds")]
        mean = next(c for c in cols if "-lo-" not in c and "-hi-" not in c)
        hi = next(c for c in cols if c.endswith("-hi-95"))
        return fc[mean].to_numpy(float), fc[hi].to_numpy(float)
    return run


def prophet(train, h, dates):
    from prophet import Prophet

    m = Prophet(interval_width=0.95, uncertainty_samples=200)
    m.fit(pd.DataFrame({"ds": dates[:len(train)], "y": train}))
    fut = pd.DataFrame({"ds": pd.date_range(dates[len(train) - 1] + pd.Timedelta(days=1),
                                            periods=h, freq="D")})
    fc = m.predict(fut)
    return fc["yhat"].to_numpy(float), fc["yhat_upper"].to_numpy(float)


def sm_ets(error, seasonal):
    def run(train, h, dates):
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        res = ETSModel(pd.Series(np.asarray(train, float)), error=error, trend="add",
                       damped_trend=True, seasonal=seasonal, seasonal_periods=7).fit(disp=False)
        n = len(train)
        frame = res.get_prediction(start=n, end=n + h - 1).summary_frame(alpha=0.05)
        return frame["mean"].to_numpy(float), frame["pi_upper"].to_numpy(float)
    return run


def methods():
    from statsforecast.models import (AutoARIMA, AutoETS, AutoTheta, Naive, RandomWalkWithDrift,
                                      SeasonalNaive)

    return {
        "naive (last value)": sf_model(Naive),
        "seasonal naive (7 days)": sf_model(lambda: SeasonalNaive(season_length=7)),
        "drift": sf_model(RandomWalkWithDrift),
        "statsforecast AutoTheta": sf_model(lambda: AutoTheta(season_length=7)),
        "statsforecast AutoETS": sf_model(lambda: AutoETS(season_length=7)),
        "statsmodels ETS (A,Ad,A)": sm_ets("add", "add"),
        "statsmodels ETS (M,Ad,M)": sm_ets("mul", "mul"),
        "Prophet on daily peaks": prophet,
        "statsforecast AutoARIMA (season 7)": sf_model(lambda: AutoARIMA(season_length=7)),
    }


def main(cache_path, only=None):
    cache_path = Path(cache_path)
    key = protocol_key()
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    if cache.get("protocol") != key:
        cache = {"protocol": key, "versions": {}, "rows": {}}
    import prophet as _p
    import statsforecast as _s
    import statsmodels as _m

    cache["versions"] = {"prophet": _p.__version__, "statsforecast": _s.__version__,
                         "statsmodels": _m.__version__}
    warm = np.sin(np.arange(40) / 3.0) + 10
    for method, fn in methods().items():
        if only and only not in method:
            continue
        try:  # the first call compiles (numba, Stan): keep it out of the timings
            fn(warm, 3, pd.date_range("2020-01-01", periods=40))
        except Exception:  # noqa: BLE001
            pass
        for name in ALL:
            slot = f"{method}|{name}"
            if slot in cache["rows"]:
                continue
            peaks = daily_peaks(name)
            h = horizon(name)
            y = peaks.to_numpy(float)
            rows = []
            for o in origins(len(y), h):
                train, actual = y[:o], y[o:o + h]
                t = time.perf_counter()
                try:
                    mean, hi = fn(train, h, peaks.index)
                    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(hi))):
                        raise ValueError("non-finite forecast")
                except Exception as exc:  # noqa: BLE001 - a peer's failure is a figure
                    rows.append({"failed": str(exc)[:80]})
                    continue
                rows.append(origin_metrics(actual, mean, hi, train, time.perf_counter() - t))
            cache["rows"][slot] = rows
            cache_path.write_text(json.dumps(cache, indent=1))
            print(f"{method:36s} {name:8s} {len(rows)} origins, "
                  f"{sum('failed' in r for r in rows)} failed", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[args.index("--only") + 1] if "--only" in args else None)
