"""Write inputs/oracledb_txn_13weeks.csv.gz: a SYNTHETIC demand series for the database whose
production metrics are ../shared/data/usl/oracledb.csv (see inputs/SOURCES.md).

Thirteen weeks of transactions per second every 2 minutes, the metrics' own step: each weekday has the
shape of the one real day (oracledb's txn_rate, 08:02-20:00, smoothed over 30 minutes), nights
ramp down to a quiet level and back, weekends run at 55%, the level grows 4% a month, and each
sample carries lognormal noise (sigma 0.08) from a fixed seed, so the file is the same bytes on
every run. Run from the repository root: .venv/bin/python inputs/make_oracledb_txn.py
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "usl" / "oracledb.csv"
TARGET = ROOT / "inputs" / "oracledb_txn_13weeks.csv.gz"
START = "2012-01-23"  # the Monday after the measured day
DAYS = 91
STEP_MINUTES = 2
GROWTH_PER_MONTH = 0.04
WEEKEND = 0.55
NIGHT = 0.6  # txn/s from midnight to 06:00
NOISE_SIGMA = 0.08
LEVEL = 0.70  # the first week's scale against the measured day
SEED = 20120119


def day_template(source: Path = SOURCE) -> np.ndarray:
    """txn/s for each 2-minute step of a weekday (720 values, from 00:00)."""
    d = pd.read_csv(source, parse_dates=["timestamp"]).set_index("timestamp")["txn_rate"]
    day = d.rolling(15, center=True, min_periods=1).median()
    minutes = (day.index.hour * 60 + day.index.minute).to_numpy()
    grid = np.arange(0, 24 * 60, STEP_MINUTES)
    # Night: quiet from midnight to 06:00, ramps to the first measured value by 08:00 and from the
    # last one (20:00) down to the quiet level by midnight.
    knots_x = np.r_[0, 6 * 60, minutes, 24 * 60]
    knots_y = np.r_[NIGHT, NIGHT, day.to_numpy(), NIGHT]
    return np.interp(grid, knots_x, knots_y)


def series() -> pd.Series:
    rng = np.random.default_rng(SEED)
    template = day_template()
    times = pd.date_range(START, periods=DAYS * template.size, freq=f"{STEP_MINUTES}min")
    days = np.arange(times.size) * STEP_MINUTES / (24 * 60)
    weekday = np.where(times.day_of_week >= 5, WEEKEND, 1.0)
    growth = (1 + GROWTH_PER_MONTH) ** (days / 30.4375)
    noise = rng.lognormal(0.0, NOISE_SIGMA, times.size)
    values = LEVEL * np.tile(template, DAYS) * weekday * growth * noise
    return pd.Series(values, index=times, name="txn_rate")


def main() -> None:
    s = series()
    lines = ["timestamp,txn_rate"] + [f"{t:%Y-%m-%d %H:%M:%S},{v:.4f}" for t, v in s.items()]
    data = ("\n".join(lines) + "\n").encode("ascii")
    # mtime=0 and no file name in the header: the same bytes on every run.
    TARGET.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"wrote {TARGET} ({len(s):,} rows)", file=sys.stderr)


if __name__ == "__main__":
    main()
