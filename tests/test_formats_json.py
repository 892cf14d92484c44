"""Cloud monitoring JSON: CloudWatch, Google Cloud Monitoring and Azure Monitor exports.

The sample files in tests/data/formats/ were written for these tests from the tools' documented
output (sources in inputs/SOURCES.md); the expected rates below are worked out by hand from the
values written into them.
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capplan.errors import CapplanError
from capplan.ingest import read_traffic
from capplan.ingest.cloud_json import duration_seconds
from conftest import run_cli

FORMATS = Path(__file__).parent / "data" / "formats"
T0 = pd.Timestamp("2024-05-06 09:00", tz="UTC")
# The ALB RequestCount Sums written into cloudwatch_get_metric_statistics.json, in time order
# (the file lists them out of order, as the API does).
SUMS = [30000, 31500, 33900, 36000, 41100, 45900, 54000, 51300, 47400, 42300, 38700, 35100]


def test_cloudwatch_requestcount_sum_is_a_count_per_period_not_a_rate():
    # The wrong-at-exit-0 case: a Sum per 5 minutes read as req/s gave a peak of 54,000.
    t = read_traffic(FORMATS / "cloudwatch_get_metric_statistics.json")
    assert t.rate.max() == pytest.approx(180.0)  # 54,000 requests / 300 s
    assert list(t.rate) == pytest.approx([v / 300 for v in SUMS])
    assert t.rate.index[0] == T0 and t.interval_seconds == 300
    assert t.source.value_kind == "per-interval count"
    assert t.source.format == "CloudWatch get-metric-statistics JSON"
    assert t.quality.sorted_by_capplan  # datapoints come unordered
    assert any("Sum (Count) is a count per period" in n and "5 min" in n for n in t.quality.notes)


def test_cloudwatch_several_statistics_sum_first_others_by_series():
    p = FORMATS / "cloudwatch_statistics_several.json"
    t = read_traffic(p)
    assert list(t.rate) == pytest.approx([v / 300 for v in SUMS[:6]])
    assert any("also holds Average, Maximum, SampleCount, p99" in n for n in t.quality.notes)
    mx = read_traffic(p, series="Maximum")
    assert list(mx.rate) == pytest.approx([v / 300 * 1.4 for v in SUMS[:6]])  # used as given
    assert mx.source.value_kind == "rate"
    assert any("per sample, not per second" in n for n in mx.quality.notes)
    p99 = read_traffic(p, series="p99")
    assert list(p99.rate) == pytest.approx([v / 300 * 1.3 for v in SUMS[:6]])
    sc = read_traffic(p, series="SampleCount")
    assert list(sc.rate) == pytest.approx([1.0] * 6)  # 300 samples per 300 s


def test_cloudwatch_get_metric_data_several_results_newest_first():
    p = FORMATS / "cloudwatch_get_metric_data.json"
    with pytest.raises(CapplanError, match=r'holds 2 series.*id="requests"'):
        read_traffic(p)
    t = read_traffic(p, series="RequestCount")
    # 600, 660, ..., 1140 requests a minute (oldest first) / 60 s.
    assert list(t.rate) == pytest.approx([v / 60 for v in range(600, 1141, 60)])
    assert t.rate.index[0] == T0 and t.interval_seconds == 60
    assert t.source.series == '{id="requests",label="RequestCount"}'
    assert any("assumed" in n for n in t.quality.notes)
    lat = read_traffic(p, series='{id="latency"}')
    assert lat.rate.iloc[-1] == pytest.approx(0.182) and lat.source.value_kind == "rate"


def test_gcp_delta_counts_per_interval_and_label_subset():
    p = FORMATS / "gcp_timeseries_delta.json"
    with pytest.raises(CapplanError, match=r'\{response_code="200"\}, \{response_code="500"\}'):
        read_traffic(p)
    t = read_traffic(p, series='{response_code="200"}')
    ok = [5400, 5700, 6000, 6600, 7200, 6900, 6300, 6000]  # per 1-minute DELTA interval
    assert list(t.rate) == pytest.approx([v / 60 for v in ok])
    assert t.rate.index[0] == T0  # stamped at the interval's start; points came newest first
    assert t.source.value_kind == "per-interval count"
    err = read_traffic(p, series="500")
    assert err.rate.max() == pytest.approx(24 / 60)


def test_gcp_cumulative_becomes_increase_over_time_with_a_restart():
    t = read_traffic(FORMATS / "gcp_timeseries_cumulative.json")
    # Points (start 09:00): 1200 @09:01, 2520 @09:02, 3960 @09:03, 5400 @09:04; then a restart at
    # 09:04:30: 720 @09:05, 2220 @09:06. Rates: (2520-1200)/60, (3960-2520)/60, (5400-3960)/60,
    # 720/30 (own interval after the restart), (2220-720)/60; the first point has none.
    assert list(t.rate) == pytest.approx([22.0, 24.0, 24.0, 24.0, 25.0])
    assert list(t.rate.index) == [T0 + pd.Timedelta(minutes=m) for m in (1, 2, 3, 4.5, 5)]
    assert t.source.value_kind == "counter"
    assert any("1 restart(s)" in n for n in t.quality.notes)


def test_azure_cli_total_divided_by_the_cli_interval():
    t = read_traffic(FORMATS / "azure_metrics_list.json")
    totals = [2400.0, 2610.0, 2790.0, 3120.0, 3480.0, 3300.0]
    assert list(t.rate) == pytest.approx([v / 60 for v in totals])  # interval "0:01:00"
    assert any("1 min as the file states" in n for n in t.quality.notes)


def test_azure_rest_average_used_as_given_per_instance():
    p = FORMATS / "azure_metrics_rest_instances.json"
    with pytest.raises(CapplanError, match=r'\{Instance="web-0"\}, \{Instance="web-1"\}'):
        read_traffic(p)
    t = read_traffic(p, series="web-1")
    assert list(t.rate) == [39.0, 46.5, 57.75, 50.5] and t.interval_seconds == 300
    assert t.source.value_kind == "rate"


@pytest.mark.parametrize("text,seconds", [("PT1M", 60), ("PT5M", 300), ("PT1H", 3600),
                                          ("P1D", 86400), ("PT30S", 30), ("0:01:00", 60),
                                          ("1:00:00", 3600), ("1 day, 0:00:00", 86400),
                                          ("", None), ("PT0M", None), ("soon", None), (5, None)])
def test_interval_durations(text, seconds):
    assert duration_seconds(text) == seconds


def test_a_flag_contradicting_the_stated_statistic_is_refused():
    p = FORMATS / "cloudwatch_get_metric_statistics.json"
    with pytest.raises(CapplanError, match="--counter.*drop --counter"):
        read_traffic(p, counter=True)
    # --per-interval agrees with a Sum: the same numbers, not divided twice.
    assert read_traffic(p, per_interval=True).rate.max() == pytest.approx(180.0)


DAMAGED = {
    "nested": "[" * 100_000,
    "nested_in_prometheus": '{"data":{"resultType":"matrix","result":' + "[" * 100_000,
    "prometheus_result_1": '{"status":"success","data":{"resultType":"matrix","result":[1]}}',
    "prometheus_pair": '{"data":{"resultType":"matrix","result":[{"metric":{},'
                       '"values":[[1,2,3]]}]}}',
    "cloudwatch_points": '{"Label":"RequestCount","Datapoints":"none"}',
    "cloudwatch_point": '{"Label":"RequestCount","Datapoints":[1,2]}',
    "cloudwatch_no_stat": '{"Label":"x","Datapoints":[{"Timestamp":"2024-01-01T00:00:00Z"}]}',
    "cloudwatch_mixed_units": '{"Datapoints":[{"Timestamp":"2024-01-01T00:00:00Z","Sum":1,'
                              '"Unit":"Count"},{"Timestamp":"2024-01-01T00:05:00Z","Sum":1,'
                              '"Unit":"Bytes"}]}',
    "metric_data_lengths": '{"MetricDataResults":[{"Id":"m","Timestamps":[1,2],"Values":[1]}]}',
    "gcp_interval": '{"timeSeries":[{"metricKind":"DELTA","points":[{"interval":3}]}]}',
    "gcp_value": '{"timeSeries":[{"points":[{"interval":{"endTime":"2024-01-01T00:00:00Z"},'
                 '"value":{"boolValue":true}}]}]}',
    "azure_timeseries": '{"interval":"PT1M","value":[{"timeseries":{"data":[]}}]}',
    "azure_empty": '{"interval":"PT1M","value":[]}',
    "unknown_shape": '{"hello":"world"}',
    "truncated": (FORMATS / "gcp_timeseries_delta.json").read_text()[:700],
}


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_damaged_json_is_one_line_error(tmp_path, name):
    p = tmp_path / f"{name}.json"
    p.write_text(DAMAGED[name])
    with pytest.raises(CapplanError) as err:
        read_traffic(p)
    assert "\n" not in str(err.value) and str(p) in str(err.value)


def test_damaged_json_through_the_cli_exit_2_nothing_written(tmp_path):
    p = tmp_path / "cw.json"
    p.write_text(DAMAGED["cloudwatch_point"])
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("analyze", p, "--out", out)
    assert code == 2 and stderr.count("\n") == 1 and "Datapoints[0]" in stderr
    assert not out.exists()


def test_cloudwatch_through_the_cli_reports_180_not_54000(tmp_path):
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("analyze", FORMATS / "cloudwatch_get_metric_statistics.json",
                                   "--out", out)
    assert code == 0, stderr
    doc = json.loads((out / "analysis.json").read_text())
    assert doc["load"]["peak"] == pytest.approx(180.0)
    assert doc["input"]["value_kind"] == "per-interval count"


def _mutate(doc, path_choice, replacement):
    """Replace the subtree at a path (a list of child choices) with another JSON value."""
    node, parent, key = doc, None, None
    for choice in path_choice:
        if isinstance(node, dict) and node:
            key = sorted(node)[choice % len(node)]
        elif isinstance(node, list) and node:
            key = choice % len(node)
        else:
            break
        parent, node = node, node[key]
    if parent is None:
        return replacement
    parent[key] = replacement
    return doc


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() |
                           st.floats(allow_nan=True, allow_infinity=True) |
                           st.text(max_size=30) |
                           st.sampled_from(["2024-05-06T09:00:00Z", "0995-01-01T00:00:00Z", "NaN",
                                            "1e400", "-5", "PT1M", "0:01:00"]),
                           lambda inner: st.lists(inner, max_size=4) |
                           st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=8)
SAMPLES = sorted(FORMATS.glob("*.json"))


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=st.sampled_from(SAMPLES), where=st.lists(st.integers(0, 50), max_size=6),
       value=JSON_VALUES)
def test_mutated_exports_give_a_rate_or_one_line_error(tmp_path, sample, where, value):
    doc = _mutate(json.loads(sample.read_text()), where, value)
    p = tmp_path / "mutated.json"
    p.write_text(json.dumps(doc, allow_nan=True))
    try:
        t = read_traffic(p)
    except CapplanError as exc:
        assert "\n" not in str(exc)
        return
    rate = t.rate.to_numpy()
    assert np.isfinite(rate).all() and (rate >= 0).all()
    assert t.rate.index.is_monotonic_increasing and t.rate.index.is_unique


def test_long_frame_holds_every_series_as_the_single_reads_give_them():
    from capplan.ingest.monitoring_json import json_long_frame

    p = FORMATS / "gcp_timeseries_delta.json"
    frame, fmt = json_long_frame(p, p.read_text())
    assert fmt == "Google Cloud Monitoring timeSeries JSON"
    names = list(dict.fromkeys(frame.series))
    assert len(names) == 2 and set(frame.attrs["series_info"]) == set(names)
    for name in names:
        one = read_traffic(p, series=name)
        rows = frame[frame.series == name].sort_values("timestamp")
        assert list(rows.value) == pytest.approx(list(one.rate))
        assert frame.attrs["series_info"][name]["value_kind"] == "per-interval count"
