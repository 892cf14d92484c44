"""Flat-topping: fires on real traffic clipped on purpose, stays quiet on the originals."""
import numpy as np
import pandas as pd
import pytest

from conftest import data
from capplan.ingest import read_traffic
from capplan.load import analyze_load, daily_peaks
from capplan.saturation import day_table, detect_flat_topping, theil_sen_change

TRAFFIC = [("traffic/nab_nyc_taxi.csv", None), ("traffic/nab_elb_request_count_8c0756.csv", None),
           ("traffic/nab_ec2_network_in_257a54.csv", None),
           ("traffic/nab_twitter_volume_AMZN.csv", None),
           ("traffic/prophet_example_pedestrians_multivariate.csv", "location_4"),
           ("traffic/prophet_example_pedestrians_multivariate.csv", "location_41")]


def test_the_list_covers_every_series_in_the_traffic_folder():
    folder = data("traffic/nab_nyc_taxi.csv").parent
    assert {f for f, _ in TRAFFIC} == {f"traffic/{p.name}" for p in folder.iterdir()}
    frame = pd.read_csv(folder / "prophet_example_pedestrians_multivariate.csv", nrows=1)
    assert [c for c in frame.columns if c != "ds"] == ["location_4", "location_41"]


def clipped(rate, interval):
    """The series capped at the level its daily peaks reach on 20% of days."""
    peaks, _ = daily_peaks(rate, interval)
    cap = float(np.percentile(peaks.to_numpy(), 80))
    return rate.clip(upper=cap), cap, peaks


@pytest.mark.parametrize("rel,column", TRAFFIC)
def test_fires_on_the_clipped_copy_and_not_on_the_original(rel, column):
    t = read_traffic(data(rel), value_column=column)
    original = detect_flat_topping(t.rate, t.interval_seconds)
    assert not original.detected, original.method
    capped, cap, peaks = clipped(t.rate, t.interval_seconds)
    found = detect_flat_topping(capped, t.interval_seconds)
    assert found.detected and found.pile_up, found.method
    assert found.ceiling == pytest.approx(cap)
    # Every day whose real peak reached the cap now sits on it.
    assert found.days_at_ceiling >= int((peaks >= cap).sum())
    assert found.share_of_days == pytest.approx(found.days_at_ceiling / found.days)
    assert found.unclipped_peak >= found.observed_peak


@pytest.mark.parametrize("rel,column", [TRAFFIC[0], TRAFFIC[4], TRAFFIC[5]])
def test_unclipped_estimate_recovers_the_cut_peaks(rel, column):
    """Where the daily peak is a steady multiple of a lower percentile (taxi, pedestrians), the
    estimate on clipped days is within 3% of the true peaks on average; the cap alone is low."""
    t = read_traffic(data(rel), value_column=column)
    capped, cap, peaks = clipped(t.rate, t.interval_seconds)
    found = detect_flat_topping(capped, t.interval_seconds)
    cut = peaks > cap
    estimate = found.unclipped_daily_peaks[cut]
    assert abs(float(np.mean(estimate / peaks[cut] - 1))) < 0.03
    assert float(np.mean(cap / peaks[cut] - 1)) < 0  # what the observed peak says instead


def test_days_and_peaks_are_the_load_stage_days():
    t = read_traffic(data("traffic/nab_nyc_taxi.csv"), timezone="America/New_York")
    load = analyze_load(t)
    table = day_table(t.rate, t.interval_seconds, t.local_timezone)
    assert list(table.index) == list(load.daily_peaks.index)
    assert np.array_equal(table["peak"].to_numpy(), load.daily_peaks.to_numpy())
    day = table.index[10]
    local = t.rate.tz_convert("America/New_York")
    values = local[local.index.normalize().tz_localize(None) == day].to_numpy()
    assert table.loc[day, "p95"] == pytest.approx(np.percentile(values, 95))
    assert load.flat_topping is not None and not load.flat_topping.detected


