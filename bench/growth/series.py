"""The eight shared series as daily peaks, prepared by the protocol of ../shared/PEERS.md.

Daily peak = max of each calendar day (the value itself for daily series); partial first/last days
dropped; the taxi daylight-saving night (2014-11-02 01:00-01:59, two buckets folded into one) halved;
zero pedestrian readings treated as missing. Gaps in daily series are skipped (consecutive
observations), as every peer needs a gap-free series.
"""
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

# name: (file, value column, horizon days)
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


def daily_peaks(name: str) -> pd.Series:
    rel, col, _ = SERIES[name]
    path = DATA / rel
    if path.suffix == ".xlsx":
        df = pd.read_excel(path, sheet_name="Data", header=5, usecols="B:C")
        df.columns = ["ds", "y"]
        s = pd.Series(df["y"].to_numpy(float), index=pd.to_datetime(df["ds"])).dropna()
        return s
    df = pd.read_csv(path)
    tcol = "timestamp" if "timestamp" in df else "ds"
    s = pd.Series(df[col].to_numpy(float), index=pd.to_datetime(df[tcol]))
    if name == "taxi":
        fold = (s.index >= "2014-11-02 01:00") & (s.index < "2014-11-02 02:00")
        s[fold] = s[fold] / 2
    if name.startswith("ped"):
        s = s.replace(0, np.nan)
    if name == "peyton":
        return s
    day = s.index.normalize()
    peaks = s.groupby(day).max()
    counts = s.groupby(day).size()
    full = counts.max()
    for d in (peaks.index[0], peaks.index[-1]):
        if counts[d] < full:
            peaks = peaks.drop(d)
    return peaks.dropna()


def origins(n: int, h: int) -> list[int]:
    """Training lengths for the rolling origins: spaced a horizon apart, at most 6, at least 7
    days of training; half a horizon apart when that gives fewer than 4."""
    for spacing in (h, max(1, h // 2), 1):
        out = [n - h - i * spacing for i in range(6) if n - h - i * spacing >= 7]
        if len(out) >= 4 or spacing == 1:
            return out[::-1]
    return []


def mase(actual, fc, train, m=7):
    scale = np.mean(np.abs(train[m:] - train[:-m])) if len(train) > m else np.mean(np.abs(np.diff(train)))
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(fc))) / scale)
