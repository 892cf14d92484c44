"""Load analysis against hand-worked values and numpy/pandas as independent references."""
import numpy as np
import pandas as pd
import pytest

from capplan.ingest import read_traffic
from capplan.load import analyze_load, daily_peaks, find_anomalies
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
    # neutral: the growth stage classifies it one-off or recurring (a user saw both words)
    assert "2014-04-15" in L.planning_peak.method and " as a spike" in L.planning_peak.method
    assert "one-off" not in L.planning_peak.method
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


def test_hourly_p95_by_hand(tmp_path):
    # Two Mondays at 09:00 with 100 and 200: p95 (type 7) = 100 + 0.95 x 100 = 195.
    idx = pd.date_range("2024-01-01", periods=24 * 14, freq="h")
    vals = np.where((idx.day_of_week == 0) & (idx.hour == 9), np.where(idx.day < 8, 100.0, 200.0), 1.0)
    L = analyze_load(traffic_from(tmp_path, idx, vals))
    assert L.hourly_p95.loc[0, 9] == pytest.approx(195) and L.hourly_mean.loc[0, 9] == 150


def test_daily_peaks_in_local_timezone(tmp_path):
    idx = pd.date_range("2024-07-01 00:00", periods=48, freq="h")
    vals = np.arange(48.0)
    t = traffic_from(tmp_path, idx, vals)
    peaks, _ = daily_peaks(t.rate, 3600, "America/New_York")
    # In New York (UTC-4) 2024-07-01 ends at 04:00 UTC on 07-02: its max is value 27.
    assert peaks.loc["2024-07-01"] == 27


def test_modified_z_by_hand():
    # 29 days of 90, 100, 110 repeating, day 14 replaced by 400: the window is all 29 days.
    # Values: 90 x10, 100 x10, 110 x8, 400: median 100; |x - 100|: 0 x10, 10 x18, 300: MAD 10.
    # Modified z of the spike: 0.6745 x (400 - 100) / 10 = 20.235.
    v = np.array([90.0, 100.0, 110.0] * 10)[:29]
    v[14] = 400
    found = find_anomalies(pd.Series(v, pd.date_range("2024-01-01", periods=29, freq="D")))
    assert [a.date for a in found] == ["2024-01-15"]
    assert found[0].modified_z == pytest.approx(0.6745 * 300 / 10)


def test_find_anomalies_flags_single_spike():
    idx = pd.date_range("2024-01-01", periods=60, freq="D")
    v = 100 + 5 * np.sin(np.arange(60))
    v[40] = 400
    found = find_anomalies(pd.Series(v, idx))
    assert [a.date for a in found] == ["2024-02-10"]


def test_weekday_hour_profile_matches_pandas_calendar_across_dst():
    # The weekday x hour grid is built from integer wall-clock hours; pandas' own calendar
    # fields (an independent implementation) must agree, through both 2024 DST changes in NY.
    import numpy as np
    import pandas as pd

    from capplan.ingest.model import DataQuality, InputInfo, Traffic
    from capplan.load import analyze_load

    idx = pd.date_range("2024-03-01", "2024-11-30", freq="h", tz="UTC")
    rate = pd.Series(np.arange(len(idx), dtype=float) % 97 + 1, index=idx)
    q = DataQuality(len(idx), len(idx), (), 0, "none", False, 3600.0, 0, 0.0, 0.0, 0, idx[0],
                    idx[-1], None)
    info = InputInfo("x", "0", "csv", None, "t", "v", None, "rate")
    L = analyze_load(Traffic(rate, "req/s", 3600.0, q, info, "America/New_York"))
    local = idx.tz_convert("America/New_York")
    expected = rate.groupby([local.day_of_week, local.hour]).mean().unstack()
    assert np.allclose(L.hourly_mean.to_numpy(), expected.to_numpy())


def test_the_planning_window_is_named_by_its_calendar_days():
    # The window is 28 calendar days whatever the data: a series with missing days says how many
    # have data; a monthly series is not "the last 1 day(s)" of a 28-day range.
    import pandas as pd

    from capplan.load import choose_planning_peak

    days = pd.date_range("2024-01-01", "2024-03-31", freq="D")
    peaks = pd.Series(range(len(days)), index=days, dtype=float)
    peaks = peaks.drop(days[-10:-5])  # 5 of the last 28 days missing: 23 with data
    pp = choose_planning_peak(peaks, ())
    assert pp.method == ("highest daily peak of the last 28 day(s) (2024-03-04 to 2024-03-31; "
                         "23 of them with data)")
    assert pp.value == len(days) - 1 and pp.date == "2024-03-31"
    months = pd.date_range("2015-01-01", "2016-05-01", freq="MS")
    pp = choose_planning_peak(pd.Series(range(len(months)), index=months, dtype=float), ())
    assert pp.method == ("highest peak of the last 28 day(s) (2016-04-04 to 2016-05-01; "
                         "1 data point(s) in it)")
    full = pd.Series(1.0, index=days)
    assert choose_planning_peak(full, ()).method == (
        "highest daily peak of the last 28 day(s) (2024-03-04 to 2024-03-31)")
