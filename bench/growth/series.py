"""The benchmark's series and protocol: exactly ../shared/PEERS.md.

The planning quantity is the daily peak (the max of each calendar day; the value itself for daily
series). Partial first/last days dropped; the taxi daylight-saving night (2014-11-02 01:00-01:59, two
buckets folded into one) halved; zero pedestrian readings treated as missing. Gaps in daily series
are skipped (consecutive observations), as every peer needs a gap-free series.

Rolling origins: each model sees only the days before its origin, all of them (no cap); horizon 28
days on the long daily series (6 origins), 7 on taxi, Twitter and pedestrians (4-6 origins), 3 on
the two 14-day AWS series (4 origins). Metrics per origin, then averaged per series (`metrics`).

This file is read by both venvs (capplan's and the peers'): numpy and pandas only.
"""
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

# name: (file, value column, horizon days). The first eight are PEERS.md's.
SERIES = {
    "taxi": ("traffic/nab_nyc_taxi.csv", "value", 7),
    "elb": ("traffic/nab_elb_request_count_8c0756.csv", "value", 3),
    "ec2": ("traffic/nab_ec2_network_in_257a54.csv", "value", 3),
    "twitter": ("traffic/nab_twitter_volume_AMZN.csv", "value", 7),
    "ped_4": ("traffic/prophet_example_pedestrians_multivariate.csv", "location_4", 7),
    "ped_41": ("traffic/prophet_example_pedestrians_multivariate.csv", "location_41", 7),
    "peyton": ("forecasting/prophet_example_wp_log_peyton_manning.csv", "y", 28),
    "cycles": ("excel/tfl-daily-cycle-hires.xlsx", None, 28),
}
PEERS_SERIES = tuple(SERIES)
# Beyond PEERS.md: the other daily-peak series of ../shared/data/forecasting (Yosemite's 5-minute
# temperatures, 65 days). Reported in its own rows, outside the PEERS ranking.
EXTRA = {"yosemite": ("forecasting/prophet_example_yosemite_temps.csv", "y", 7)}
ALL = {**SERIES, **EXTRA}
QUANTILE = 0.95  # the upper bound every method gives: its 95% one


def daily_peaks(name: str) -> pd.Series:
    rel, col, _ = ALL[name]
    path = DATA / rel
    if path.suffix == ".xlsx":
        df = pd.read_excel(path, sheet_name="Data", header=5, usecols="B:C")
        df.columns = ["ds", "y"]
        return pd.Series(df["y"].to_numpy(float), index=pd.to_datetime(df["ds"])).dropna()
    df = pd.read_csv(path)
    tcol = "timestamp" if "timestamp" in df else "ds"
    s = pd.Series(pd.to_numeric(df[col], errors="coerce").to_numpy(float),
                  index=pd.to_datetime(df[tcol]))
    if name == "taxi":
        fold = (s.index >= "2014-11-02 01:00") & (s.index < "2014-11-02 02:00")
        s[fold] = s[fold] / 2
    if name.startswith("ped"):
        s = s.replace(0, np.nan)
    if name == "peyton":
        return s.dropna()
    s = s.dropna()
    day = s.index.normalize()
    peaks = s.groupby(day).max()
    counts = s.groupby(day).size()
    full = counts.max()
    for d in (peaks.index[0], peaks.index[-1]):
        if counts[d] < full:
            peaks = peaks.drop(d)
    return peaks.dropna()


def horizon(name: str) -> int:
    return ALL[name][2]


def origins(n: int, h: int) -> list[int]:
    """Training lengths for the rolling origins: a horizon apart, at most 6, at least 7 days of
    training; half a horizon apart (then a day) when that gives fewer than 4."""
    for spacing in (h, max(1, h // 2), 1):
        out = [n - h - i * spacing for i in range(6) if n - h - i * spacing >= 7]
        if len(out) >= 4 or spacing == 1:
            return out[::-1]
    return []


def mase(actual, fc, train, m=7):
    """MAE over the horizon / in-sample MAE of the weekly seasonal naive (lag 1 under 8 days)."""
    train = np.asarray(train, float)
    scale = (np.mean(np.abs(train[m:] - train[:-m])) if len(train) > m
             else np.mean(np.abs(np.diff(train))))
    return float(np.mean(np.abs(np.asarray(actual, float) - np.asarray(fc, float))) / scale)


def origin_metrics(actual, mean, upper, train, seconds, plan_upper=None):
    """One origin's figures: MASE of the mean path, the horizon-peak error of its max, whether the
    max of the upper bound covers the actual horizon max and by how much (over-provision).
    `plan_upper`: a method's own bound for the horizon max itself (capplan's window quantile)."""
    amax = float(np.max(actual))
    row = {"mase": mase(actual, mean, train), "hp": (float(np.max(mean)) - amax) / amax,
           "covers": bool(np.max(upper) >= amax), "over": (float(np.max(upper)) - amax) / amax,
           "seconds": seconds}
    if plan_upper is not None:
        row["plan_covers"] = bool(plan_upper >= amax)
        row["plan_over"] = (float(plan_upper) - amax) / amax
    return row


def summarise(rows):
    """Per series: means over origins, except over-provision (median) and time (median)."""
    ok = [r for r in rows if "failed" not in r]
    out = {"origins": len(rows), "failed": len(rows) - len(ok)}
    if not ok:
        return {**out, "mase": None}
    mean = lambda k: float(np.mean([r[k] for r in ok]))  # noqa: E731
    out.update({"mase": mean("mase"), "hp": mean("hp"),
                "abs_hp": float(np.mean([abs(r["hp"]) for r in ok])), "covers": mean("covers"),
                "over": float(np.median([r["over"] for r in ok])),
                "max_over": float(np.max([r["over"] for r in ok])),
                "seconds": float(np.median([r["seconds"] for r in ok]))})
    if "plan_covers" in ok[0]:
        out.update({"plan_covers": mean("plan_covers"),
                    "plan_over": float(np.median([r["plan_over"] for r in ok])),
                    "plan_max_over": float(np.max([r["plan_over"] for r in ok]))})
    return out


def protocol_key() -> str:
    """What the peers' cached results depend on: this file and the data it reads."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    for name in ALL:
        h.update((DATA / ALL[name][0]).read_bytes())
    return h.hexdigest()[:16]