def test_pile_up_counted_by_hand():
    # 20 days of hourly data; daily peaks 100 (x5 days), 99 (x1), 95 (x2), the rest 80.
    days = pd.date_range("2024-01-01", periods=20, freq="D", tz="UTC")
    tops = [100] * 5 + [99] + [95] * 2 + [80] * 12
    index = pd.date_range("2024-01-01", periods=20 * 24, freq="h", tz="UTC")
    shape = np.sin(np.linspace(0, np.pi, 24)) * 0.5 + 0.4
    values = np.concatenate([top * shape / shape.max() for top in tops])
    ft = detect_flat_topping(pd.Series(values, index), 3600)
    assert ft.days == 20 and ft.ceiling == pytest.approx(100)
    assert ft.days_at_ceiling == 6  # 100 and 99 are within 2% of 100
    assert ft.days_just_below == 2  # 95 is within 6%, not 2%
    assert ft.share_of_days == pytest.approx(0.3)
    assert ft.detected and ft.pile_up
    assert not detect_flat_topping(pd.Series(values[: 9 * 24], index[: 9 * 24]), 3600).detected
    assert len(days) == 20


def test_theil_sen_change_matches_scipy():
    from scipy import stats

    rng = np.random.default_rng(2)
    v = np.cumsum(rng.normal(0.1, 1, 200))
    slope = stats.theilslopes(v, np.arange(200.0))[0]
    assert theil_sen_change(v) == pytest.approx(slope * 199, rel=1e-12)


def growing(days=200, growth=0.5, cap=None, soft=None, night_growth=0.0, seed=0):
    """Hourly traffic growing by `growth` over the period; optionally capped (hard or soft)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=days * 24, freq="h", tz="UTC")
    t = np.arange(index.size) / index.size
    hour = np.arange(index.size) % 24
    shape = 0.35 + 0.65 * np.exp(-((hour - 15) / 4.0) ** 2)
    night = 1 + night_growth * t * (shape < 0.6)
    demand = 1000 * (1 + growth * t) * shape * night * rng.lognormal(0, 0.04, index.size)
    if cap is not None:
        demand = np.minimum(demand, cap)
    if soft is not None:  # a soft ceiling: throughput = D / (1 + (D / C)^8)^(1/8)
        demand = demand / (1 + (demand / soft) ** 8) ** (1 / 8)
    return pd.Series(demand, index)


def test_compression_while_growing_gilgur():
    quiet = detect_flat_topping(growing(), 3600)
    assert not quiet.detected and quiet.median_growth == pytest.approx(0.5, abs=0.1)
    soft = detect_flat_topping(growing(soft=1150), 3600)
    assert soft.compressed and soft.detected
    assert soft.peak_growth < soft.median_growth / 3
    # The estimate moves towards the demand the soft ceiling hid (same seed, no ceiling).
    true = day_table(growing(), 3600)["peak"].iloc[-28:].max()
    assert abs(soft.unclipped_peak / true - 1) < abs(soft.observed_peak / true - 1)
    # The day flattening as traffic spreads over more hours: the median outgrows the peak, but
    # the peak still grows: not a ceiling.
    spread = detect_flat_topping(growing(growth=0.3, night_growth=0.6), 3600)
    assert not spread.detected, spread.method


def test_daily_data_is_judged_on_the_pile_up_only():
    index = pd.date_range("2020-01-01", periods=100, freq="D", tz="UTC")
    v = pd.Series(np.random.default_rng(1).uniform(50, 100, 100), index)
    assert not detect_flat_topping(v, 86400).detected
    ft = detect_flat_topping(v.clip(upper=90), 86400)
    assert ft.detected and ft.unclipped_peak is None and "finer than a day" in ft.method


def test_flat_topping_in_analysis_json(tmp_path):
    from conftest import run_cli

    t = read_traffic(data("traffic/nab_nyc_taxi.csv"))
    capped, cap, _ = clipped(t.rate, t.interval_seconds)
    f = tmp_path / "taxi_clipped.csv"
    pd.DataFrame({"timestamp": capped.index.strftime("%Y-%m-%d %H:%M:%S"),
                  "value": capped.to_numpy()}).to_csv(f, index=False)
    code, so, se = run_cli("analyze", f, "--out", tmp_path / "o")
    assert code == 0, se
    import json

    doc = json.loads((tmp_path / "o" / "analysis.json").read_text())["load"]["flat_topping"]
    assert doc["detected"] and doc["ceiling"] == pytest.approx(cap)
    assert {"share_of_days", "method", "unclipped_peak"} <= set(doc)
    assert len(doc["unclipped_daily_peaks"]) == doc["days"]
