"""Make N services' exports for the fleet benchmark from the real series in ../shared/data/traffic.

Each service is two years of daily peaks (730 rows, `date,value`): the daily peaks of one real
series (NAB taxi, ELB, EC2, Twitter AMZN, Melbourne pedestrians at two sensors), normalised by
their median, resampled a week at a time (a block bootstrap keeps the weekly shape) to 730 days,
rescaled to a random level (10 to 50,000 req/s, log-uniform), grown at a random rate (-2% to +8%
a month), with lognormal noise and a few random spikes (1.5-4x on ~0.5% of days). About 60% of
the services get a `<name>.toml` beside them with capacity facts (today's fleet sized from its
own peak at a random utilization, a cost per instance), so both load plans and sized plans are
timed. Fixed seed: the same N gives the same files.

Run: .venv/bin/python bench/fleet/make_series.py OUT_DIR --services 10000
"""
import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "traffic"
BASES = [("nab_nyc_taxi.csv", "value"), ("nab_elb_request_count_8c0756.csv", "value"),
         ("nab_ec2_network_in_257a54.csv", "value"), ("nab_twitter_volume_AMZN.csv", "value"),
         ("prophet_example_pedestrians_multivariate.csv", "location_4"),
         ("prophet_example_pedestrians_multivariate.csv", "location_41")]
DAYS = 730
SEED = 20241126


def base_shapes() -> list[np.ndarray]:
    """Each real series' full-day daily peaks divided by their median."""
    out = []
    for name, col in BASES:
        df = pd.read_csv(DATA / name)
        tcol = "timestamp" if "timestamp" in df else df.columns[0]
        s = pd.Series(pd.to_numeric(df[col], errors="coerce").to_numpy(),
                      index=pd.to_datetime(df[tcol])).dropna()
        s = s[s > 0]
        day = s.index.normalize()
        counts = s.groupby(day).size()
        peaks = s.groupby(day).max()[counts >= counts.max() * 0.9]
        out.append((peaks / peaks.median()).to_numpy())
    return out


def one_series(rng: np.random.Generator, shape: np.ndarray) -> np.ndarray:
    weeks = max(1, len(shape) // 7)
    blocks = []
    while sum(len(b) for b in blocks) < DAYS:
        w = int(rng.integers(0, weeks))
        blocks.append(shape[w * 7:(w + 1) * 7])
    y = np.concatenate(blocks)[:DAYS]
    level = math.exp(rng.uniform(math.log(10), math.log(50_000)))
    growth = rng.uniform(-0.02, 0.08)  # a month
    t = np.arange(DAYS) / 30.4375
    noise = rng.lognormal(0, rng.uniform(0.03, 0.15), DAYS)
    spikes = np.where(rng.random(DAYS) < 0.005, rng.uniform(1.5, 4.0, DAYS), 1.0)
    return level * y * (1 + growth) ** t * noise * spikes


def make(out: Path, n: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    if (out / ".complete").exists() and int((out / ".complete").read_text()) == n:
        return out
    shapes = base_shapes()
    days = pd.date_range("2023-01-01", periods=DAYS, freq="D").strftime("%Y-%m-%d")
    for i in range(n):
        rng = np.random.default_rng([SEED, i])
        y = one_series(rng, shapes[i % len(shapes)])
        name = f"svc{i:05d}"
        body = "date,value\n" + "".join(f"{d},{v:.2f}\n" for d, v in zip(days, y))
        (out / f"{name}.csv").write_text(body)
        if rng.random() < 0.6:
            util = rng.uniform(0.25, 0.7)
            per = float(np.quantile(y[-60:], 0.99)) / util / rng.integers(2, 40)
            instances = max(1, int(round(float(y[-60:].max()) / (per * util))))
            (out / f"{name}.toml").write_text(
                f"per_instance = {per:.3f}\ninstances = {instances}\n"
                f"cost_per_instance = {rng.integers(50, 900)}\nlead_time = {rng.integers(0, 60)}\n")
    (out / ".complete").write_text(str(n))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--services", type=int, default=10_000)
    a = ap.parse_args()
    print(make(a.out, a.services))
