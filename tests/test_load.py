"""Load analysis against hand-worked values and numpy/pandas as independent references."""
import numpy as np
import pandas as pd
import pytest

from capplan.ingest import read_traffic
from capplan.load import analyze_load, daily_peaks, find_anomalies, modified_z
from conftest import data


def traffic_from(tmp_path, index, values):
    p = tmp_path / "t.csv"
    pd.DataFrame({"timestamp": index.strftime("%Y-%m-%d %H:%M:%S"), "value": values}).to_csv(p, index=False)
    return read_traffic(p)


def test_small_series_by_hand(tmp_path):
    # Two days of 6-hourly data: values 1..8.
    idx = pd.date_range("2024-01-01", periods=8, freq="6h")
    t = traffic_from(tmp_path, idx, [1, 2, 3, 4, 5, 6, 7, 8])
    L = analyze_load(t)
    assert L.mean == 4.5 and L.peak == 8 and L.peak_to_mean == pytest.approx(8 / 4.5)
    # Linear interpolation (type 7): p50 at rank 3.5 -> 4.5; p95 at rank 6.65 -> 7.65.
    assert L.p50 == 4.5 and L.p95 == pytest.approx(7.65) and L.p99 == pytest.approx(7.93)
    assert L.p999 == pytest.approx(7.993)
    assert list(L.daily_peaks) == [4, 8]
    assert L.planning_peak.value == 8


def test_taxi_matches_published_and_flags_dst_night():
    L = analyze_load(read_traffic(data("traffic/nab_nyc_taxi.csv")))
    # README (computed with pandas, an independent implementation of type-7 quantiles).
    assert L.mean == pytest.approx(15137.569, abs=0.01)
    assert L.peak == 39197 and L.peak_to_mean == pytest.approx(2.589, abs=1e-3)
    assert L.p50 == 16778 and L.p95 == pytest.approx(25126.25) and L.p99 == pytest.approx(26899.81)
    # The DST fall-back night (2014-11-02) is flagged as a one-off, not planned for.
    assert "2014-11-02" in [a.date for a in L.anomalies]
    assert L.planning_peak.value < 39197
    assert L.peak_time == pd.Timestamp("2014-11-02 01:00", tz="UTC")


def test_ec2_spike_excluded_from_planning_peak():
    L = analyze_load(read_traffic(data("traffic/nab_ec2_network_in_257a54.csv")))
    assert L.peak == 245126000
    assert [a.date for a in L.planning_peak.excluded] == ["2014-04-15"]
    assert L.planning_peak.value < 10 * L.p99
    assert "one-off spike" in L.planning_peak.method
    # The last day (2014-04-24, 2 samples) is partial and dropped from the daily peaks.
    assert L.partial_days_dropped == ("2014-04-24",)


def test_daily_peaks_and_weekday_hour_profile(tmp_path):
    idx = pd.date_range("2024-01-01", periods=24 * 14, freq="h")  # Monday 2024-01-01
    vals = np.array([10 + h + (5 if d.day_of_week == 2 else 0) for d, h in zip(idx, idx.hour)], float)
    L = analyze_load(traffic_from(tmp_path, idx, vals))
    assert len(L.daily_peaks) == 14
    assert L.daily_peaks.iloc[2] == 38  # Wednesday 23:00: 10 + 23 + 5
    assert L.hourly_mean.loc[2, 23] == 38 and L.hourly_mean.loc[0, 0] == 10
    assert L.busiest_hour == (2, 23, 38.0)


def test_daily_peaks_in_local_timezone(tmp_path):
    idx = pd.date_range("2024-07-01 00:00", periods=48, freq="h")
    vals = np.arange(48.0)
    t = traffic_from(tmp_path, idx, vals)
    peaks, _ = daily_peaks(t.rate, 3600, "America/New_York")
    # In New York (UTC-4) 2024-07-01 ends at 04:00 UTC on 07-02: its max is value 27.
    assert peaks.loc["2024-07-01"] == 27


def test_modified_z_by_hand():
    # median 3, MAD median(|[1,2,3,4,100]-3|) = median(2,1,0,1,97) = 1.
    z = modified_z([1, 2, 3, 4, 100])
    assert z[-1] == pytest.approx(0.6745 * 97)


def test_find_anomalies_flags_single_spike():
    idx = pd.date_range("2024-01-01", periods=60, freq="D")
    v = 100 + 5 * np.sin(np.arange(60))
    v[40] = 400
    found = find_anomalies(pd.Series(v, idx))
    assert [a.date for a in found] == ["2024-02-10"]
