"""The fast paths of `capplan analyze` give the same numbers as the paths they replaced: the
whole-file multithreaded CSV read against the streaming reader, and the numpy grouped quantiles
(the day table, the weekday x hour p95) against pandas' groupby().quantile, bit for bit, on a
file with a bad row, a gap and a daylight-saving change in the local zone."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.ingest import delimited, read_traffic
from capplan.load import analyze_load
from capplan.grouping import grouped_quantiles
from capplan.saturation import _day_table_pandas, day_table

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
    assert list(table.columns) == list(ref.columns)  # names as an object index (frames.py)
    pd.testing.assert_frame_equal(table, ref, check_exact=True, check_names=False,
                                  check_column_type=False)
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


# The UTC paths of `capplan.grouping`: day and hour boundaries by binary search, and whole hours
# moved as rows when every hour holds as many samples. Checked against pandas' own groupby on
# the local calendar fields, for a regular series, one with missing hours, and an irregular one.


def _utc_series(kind: str) -> pd.Series:
    rng = np.random.default_rng({"regular": 1, "gaps": 2, "irregular": 3}[kind])
    idx = pd.date_range("2025-03-01 07:00", periods=60 * 24 * 17, freq="min", tz="UTC")
    if kind == "gaps":  # whole hours missing: the hours seen still hold 60 samples each
        idx = idx[~((idx.hour == 3) & (idx.day % 3 == 0))]
    if kind == "irregular":  # samples dropped at random: hours of unequal size
        idx = idx[rng.random(idx.size) > 0.1]
    values = rng.lognormal(3, 0.5, idx.size).round(rng.integers(0, 3))
    return pd.Series(values, index=idx)


@pytest.mark.parametrize("kind", ["regular", "gaps", "irregular"])
def test_weekly_shape_in_utc_equals_pandas(kind, monkeypatch):
    from capplan import grouping
    from capplan.load import weekly_shape

    per_sample = []
    real = grouping.weekday_hour_codes
    monkeypatch.setattr(grouping, "weekday_hour_codes", lambda *a: per_sample.append(1) or real(*a))
    rate = _utc_series(kind)
    mean, p95, busiest = weekly_shape(rate, "UTC")
    assert bool(per_sample) == (kind == "irregular")  # whole hours as rows when they are equal
    keys = [rate.index.day_of_week, rate.index.hour]
    ref_p95 = rate.groupby(keys).quantile(0.95).unstack()
    ref_mean = rate.groupby(keys).mean().unstack()
    assert np.array_equal(p95.to_numpy(), ref_p95.to_numpy(), equal_nan=True)  # bit for bit
    np.testing.assert_allclose(mean.to_numpy(), ref_mean.to_numpy(), rtol=1e-12)
    stacked = ref_mean.stack()
    assert busiest[:2] == tuple(int(x) for x in stacked.idxmax())
    assert busiest[2] == pytest.approx(stacked.max(), rel=1e-12)


@pytest.mark.parametrize("kind", ["regular", "gaps", "irregular"])
@pytest.mark.parametrize("zone", ["UTC", "Australia/Lord_Howe"])  # a 30-minute DST shift
def test_day_runs_equal_the_local_calendar(kind, zone):
    from capplan.grouping import day_runs

    rate = _utc_series(kind)
    runs = day_runs(rate.index, zone)
    local = rate.index.tz_convert(zone)
    ref = pd.Series(1, index=local.normalize().tz_localize(None)).groupby(level=0).size()
    assert np.array_equal(runs.counts, ref.to_numpy())
    days = pd.DatetimeIndex(runs.keys * 86_400_000_000_000)
    assert np.array_equal(days.to_numpy(), ref.index.to_numpy())
    assert np.array_equal(runs.starts, np.r_[0, np.cumsum(runs.counts)[:-1]])


def test_plain_columns_equal_pyarrow_conversion():
    import pyarrow as pa

    table = pa.table({
        "utc": pa.array([0, 60, 120], pa.timestamp("s", tz="UTC")),
        "naive": pa.array([0, 60_000, 120_000], pa.timestamp("ms")),
        "berlin": pa.array([0, 60, 120], pa.timestamp("s", tz="Europe/Berlin")),
        "f": pa.array([1.5, 2.0, float("nan")]),
        "i": pa.array([1, 2, 3], pa.int64()),
        "i_null": pa.array([1, None, 3], pa.int64()),
        "s": pa.array(["a", None, "c"]),
    })
    got = delimited._to_pandas(table)
    ref = table.to_pandas(date_as_object=False, coerce_temporal_nanoseconds=False)
    # The column names are an object index (pandas' str index would import pyarrow's pandas
    # layer); the names themselves and every column must be equal.
    assert list(got.columns) == list(ref.columns) and got.columns.dtype == object
    pd.testing.assert_frame_equal(got, ref, check_exact=True, check_column_type=False)
    chunked = pa.concat_tables([table.slice(0, 1), table.slice(1)])  # several chunks
    pd.testing.assert_frame_equal(delimited._to_pandas(chunked), ref, check_exact=True,
                                  check_column_type=False)


def test_file_hash_is_the_sha256_of_its_bytes(export):
    import hashlib

    from capplan.ingest.sniff import open_source

    assert open_source(export).sha256 == hashlib.sha256(export.read_bytes()).hexdigest()
    assert read_traffic(export).source.sha256 == hashlib.sha256(export.read_bytes()).hexdigest()


@pytest.mark.parametrize("step_ns, expected", [
    (60_000_000_000, 60.0), (1_500_000_000, 1.0), (500_000_000, 1.0), (86_400_000_000_000, 86400.0)])
def test_regular_interval_shortcut_agrees_with_the_rule(step_ns, expected):
    from capplan.ingest.rates import infer_interval

    # the rule: the most common whole-second step; none under a second gives 1 s
    assert infer_interval(np.full(1000, step_ns, dtype=np.int64)) == expected


def test_growth_package_loads_its_parts_on_first_use():
    import subprocess
    import sys

    code = ("import sys, capplan.load; import capplan.growth as g; "
            "assert 'capplan.growth.forecast' not in sys.modules; "
            "g.forecast_peaks; g.CANDIDATES; assert 'capplan.growth.forecast' in sys.modules; "
            "from capplan.growth import fixed_growth, ChangePoint, window_peak")
    subprocess.run([sys.executable, "-c", code], check=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1e6, allow_nan=False), st.just(float("nan"))),
                min_size=1, max_size=80),
       st.sampled_from([1, 3, 7, 29]))
def test_centred_median_and_fill_equal_pandas(values, window):
    """The level-shift search's numpy medians and gap filling are pandas' rolling median and
    interpolate, bit for bit, gaps (NaN) and all."""
    from capplan.growth.history import _filled, centred_median

    x = np.array(values)
    ref = pd.Series(x).rolling(window, center=True, min_periods=1).median().to_numpy()
    assert np.array_equal(centred_median(x, window), ref, equal_nan=True)
    if not np.isnan(x).all():
        ref_fill = pd.Series(x).interpolate(limit_direction="both").to_numpy()
        assert np.array_equal(_filled(x), ref_fill)


def test_day_strings_equal_strftime():
    from capplan.growth.history import _day_strings

    days = pd.date_range("1999-12-30", periods=400, freq="D")
    assert _day_strings(days) == list(days.strftime("%Y-%m-%d"))
    zoned = days.tz_localize("Europe/Berlin")
    assert _day_strings(zoned) == list(zoned.strftime("%Y-%m-%d"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.floats(-1e6, 1e6, allow_nan=False),
                                   st.just(float("nan"))), min_size=5, max_size=5),
                min_size=1, max_size=20))
def test_row_nanmedian_equals_numpy(rows):
    import warnings

    from capplan.growth.history import row_nanmedian

    x = np.array(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns on an all-NaN row
        ref = np.nanmedian(x, axis=1)
    assert np.array_equal(row_nanmedian(x), ref, equal_nan=True)


def test_rate_of_a_small_file_can_be_changed(tmp_path):
    """A one-block file's numbers come from pyarrow without a copy (read-only memory); the rate
    handed to the user is its own, so setting a value works as on any Series."""
    path = tmp_path / "small.csv"
    path.write_text("timestamp,value\n" + "".join(
        f"2025-01-01T00:{m:02d}:00Z,{m + 0.5}\n" for m in range(10)))
    rate = read_traffic(path).rate
    rate.iloc[0] = 99.0
    assert rate.iloc[0] == 99.0 and rate.index.is_monotonic_increasing
    assert read_traffic(path).rate.iloc[0] == 0.5  # and the file's own reading is untouched


@pytest.mark.parametrize("counts, interval, kept", [
    ([1440, 1440, 1440], 60, (0, 3)),   # full days
    ([700, 1440, 1440], 60, (1, 3)),    # 700 < 720 (half of 1,440): the first day is partial
    ([1440, 1440, 720], 60, (0, 3)),    # exactly half is full enough
    ([719, 10, 719], 60, (1, 2)),       # both ends partial; the inner gap day stays
    ([700, 700], 60, (0, 2)),           # dropping both would leave nothing: all kept
    ([700], 60, (0, 1)),
    ([1, 1, 1], 86400, (0, 3)),         # daily data: nothing is partial
    ([], 60, (0, 0)),
])
def test_full_days_by_hand(counts, interval, kept):
    from capplan.grouping import full_days

    assert full_days(np.array(counts), interval) == slice(*kept)
