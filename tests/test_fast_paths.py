"""The fast paths of `capplan analyze` give the same numbers as the paths they replaced: the
whole-file multithreaded CSV read against the streaming reader, and the numpy grouped quantiles
(the day table, the weekday x hour p95) against pandas' groupby().quantile, bit for bit, on a
file with a bad row, a gap and a daylight-saving change in the local zone."""
import numpy as np
import pandas as pd
import pytest

from capplan.ingest import delimited, read_traffic
from capplan.load import analyze_load
from capplan.saturation import _day_table_pandas, day_table, grouped_quantiles

ZONE = "America/New_York"  # clocks go back on 2 Nov 2025: a 25-hour local day


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    idx = pd.date_range("2025-10-25", "2025-11-08 23:59", freq="min", tz="UTC")
    rng = np.random.default_rng(5)
    t = np.arange(idx.size)
    v = (500 + 300 * np.sin(2 * np.pi * t / 1440) + rng.normal(0, 20, idx.size)).round(3)
    keep = ~((idx >= "2025-11-04 10:00") & (idx < "2025-11-04 12:00"))  # a two-hour gap
    lines = ["timestamp,value"] + [f"{ts:%Y-%m-%dT%H:%M:%SZ},{x}" for ts, x in
                                   zip(idx[keep], v[keep])]
    lines.insert(5000, "2025-10-28T11:00:30Z,1,extra")  # a row with one field too many
    path = tmp_path_factory.mktemp("fast") / "dst.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def both_reads(path, monkeypatch):
    fast = read_traffic(path, timezone=ZONE)
    monkeypatch.setattr(delimited, "WHOLE_READ_BYTES", -1)  # force the streaming reader
    slow = read_traffic(path, timezone=ZONE)
    return fast, slow


def test_whole_file_read_equals_the_streaming_read(export, monkeypatch):
    calls = []
    real = delimited._read_at_once
    monkeypatch.setattr(delimited, "_read_at_once", lambda *a: calls.append(1) or real(*a))
    fast, slow = both_reads(export, monkeypatch)
    assert calls == [1]  # the fast path ran once, for the first read only
    pd.testing.assert_series_equal(fast.rate, slow.rate, check_exact=True)
    assert fast.quality == slow.quality
    assert fast.quality.rows_dropped == 1 and fast.quality.gaps == 1
    (dropped,) = fast.quality.dropped
    assert dropped.first_lines == (5001,)  # the header is line 1, the bad row line 5001


def test_analysis_equal_on_both_reads(export, monkeypatch):
    fast, slow = both_reads(export, monkeypatch)
    a, b = analyze_load(fast), analyze_load(slow)
    assert (a.mean, a.peak, a.p95, a.p999) == (b.mean, b.peak, b.p95, b.p999)
    pd.testing.assert_series_equal(a.daily_peaks, b.daily_peaks, check_exact=True)
    pd.testing.assert_frame_equal(a.hourly_p95, b.hourly_p95, check_exact=True)


def test_day_table_equals_pandas_groupby(export):
    rate = read_traffic(export, timezone=ZONE).rate
    table = day_table(rate, 60.0, ZONE)
    local_ns = rate.index.tz_convert(ZONE).tz_localize(None).as_unit("ns").asi8
    ref = _day_table_pandas(local_ns // 86_400_000_000_000, rate.to_numpy(float), 60.0)
    ref = ref.drop(index=[ref.index[0]] if ref["count"].iloc[0] < 720 else [])
    ref = ref.drop(index=[ref.index[-1]] if ref["count"].iloc[-1] < 720 else [])
    ref.index = pd.DatetimeIndex(ref.index.to_numpy() * 86_400_000_000_000).as_unit("ns")
    pd.testing.assert_frame_equal(table, ref, check_exact=True, check_names=False)
    # the 25-hour local day (2 Nov) has 1500 minutes, the gap day 1320
    counts = table["count"].set_axis(table.index.strftime("%m-%d"))
    assert counts["11-02"] == 1500 and counts["11-04"] == 1320


def test_hourly_p95_equals_pandas_by_local_weekday_and_hour(export):
    traffic = read_traffic(export, timezone=ZONE)
    local = traffic.rate.index.tz_convert(ZONE)
    ref = traffic.rate.groupby([local.day_of_week, local.hour]).quantile(0.95)
    got = analyze_load(traffic).hourly_p95.stack()
    assert np.array_equal(got.to_numpy(), ref.to_numpy())


@pytest.mark.parametrize("seed", range(6))
def test_grouped_quantiles_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    codes = np.sort(rng.integers(0, 50, 20_000))
    if seed % 2:
        rng.shuffle(codes)  # unsorted codes: grouped after a stable sort
    values = rng.lognormal(0, 1, codes.size).round(seed)  # ties when rounded
    qs = [0.95, 0.9, 0.75, 0.5, 0.0, 1.0]
    keys, count, peak, out = grouped_quantiles(codes, values, qs)
    grouped = pd.Series(values).groupby(codes)
    assert np.array_equal(keys, grouped.size().index.to_numpy())
    assert np.array_equal(count, grouped.size().to_numpy())
    assert np.array_equal(peak, grouped.max().to_numpy())
    assert np.array_equal(out, grouped.quantile(qs).unstack().to_numpy())
