"""The ingest core and the new formats as one reader: every multi-series file goes through
`series.select` and `--aggregate` (cloud JSON included, each series converted by its own
statistic first); `list_series` lists cloud JSON; access logs stream and are exempt from the size
caps that protect tables, not from the gzip ratio.

Expected numbers are worked out by hand or parsed independently from the same files with json
and pandas in the test; files built here are written from the tools' documented shapes (the same
sources as tests/data/formats, inputs/SOURCES.md).
"""
import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capplan.errors import CapplanError
from capplan.ingest import access_logs, list_series, read_traffic, reader, sniff
from conftest import run_cli

FORMATS = Path(__file__).parent / "data" / "formats"
T0 = pd.Timestamp("2024-05-06 09:00", tz="UTC")


def metric_data(tmp_path, results, name="cw.json"):
    """CloudWatch get-metric-data output: results = [(Id, Label, [values oldest first])], one
    minute apart from T0, written newest first as the API returns them."""
    doc = {"MetricDataResults": [], "Messages": []}
    for rid, label, values in results:
        stamps = [(T0 + pd.Timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
                  for i in range(len(values))]
        doc["MetricDataResults"].append({"Id": rid, "Label": label, "Timestamps": stamps[::-1],
                                         "Values": list(values)[::-1], "StatusCode": "Complete"})
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return p


# ---- one selection path: --aggregate on CloudWatch, GCP and Azure ---------------------------


def test_two_cloudwatch_results_summed_equal_the_sum_by_hand(tmp_path):
    # Two load balancers' RequestCount Sum per minute: each is a count per 60 s, so the service
    # total is (a + b) / 60 requests a second.
    a = [600, 660, 720, 780, 840]
    b = [300, 290, 310, 305, 295]
    p = metric_data(tmp_path, [("lb_a", "web-a RequestCount Sum", a),
                               ("lb_b", "web-b RequestCount Sum", b)])
    t = read_traffic(p, aggregate="sum")
    assert list(t.rate) == pytest.approx([15.0, 15.8333333, 17.1666667, 18.0833333, 18.9166667])
    assert list(t.rate) == pytest.approx([(x + y) / 60 for x, y in zip(a, b)])
    assert t.rate.index[0] == T0 and t.interval_seconds == 60
    assert t.source.aggregate == "sum" and len(t.source.series_used) == 2
    assert t.source.value_kind == "per-interval count"
    assert any("2 series combined by sum" in n for n in t.quality.notes)
    assert any("Sum is a count per period" in n for n in t.quality.notes)
    # --series narrows what is combined; max and mean agree with pandas on the two rates.
    rates = pd.DataFrame({"a": np.array(a) / 60, "b": np.array(b) / 60})
    for how in ("max", "mean"):
        got = read_traffic(p, series="RequestCount", aggregate=how)
        assert np.allclose(got.rate.to_numpy(), getattr(rates, how)(axis=1).to_numpy())


def test_cloudwatch_results_without_a_statistic_combine_then_the_core_decides(tmp_path):
    # No statistic in the labels: passed on as written and summed; the sum is read as a rate.
    p = metric_data(tmp_path, [("m1", "api latency", [0.5, 1.5, 2.25]),
                               ("m2", "db latency", [1.0, 0.25, 0.5])])
    t = read_traffic(p, aggregate="sum")
    assert list(t.rate) == [1.5, 1.75, 2.75] and t.source.value_kind == "rate"


def test_series_of_different_kinds_are_not_combined():
    # The sample holds RequestCount (a *Count metric: a count per period) and a p99 latency.
    p = FORMATS / "cloudwatch_get_metric_data.json"
    with pytest.raises(CapplanError, match="not of one kind") as err:
        read_traffic(p, aggregate="sum")
    assert "per-interval count" in str(err.value) and "rate" in str(err.value)


def gcp_points(name):
    """(series label value, {epoch start: value}) per series, parsed here with json alone."""
    doc = json.loads((FORMATS / name).read_text())
    out = {}
    for ts in doc["timeSeries"]:
        code = ts["metric"]["labels"]["response_code"]
        out[code] = {pd.Timestamp(p["interval"]["startTime"]): float(p["value"]["int64Value"])
                     for p in ts["points"]}
    return out


def test_gcp_two_response_codes_aggregated():
    p = FORMATS / "gcp_timeseries_delta.json"
    points = gcp_points("gcp_timeseries_delta.json")
    assert set(points) == {"200", "500"}
    frame = pd.DataFrame(points).sort_index()  # DELTA counts per 1-minute interval
    t = read_traffic(p, aggregate="sum")
    assert np.allclose(t.rate.to_numpy(), (frame["200"] + frame["500"]).to_numpy() / 60)
    assert list(t.rate.index) == list(frame.index)
    ok = [5400, 5700, 6000, 6600, 7200, 6900, 6300, 6000]  # the 200s, as written in the sample
    assert t.rate.sum() * 60 == pytest.approx(sum(ok) + frame["500"].sum())
    assert t.source.series_used == tuple(list_series(p))
    worst = read_traffic(p, aggregate="max")
    assert np.allclose(worst.rate.to_numpy(), frame.max(axis=1).to_numpy() / 60)


def test_azure_instances_averaged_and_summed():
    p = FORMATS / "azure_metrics_rest_instances.json"
    web0 = [41.5, 48.0, 55.25, 52.0]  # CpuPercentage average per 5 min, written in the sample
    web1 = [39.0, 46.5, 57.75, 50.5]
    mean = read_traffic(p, aggregate="mean", unit="percent/s")
    assert list(mean.rate) == pytest.approx([(x + y) / 2 for x, y in zip(web0, web1)])
    assert mean.source.value_kind == "rate" and mean.interval_seconds == 300


def azure_two_aggregations(tmp_path):
    """az monitor metrics list: Requests per instance with total and average per minute."""
    def data(totals):
        return [{"timeStamp": (T0 + pd.Timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "total": v, "average": v / 10} for i, v in enumerate(totals)]

    doc = {"cost": 0, "interval": "0:01:00", "namespace": "Microsoft.Web/sites",
           "timespan": "2024-05-06T09:00:00Z/2024-05-06T09:04:00Z",
           "value": [{"name": {"value": "Requests"}, "unit": "Count", "timeseries": [
               {"metadatavalues": [{"name": {"value": "Instance"}, "value": "web-0"}],
                "data": data([120, 180, 240, 300])},
               {"metadatavalues": [{"name": {"value": "Instance"}, "value": "web-1"}],
                "data": data([60, 60, 120, 90])}]}]}
    p = tmp_path / "azure.json"
    p.write_text(json.dumps(doc))
    return p


def test_aggregate_combines_one_statistic_never_a_total_with_an_average(tmp_path):
    p = azure_two_aggregations(tmp_path)
    t = read_traffic(p, aggregate="sum")
    # Only the totals, per 60 s: (120+60)/60, (180+60)/60, (240+120)/60, (300+90)/60.
    assert list(t.rate) == pytest.approx([3.0, 4.0, 6.0, 6.5])
    assert len(t.source.series_used) == 2
    assert all('aggregation="total"' in s for s in t.source.series_used)
    assert any("also holds average" in n for n in t.quality.notes)
    avg = read_traffic(p, series='{aggregation="average"}', aggregate="sum")
    assert list(avg.rate) == pytest.approx([18.0, 24.0, 36.0, 39.0])  # averages used as given
    # Without --aggregate the two instances are two series: listed, not guessed.
    with pytest.raises(CapplanError, match=r'holds 2 series.*web-0.*web-1'):
        read_traffic(p)


def test_several_statistics_of_one_metric_read_the_sum_also_under_aggregate():
    p = FORMATS / "cloudwatch_statistics_several.json"
    sums = [30000, 31500, 33900, 36000, 41100, 45900]  # written in the sample, in time order
    for kw in ({}, {"aggregate": "sum"}, {"aggregate": "max"}):
        t = read_traffic(p, **kw)
        assert list(t.rate) == pytest.approx([v / 300 for v in sums]), kw
        assert t.source.series_used == ('{metric="RequestCount",statistic="Sum"}',)
    assert read_traffic(p).source.series == '{metric="RequestCount",statistic="Sum"}'


def test_settled_series_refuse_contradicting_flags_and_units():
    p = FORMATS / "cloudwatch_get_metric_statistics.json"
    with pytest.raises(CapplanError, match="--unit 'req/min'.*per-second rate already"):
        read_traffic(p, unit="req/min")
    t = read_traffic(p, unit="requests")
    assert t.unit == "requests/s" and t.rate.max() == pytest.approx(180.0)
    # --rate: the values are per-second rates once the file's conversion is made.
    assert read_traffic(p, rate=True).rate.max() == pytest.approx(180.0)


def test_aggregate_through_the_cli_writes_the_total(tmp_path):
    out = tmp_path / "out"
    code, _, stderr = run_cli("analyze", FORMATS / "gcp_timeseries_delta.json", "--aggregate",
                              "sum", "--out", out)
    assert code == 0, stderr
    doc = json.loads((out / "analysis.json").read_text())
    frame = pd.DataFrame(gcp_points("gcp_timeseries_delta.json"))
    assert doc["load"]["peak"] == pytest.approx(frame.sum(axis=1).max() / 60)
    assert doc["input"]["value_kind"] == "per-interval count"
    assert any("2 series combined by sum" in n for n in doc["quality"]["notes"])


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(counts=st.integers(3, 8).flatmap(lambda n: st.lists(
    st.lists(st.integers(0, 10**9), min_size=n, max_size=n), min_size=2, max_size=5)))
def test_aggregates_agree_with_the_single_series(tmp_path, counts):
    p = metric_data(tmp_path, [(f"lb{i}", f"lb{i} RequestCount Sum", c)
                               for i, c in enumerate(counts)])
    singles = np.array(counts) / 60  # each result is a count per minute
    assert np.allclose(read_traffic(p, series='{id="lb1"}').rate.to_numpy(), singles[1])
    total = read_traffic(p, aggregate="sum").rate.to_numpy()
    peak = read_traffic(p, aggregate="max").rate.to_numpy()
    mean = read_traffic(p, aggregate="mean").rate.to_numpy()
    assert np.allclose(total, singles.sum(axis=0)) and np.allclose(mean * len(counts), total)
    assert (peak >= singles.max(axis=0) - 1e-9).all() and (total >= peak - 1e-6).all()
    assert np.isfinite(total).all() and (total >= 0).all()


# ---- list_series on cloud JSON (the fleet command plans each) --------------------------------


@pytest.mark.parametrize("name,count", [("cloudwatch_statistics_several.json", 5),
                                        ("cloudwatch_get_metric_data.json", 2),
                                        ("gcp_timeseries_delta.json", 2),
                                        ("gcp_timeseries_cumulative.json", 1),
                                        ("azure_metrics_list.json", None),
                                        ("azure_metrics_rest_instances.json", 2)])
def test_list_series_names_each_series_of_cloud_json(name, count):
    from capplan.ingest.monitoring_json import json_long_frame

    p = FORMATS / name
    names = list_series(p)
    frame, _ = json_long_frame(p, p.read_text())
    assert names == list(dict.fromkeys(frame.series))  # file order, every series
    if count is not None:
        assert len(names) == count
    for series in names:  # each name given back reads that series alone
        t = read_traffic(p, series=series)
        assert t.source.series == series and t.source.series_used == (series,)


# ---- access logs: streamed, exempt from the table caps, not from the ratio -------------------


def alb_lines(minutes, per_minute):
    line = ('https 2024-05-06T09:{m:02d}:{s:02d}.000000Z app/shop-web/50dc6c495c0c9188 '
            '203.0.113.{k}:4{k:04d} 10.0.1.10:8080 0.000 0.012 0.000 200 200 320 4120 '
            '"GET https://shop.example.com:443/api/items/{k} HTTP/1.1" "curl/8.5.0" '
            'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:'
            '123456789012:targetgroup/shop-web/73e2d6bc24d8a067 "Root=1-6638a0c0-{k:024x}" '
            '"shop.example.com" "-" 0 2024-05-06T09:{m:02d}:{s:02d}.000000Z "forward" "-" "-" '
            '"10.0.1.10:8080" "200" "-" "-"\n')
    return "".join(line.format(m=m, s=k % 60, k=k) for m in range(minutes)
                   for k in range(per_minute))


def test_a_gzipped_log_past_the_table_cap_streams_and_a_table_does_not(tmp_path, monkeypatch):
    monkeypatch.setattr(sniff, "MAX_INFLATED_BYTES", 128 * 1024)
    text = alb_lines(4, 500)  # about 1 MB inflated: seven times the (lowered) cap
    assert len(text) > 4 * sniff.MAX_INFLATED_BYTES
    log = tmp_path / "alb.log.gz"
    log.write_bytes(gzip.compress(text.encode(), mtime=0))

    def never_whole(src, family):
        raise AssertionError(f"read whole as {family}")

    monkeypatch.setattr(reader, "read_whole", never_whole)
    asked = []
    real_count = access_logs.count_log

    def spy(path, stream, fmt, timezone):
        read = stream.read

        class Spy:
            def read(self, n):
                asked.append(n)
                return read(n)

        return real_count(path, Spy(), fmt, timezone)

    monkeypatch.setattr(access_logs, "BLOCK_BYTES", 64 * 1024)
    monkeypatch.setattr(access_logs, "count_log", spy)
    t = read_traffic(log)
    assert (t.rate * 60).round().tolist() == [500, 500, 500, 500]  # by construction
    assert t.source.format == "gzip access log (AWS ALB)"
    assert len(asked) > 10 and max(asked) == 64 * 1024  # blocks, never the whole text
    table = tmp_path / "big.csv.gz"
    rows = "".join(f"2024-05-06 09:{i // 60 % 60:02d}:{i % 60:02d},{i}\n" for i in range(40000))
    table.write_bytes(gzip.compress(("timestamp,value\n" + rows).encode(), mtime=0))
    with pytest.raises(CapplanError, match="capplan's limit for a gzip table"):
        read_traffic(table)


def test_gzip_bombs_are_refused_for_logs_tables_and_json(tmp_path, monkeypatch):
    # The 200:1 ratio applies to every gzip input, logs included; lowered here from 64 MiB to
    # 1 MiB of output so the bombs stay small.
    monkeypatch.setattr(sniff, "RATIO_CHECK_AFTER", 1024 * 1024)
    line = alb_lines(2, 1)
    log = tmp_path / "bomb.log.gz"
    log.write_bytes(gzip.compress((line * 40000).encode(), compresslevel=9, mtime=0))
    table = tmp_path / "bomb.csv.gz"
    table.write_bytes(gzip.compress(b"timestamp,value\n" + b"2024-05-06 09:00:00,1\n" * 400000,
                                    compresslevel=9, mtime=0))
    doc = tmp_path / "bomb.json.gz"
    doc.write_bytes(gzip.compress(b'{"series": [' + b" " * 8_000_000 + b"]}", compresslevel=9,
                                  mtime=0))
    for p in (log, table, doc):
        inflated = len(gzip.decompress(p.read_bytes()))
        assert inflated > 200 * p.stat().st_size and inflated > sniff.RATIO_CHECK_AFTER
        with pytest.raises(CapplanError, match="200:1.*compression bomb"):
            read_traffic(p)


def test_a_log_over_the_on_disk_cap_is_read_a_table_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(sniff, "MAX_FILE_BYTES", 4096)
    log = tmp_path / "alb.log"
    log.write_text(alb_lines(2, 20))
    assert log.stat().st_size > 4096
    assert (read_traffic(log).rate * 60).round().tolist() == [20, 20]
    table = tmp_path / "t.csv"
    table.write_text("timestamp,value\n" + "".join(f"2024-05-06 09:{m:02d}:00,{m}\n"
                                                   for m in range(60)) * 4)
    with pytest.raises(CapplanError, match="capplan's limit for an input other than an access"):
        read_traffic(table)


@pytest.mark.parametrize("encoding,ends", [("utf-16", "\n"), ("utf-8-sig", "\r\n"),
                                           ("utf-8", "\r"), ("utf-16", "\r\n")])
def test_logs_in_other_encodings_and_line_ends_count_the_same(tmp_path, encoding, ends):
    text = alb_lines(3, 7)
    p = tmp_path / "alb.log"
    p.write_bytes(text.replace("\n", ends).encode(encoding))
    t = read_traffic(p)
    assert (t.rate * 60).round().tolist() == [7, 7, 7] and t.quality.rows_dropped == 0


def test_clf_log_over_a_block_boundary_with_crlf_and_a_bom(tmp_path, monkeypatch):
    # The transcoding stream holds back a CR that ends a block: a CRLF split over two blocks is
    # one line end, not a line and a blank one.
    lines = "".join(f'1.2.3.4 - - [06/May/2024:09:0{m}:{s:02d} +0000] "GET / HTTP/1.1" 200 12\r\n'
                    for m in range(2) for s in range(30))
    p = tmp_path / "clf.log"
    p.write_bytes(b"\xef\xbb\xbf" + lines.encode())
    monkeypatch.setattr(access_logs, "BLOCK_BYTES", 67)
    t = read_traffic(p)
    assert (t.rate * 60).round().tolist() == [30, 30]
    assert not any("blank" in n for n in t.quality.notes)


# ---- fuzz: the new formats with every flag set ----------------------------------------------

JSON_SAMPLES = sorted(FORMATS.glob("*.json"))
FLAGS = [{}, {"aggregate": "sum"}, {"aggregate": "max", "series": "web"},
         {"series": '{response_code="500"}'}, {"series": "Maximum"}, {"counter": True},
         {"per_interval": True}, {"rate": True}, {"unit": "hires/day"}, {"unit": "jobs"},
         {"aggregate": "mean", "series": "RequestCount"}]


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=st.sampled_from(JSON_SAMPLES), flags=st.sampled_from(FLAGS),
       drop=st.lists(st.integers(0, 400), max_size=4), cut=st.integers(0, 3),
       gz=st.booleans())
def test_cloud_json_with_any_flags_reads_or_fails_in_one_line(tmp_path, sample, flags, drop, cut,
                                                              gz):
    text = sample.read_text()
    for i in drop:  # delete a few characters: broken numbers, keys and brackets
        i %= len(text)
        text = text[:i] + text[i + 1:]
    if cut:
        text = text[:len(text) * (4 - cut) // 4]
    p = tmp_path / ("x.json.gz" if gz else "x.json")
    p.write_bytes(gzip.compress(text.encode(), mtime=0) if gz else text.encode())
    try:
        t = read_traffic(p, **flags)
    except CapplanError as exc:
        assert "\n" not in str(exc) and len(str(exc)) <= 280
        return
    rate = t.rate.to_numpy()
    assert len(rate) >= 2 and np.isfinite(rate).all() and (rate >= 0).all()
    assert t.rate.index.is_monotonic_increasing and t.rate.index.is_unique


# ---- the fleet plans each series of a cloud JSON export (through list_series) ------------------


def test_fleet_names_a_cloud_json_exports_series_and_reads_each_alone(tmp_path):
    from capplan.fleet import read_sources

    p = FORMATS / "gcp_timeseries_delta.json"
    source = read_sources(p)
    assert source.form == "multi-series file"
    assert [t.name for t in source.tasks] == ["200", "500"]  # the label that tells them apart
    points = pd.DataFrame(gcp_points("gcp_timeseries_delta.json")).sort_index()
    for task in source.tasks:
        assert task.series in list_series(p)
        rate = read_traffic(p, series=task.series).rate
        assert np.allclose(rate.to_numpy(), points[task.name].to_numpy() / 60)
    # Several statistics of one metric are one series (Sum read, as by capplan forecast).
    one = read_sources(FORMATS / "cloudwatch_statistics_several.json")
    assert len(one.tasks) == 1 and one.tasks[0].series is None
    odd = tmp_path / "odd.json"
    odd.write_text('{"what": [1, 2, 3]}')
    with pytest.raises(CapplanError, match="JSON of no shape capplan reads"):
        read_sources(odd)
